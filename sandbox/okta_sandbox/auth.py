"""Credentials the sandbox accepts, checked like Okta does.

- ``Authorization: SSWS <token>``: an ``Org.tokens`` entry, acting with its user's admin roles.
- ``POST /oauth2/v1/token``: client_credentials with a ``private_key_jwt`` client assertion, really
  verified against the client's registered public JWKs (aud = the token endpoint URL, iss = sub =
  client_id, exp at most an hour ahead, jti never replayed). Granted scopes = requested & the app's.
  Optional DPoP (RFC 9449): a client with ``require_dpop`` first gets ``400 use_dpop_nonce`` with a
  ``DPoP-Nonce`` header, then a proof carrying the nonce gets a ``token_type: DPoP`` token.
- ``Authorization: Bearer <access token>`` or ``DPoP <access token>`` + a fresh ``DPoP`` proof (with ``ath``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jwt

from .errors import OktaHTTPError, error_body, oauth_error, okta_error
from .model import OAuthClient, Org

ASYMMETRIC_ALGS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 3600  # Okta: exp "a maximum of only one hour in the future"
CLOCK_SKEW = 60
DPOP_IAT_WINDOW = 300


@dataclass(frozen=True)
class Principal:
    """Who is calling: an SSWS token (acting as its user) or an OAuth service app."""

    kind: str  # "ssws" | "oauth"
    key: str  # the rate-limit principal: "token:<token id>" or "client:<client id>"
    user_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str] | None  # None for SSWS (no scopes)
    dpop: bool = False
    credential: str = field(default="", repr=False)

    def has_scope(self, scope: str) -> bool:
        if self.scopes is None:
            return True
        manage = scope.rsplit(".", 1)[0] + ".manage"
        return scope in self.scopes or manage in self.scopes


@dataclass
class IssuedToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    jkt: str | None  # DPoP key thumbprint the token is bound to


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwk_thumbprint(jwk: Mapping[str, object]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public JWK."""
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
    kty = str(jwk.get("kty"))
    if kty not in required:
        raise ValueError(f"unsupported JWK kty {kty!r}")
    members = {k: jwk[k] for k in required[kty]}
    return b64url(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())


def access_token_hash(token: str) -> str:
    return b64url(hashlib.sha256(token.encode()).digest())


class DPoPError(Exception):
    pass


def verify_dpop_proof(
    proof: str, *, htm: str, htu: str, clock: Callable[[], float] = time.time
) -> tuple[dict[str, object], str]:
    """Verify a DPoP proof JWS with its embedded JWK; return (claims, jwk thumbprint)."""
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError:
        raise DPoPError("The DPoP proof JWT is malformed.") from None
    if header.get("typ") != "dpop+jwt":
        raise DPoPError("The DPoP proof JWT 'typ' header must be 'dpop+jwt'.")
    alg = header.get("alg")
    if alg not in ASYMMETRIC_ALGS:
        raise DPoPError("The DPoP proof JWT 'alg' header is invalid.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or "d" in jwk:
        raise DPoPError("The DPoP proof JWT 'jwk' header is missing or holds a private key.")
    try:
        key = jwt.PyJWK(jwk, algorithm=alg)
        claims = jwt.decode(
            proof,
            key=key,
            algorithms=[alg],
            options={"verify_aud": False, "require": ["iat", "jti", "htm", "htu"]},
        )
    except jwt.PyJWTError as exc:
        raise DPoPError(f"The DPoP proof JWT is invalid: {type(exc).__name__}.") from None
    if claims.get("htm") != htm:
        raise DPoPError("The DPoP proof JWT 'htm' claim is invalid.")
    if str(claims.get("htu", "")).split("?")[0].split("#")[0] != htu:
        raise DPoPError("The DPoP proof JWT 'htu' claim is invalid.")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or abs(clock() - iat) > DPOP_IAT_WINDOW:
        raise DPoPError("The DPoP proof JWT 'iat' claim is not recent.")
    return claims, jwk_thumbprint(jwk)


class AuthService:
    """Checks credentials against the org (read per request) and issues OAuth access tokens."""

    def __init__(
        self,
        get_org: Callable[[], Org],
        get_base_url: Callable[[], str],
        *,
        token_lifetime: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._org = get_org
        self._base = get_base_url
        self.token_lifetime = token_lifetime
        self.clock = clock
        self.dpop_nonce = secrets.token_urlsafe(24)
        self._issued: dict[str, IssuedToken] = {}
        self._revoked: set[str] = set()
        self._assertion_jtis: set[tuple[str, str]] = set()
        self._proof_jtis: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- revocation (the "revoke" fault) --------------------------------------------------------
    def revoke(self, principal: Principal) -> None:
        with self._lock:
            self._revoked.add(principal.credential)

    # -- resource requests ----------------------------------------------------------------------
    def realm_header(self, scheme: str, **params: str) -> str:
        base = self._base()
        items = {"authorization_uri": f"{base}/oauth2/v1/authorize", "realm": base, **params}
        prefix = f'{scheme} algs="{" ".join(ASYMMETRIC_ALGS)}", ' if scheme == "DPoP" else f"{scheme} "
        return prefix + ", ".join(f'{k}="{v}"' for k, v in items.items())

    def _invalid_token(self, scheme: str | None, description: str = "The access token is invalid.") -> OktaHTTPError:
        headers = {}
        if scheme in ("Bearer", "DPoP"):
            headers["WWW-Authenticate"] = self.realm_header(
                scheme, error="invalid_token", error_description=description
            )
        return okta_error("E0000011", headers=headers)

    def authenticate(self, method: str, path: str, headers: Mapping[str, str]) -> Principal:
        auth = headers.get("Authorization") or ""
        scheme, _, credential = auth.strip().partition(" ")
        credential = credential.strip()
        if not credential:
            raise okta_error("E0000011")
        if scheme == "SSWS":
            return self._ssws(credential)
        if scheme in ("Bearer", "DPoP"):
            return self._oauth(scheme, credential, method, path, headers)
        raise okta_error("E0000011")

    def principal_key(self, headers: Mapping[str, str]) -> str | None:
        """The rate-limit principal a request claims to be (unverified), so that responses sent before
        authentication (injected faults) show the same per-token headers as the others."""
        scheme, _, credential = (headers.get("Authorization") or "").strip().partition(" ")
        credential = credential.strip()
        if scheme == "SSWS" and credential:
            grant = self._org().tokens.get(credential)
            return f"token:{grant.token_id}" if grant is not None else None
        if scheme in ("Bearer", "DPoP") and credential:
            with self._lock:
                issued = self._issued.get(credential)
            return f"client:{issued.client_id}" if issued is not None else None
        return None

    def _ssws(self, token: str) -> Principal:
        org = self._org()
        grant = org.tokens.get(token)
        if grant is None or grant.token != token:
            grant = next((g for g in org.tokens.values() if secrets.compare_digest(g.token, token)), None)
        with self._lock:
            revoked = token in self._revoked
        if grant is None or grant.revoked or revoked:
            raise okta_error("E0000011")
        return Principal(
            kind="ssws",
            key=f"token:{grant.token_id}",
            user_id=grant.user_id,
            roles=frozenset(user_role_types(org, grant.user_id)),
            scopes=None,
            credential=token,
        )

    def _oauth(self, scheme: str, token: str, method: str, path: str, headers: Mapping[str, str]) -> Principal:
        now = self.clock()
        with self._lock:
            issued = self._issued.get(token)
            revoked = token in self._revoked
        if issued is None or revoked:
            raise self._invalid_token(scheme)
        if issued.expires_at <= now:
            raise self._invalid_token(scheme, "The token has expired.")
        client = self._org().oauth_clients.get(issued.client_id)
        if client is None:
            raise self._invalid_token(scheme)
        if issued.jkt is not None:
            if scheme != "DPoP":
                raise OktaHTTPError(
                    400,
                    {"error": "invalid_request",
                     "error_description": "The resource request must use the DPoP authentication scheme "
                                          "when using a DPoP bound token."},
                    {"WWW-Authenticate": self.realm_header("DPoP", error="invalid_request")},
                )
            proof = headers.get("DPoP")
            if not proof:
                raise self._dpop_resource_error("The resource request requires a DPoP proof.")
            try:
                claims, jkt = verify_dpop_proof(proof, htm=method, htu=self._base() + path, clock=self.clock)
            except DPoPError as exc:
                raise self._dpop_resource_error(str(exc)) from None
            if jkt != issued.jkt:
                raise self._dpop_resource_error("The DPoP proof key does not match the access token binding.")
            if claims.get("ath") != access_token_hash(token):
                raise self._dpop_resource_error("The DPoP proof JWT 'ath' claim is invalid.")
            self._remember_proof(str(claims["jti"]))
        elif scheme == "DPoP":
            raise self._invalid_token(scheme)
        return Principal(
            kind="oauth",
            key=f"client:{issued.client_id}",
            user_id=None,
            roles=frozenset(client.roles),
            scopes=issued.scopes,
            dpop=issued.jkt is not None,
            credential=token,
        )

    def _dpop_resource_error(self, description: str) -> OktaHTTPError:
        return OktaHTTPError(
            400,
            {"error": "invalid_dpop_proof", "error_description": description},
            {"WWW-Authenticate": self.realm_header("DPoP", error="invalid_dpop_proof", error_description=description)},
        )

    def _remember_proof(self, jti: str) -> None:
        now = self.clock()
        with self._lock:
            if jti in self._proof_jtis:
                raise self._dpop_resource_error("The DPoP proof JWT 'jti' was already used.")
            self._proof_jtis[jti] = now
            if len(self._proof_jtis) > 50_000:  # forget proofs too old to pass the iat check anyway
                cutoff = now - 2 * DPOP_IAT_WINDOW
                self._proof_jtis = {k: t for k, t in self._proof_jtis.items() if t >= cutoff}

    # -- the token endpoint ---------------------------------------------------------------------
    def token_request(self, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, dict, dict[str, str]]:
        """Answer ``POST /oauth2/v1/token``: (status, body, extra headers)."""
        token_url = self._base() + "/oauth2/v1/token"
        if form.get("grant_type") != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported.")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise oauth_error(
                401, "invalid_client",
                "Client Credentials requests to the Org Authorization Server must use the "
                "private_key_jwt token_endpoint_auth_method.",
            )
        client, claims = self._verify_assertion(form["client_assertion"], form.get("client_id"), token_url)

        jkt = None
        proof = headers.get("DPoP")
        if proof:
            try:
                dclaims, jkt = verify_dpop_proof(proof, htm="POST", htu=token_url, clock=self.clock)
            except DPoPError as exc:
                raise oauth_error(400, "invalid_dpop_proof", str(exc)) from None
            if dclaims.get("nonce") != self.dpop_nonce:
                raise oauth_error(
                    400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.",
                    {"DPoP-Nonce": self.dpop_nonce},
                )
        elif client.require_dpop:
            raise oauth_error(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")

        requested = set((form.get("scope") or "").split())
        if not requested:
            raise oauth_error(400, "invalid_scope", "The authorization server requires scopes to be requested.")
        granted = frozenset(requested & set(client.scopes))
        if not granted:
            raise oauth_error(400, "invalid_scope", "You are not allowed any of the requested scopes.")

        jti = claims.get("jti")
        with self._lock:
            if jti is not None:
                if (client.client_id, str(jti)) in self._assertion_jtis:
                    raise oauth_error(
                        401, "invalid_client", "The client_assertion token has already been used (jti replayed)."
                    )
                self._assertion_jtis.add((client.client_id, str(jti)))
            token = "oat" + secrets.token_urlsafe(32)
            self._issued[token] = IssuedToken(
                client.client_id, granted, self.clock() + self.token_lifetime, jkt
            )
        body = {
            "token_type": "DPoP" if jkt else "Bearer",
            "expires_in": self.token_lifetime,
            "access_token": token,
            "scope": " ".join(sorted(granted)),
        }
        return 200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"}

    def _verify_assertion(
        self, assertion: str, form_client_id: str | None, token_url: str
    ) -> tuple[OAuthClient, dict]:
        bad = "The client_assertion token is invalid."
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise oauth_error(401, "invalid_client", bad) from None
        client_id = form_client_id or unverified.get("iss")
        client = self._org().oauth_clients.get(str(client_id))
        if client is None:
            raise oauth_error(401, "invalid_client", "The client_id is not valid.")
        alg = header.get("alg")
        if alg not in ASYMMETRIC_ALGS:
            raise oauth_error(401, "invalid_client", "The client_assertion signature algorithm is not supported.")
        keys = [k for k in client.jwks.get("keys", []) if header.get("kid") in (None, k.get("kid"))]
        if not keys:
            raise oauth_error(401, "invalid_client", "The client_assertion 'kid' does not match a registered key.")
        claims = None
        last_error: Exception | None = None
        for k in keys:
            try:
                claims = jwt.decode(
                    assertion,
                    key=jwt.PyJWK(k, algorithm=alg),
                    algorithms=[alg],
                    audience=token_url,
                    issuer=client.client_id,
                    leeway=CLOCK_SKEW,
                    options={"require": ["exp", "iss", "sub", "aud"]},
                )
                break
            except jwt.InvalidAudienceError:
                raise oauth_error(
                    401, "invalid_client",
                    "The audience claim for client_assertion must be the endpoint invoked for the request.",
                ) from None
            except jwt.ExpiredSignatureError:
                raise oauth_error(401, "invalid_client", "The client_assertion token is expired.") from None
            except jwt.InvalidIssuerError:
                raise oauth_error(401, "invalid_client", "The client_assertion issuer must be the client_id.") from None
            except (jwt.PyJWTError, ValueError) as exc:
                last_error = exc
        if claims is None:
            kind = type(last_error).__name__ if last_error else "no key"
            raise oauth_error(401, "invalid_client", f"{bad} ({kind})")
        if claims.get("sub") != client.client_id:
            raise oauth_error(401, "invalid_client", "The client_assertion subject must be the client_id.")
        if float(claims["exp"]) > self.clock() + MAX_ASSERTION_LIFETIME + CLOCK_SKEW:
            raise oauth_error(
                401, "invalid_client",
                "The client_assertion token has an expiration too far into the future.",
            )
        return client, claims


def user_role_types(org: Org, user_id: str) -> set[str]:
    """The admin role types a user holds, directly or through a group."""
    roles = {str(r.get("type")) for r in org.user_roles.get(user_id, [])}
    for group_id, assignments in org.group_roles.items():
        if assignments and user_id in org.group_members.get(group_id, ()):
            roles.update(str(r.get("type")) for r in assignments)
    return roles


def forbidden_scope(auth: AuthService, principal: Principal, scope: str, path: str) -> OktaHTTPError:
    scheme = "DPoP" if principal.dpop else "Bearer"
    header = auth.realm_header(
        scheme,
        scope=scope,
        error="insufficient_scope",
        error_description="The access token provided does not contain the required scopes.",
        resource=path,
    )
    return OktaHTTPError(403, error_body("E0000006"), {"WWW-Authenticate": header})


def new_key_pair(alg: str = "RS256", kid: str | None = None) -> tuple[str, dict[str, object]]:
    """A fresh key pair for ``alg``: (private key PEM, public JWK with ``kid``/``alg``/``use``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    curves = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
    if alg.startswith("RS"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        algo: type[jwt.algorithms.Algorithm] = jwt.algorithms.RSAAlgorithm
    elif alg in curves:
        private = ec.generate_private_key(curves[alg])
        algo = jwt.algorithms.ECAlgorithm
    else:
        raise ValueError(f"unsupported alg {alg!r}; use one of {ASYMMETRIC_ALGS}")
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_jwk: dict[str, object] = json.loads(algo.to_jwk(private.public_key()))
    public_jwk.update({"kid": kid or jwk_thumbprint(public_jwk)[:16], "alg": alg, "use": "sig"})
    return pem, public_jwk


def new_oauth_client(
    client_id: str,
    scopes: list[str],
    *,
    alg: str = "RS256",
    roles: list[str] | None = None,
    require_dpop: bool = False,
) -> OAuthClient:
    """A service app with a freshly made key pair (the private PEM kept on the client, out of reprs)."""
    pem, public_jwk = new_key_pair(alg)
    return OAuthClient(
        client_id=client_id,
        jwks={"keys": [public_jwk]},
        scopes=list(scopes),
        roles=list(roles) if roles is not None else ["READ_ONLY_ADMIN"],
        require_dpop=require_dpop,
        private_key_pem=pem,
    )
