"""Credentials: SSWS API tokens and OAuth 2.0 service apps (private_key_jwt, optional DPoP).

An authenticator gives the headers of one request: ``headers(method, url) -> dict``. The OAuth one mints an
access token from the org authorization server (``POST {org}/oauth2/v1/token``, client_credentials with a
signed client assertion), caches it until shortly before it expires, and re-mints it when Okta says it is
invalid. DPoP (RFC 9449): a per-client EC P-256 key signs a fresh proof for every request; the token endpoint's
``use_dpop_nonce`` round trip is handled, and a service app that requires DPoP switches it on by itself.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from .clock import Clock
from .errors import (
    CredentialsError,
    OktaError,
    PermissionDenied,
    TransientError,
    parse_www_authenticate,
    request_id_of,
)
from .keys import SigningKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 30 * 60  # Okta refuses more than one hour; half an hour tolerates clock skew both ways
RENEW_BEFORE = 5 * 60  # renew a cached token this long before it expires
MAX_NONCE_ROUNDS = 2
MAX_EXPIRES_IN = 24 * 3600.0  # an access token said to live longer (or not finite, or <= 0) is not believed


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def htu_of(url: str) -> str:
    """The DPoP ``htu``: the request URL without query and fragment (RFC 9449 §4.2)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class SSWSAuth:
    scheme = "SSWS"
    is_oauth = False

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "SSWSAuth(token=***)"

    def secrets(self) -> list[str]:
        return [self._token]

    def prepare(self) -> None:  # nothing to mint
        return None

    def headers(self, method: str, url: str) -> dict[str, str]:
        return {"Authorization": f"SSWS {self._token}"}

    def on_unauthorized(self, response_headers: Any, body: Any) -> bool:
        return False  # an API token cannot be refreshed


class DPoPSigner:
    """Signs DPoP proofs with a key made for this client (never persisted)."""

    alg = "ES256"

    def __init__(self, clock: Clock, key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self._key = key or ec.generate_private_key(ec.SECP256R1())
        self._clock = clock
        self.public_jwk = jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)

    def __repr__(self) -> str:
        return "DPoPSigner(ES256)"

    def proof(self, method: str, url: str, *, nonce: str | None = None, access_token: str | None = None) -> str:
        claims: dict[str, Any] = {
            "htm": method.upper(),
            "htu": htu_of(url),
            "iat": int(self._clock.time()),
            "jti": uuid.uuid4().hex,
        }
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["ath"] = _b64url(hashlib.sha256(access_token.encode()).digest())
        return jwt.encode(claims, self._key, algorithm=self.alg, headers={"typ": "dpop+jwt", "jwk": self.public_jwk})


@dataclass
class _Token:
    value: str
    token_type: str  # "Bearer" or "DPoP"
    renew_at: float  # monotonic
    scopes: tuple[str, ...]


# post(url, data, header_fn) -> (status, headers, json body); provided by the client (same session, limits, stats)
PostFn = Callable[[str, dict[str, str], Callable[[str, str], dict[str, str]]], tuple[int, Any, Any]]


class OAuthAuth:
    """client_credentials with a private_key_jwt assertion against the org authorization server."""

    is_oauth = True

    def __init__(
        self,
        *,
        org_url: str,
        client_id: str,
        key: SigningKey,
        scopes: list[str] | tuple[str, ...],
        use_dpop: bool,
        clock: Clock,
        post: PostFn | None = None,
        logger: Any = None,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self.token_url = f"{self.org_url}/oauth2/v1/token"
        self.client_id = client_id
        self._key = key
        self.requested_scopes = tuple(scopes)
        self.use_dpop = use_dpop
        self.dpop_auto_enabled = False
        self._clock = clock
        self._post = post
        self._logger = logger
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self._dpop: DPoPSigner | None = DPoPSigner(clock) if use_dpop else None
        self._token_nonce: str | None = None
        self._resource_nonce: str | None = None
        self.mints = 0

    def __repr__(self) -> str:
        return f"OAuthAuth(client_id={self.client_id!r}, dpop={self.use_dpop}, key=<private>)"

    # ------------------------------------------------------------------ token

    def secrets(self) -> list[str]:
        return [self._token.value] if self._token else []

    @property
    def granted_scopes(self) -> tuple[str, ...] | None:
        return self._token.scopes if self._token else None

    @property
    def missing_scopes(self) -> list[str]:
        """Requested scopes the token response did not grant (Okta may downscope silently)."""
        if not self._token:
            return []
        return [s for s in self.requested_scopes if s not in self._token.scopes]

    def client_assertion(self) -> str:
        now = int(self._clock.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": self._key.kid} if self._key.kid else None
        return jwt.encode(claims, self._key.key, algorithm=self._key.alg, headers=headers)

    def prepare(self) -> None:
        """Make sure a valid token is cached (mints one when missing or about to expire)."""
        with self._lock:
            if self._token is None or self._clock.monotonic() >= self._token.renew_at:
                self._token = self._mint()

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _token_headers(self, method: str, url: str) -> dict[str, str]:
        if self._dpop is None:
            return {}
        return {"DPoP": self._dpop.proof(method, url, nonce=self._token_nonce)}

    def _mint(self) -> _Token:
        if self._post is None:
            raise OktaError("internal", "OAuthAuth has no transport to reach the token endpoint")
        data = {
            "grant_type": "client_credentials",
            "scope": " ".join(self.requested_scopes),
            "client_assertion_type": ASSERTION_TYPE,
        }
        rounds = 0
        while True:
            data["client_assertion"] = self.client_assertion()  # a fresh jti every attempt
            status, headers, body = self._post(self.token_url, dict(data), self._token_headers)
            body = body if isinstance(body, dict) else {}
            error = body.get("error") if isinstance(body.get("error"), str) else None
            desc = body.get("error_description") if isinstance(body.get("error_description"), str) else ""
            nonce = headers.get("DPoP-Nonce") if headers is not None else None
            if status == 200 and isinstance(body.get("access_token"), str):
                break
            if rounds < MAX_NONCE_ROUNDS and status in (400, 401) and error == "use_dpop_nonce" and nonce:
                if self._dpop is None:
                    self._enable_dpop()
                self._token_nonce = nonce
                rounds += 1
                continue
            if (
                rounds < MAX_NONCE_ROUNDS
                and self._dpop is None
                and status == 400
                and error in ("invalid_dpop_proof", "invalid_request")
                and "dpop" in desc.lower()
            ):
                self._enable_dpop()  # the app requires DPoP (Okta's default for new service apps)
                rounds += 1
                continue
            raise self._token_error(status, error, desc, headers)
        self.mints += 1
        token_type = str(body.get("token_type") or "Bearer")
        if token_type.lower() == "dpop" and self._dpop is None:
            self._enable_dpop()
        try:
            expires_in = float(body.get("expires_in", 3600))
        except (TypeError, ValueError, OverflowError):
            expires_in = 3600.0
        if not 0 < expires_in <= MAX_EXPIRES_IN:  # also NaN and infinities: not believable, Okta's default
            expires_in = 3600.0
        renew_in = max(expires_in - RENEW_BEFORE, expires_in / 2)
        scope_value = body.get("scope")
        scopes = tuple(scope_value.split()) if isinstance(scope_value, str) else self.requested_scopes
        token = _Token(body["access_token"], "DPoP" if token_type.lower() == "dpop" else "Bearer",
                       self._clock.monotonic() + renew_in, scopes)
        if self._logger is not None:
            missing = [s for s in self.requested_scopes if s not in scopes]
            if missing:
                self._logger.warning("Okta did not grant the scopes %s to the service app", " ".join(missing))
        return token

    def _enable_dpop(self) -> None:
        if self._dpop is None:
            self._dpop = DPoPSigner(self._clock)
            self.use_dpop = True
            self.dpop_auto_enabled = True
            if self._logger is not None:
                self._logger.info("the service app requires DPoP; using DPoP-bound tokens")

    def _token_error(self, status: int, error: str | None, desc: str, headers: Any) -> OktaError:
        rid = request_id_of(headers)
        said = f" Okta said: {error}: {desc}" if error else (f" Okta answered {status}." if status else "")
        if error in ("invalid_scope", "consent_required", "no_org_scopes_granted") or "scope" in (error or ""):
            return PermissionDenied(
                f"the service app {self.client_id} may not have the requested scopes "
                f"({' '.join(self.requested_scopes)}); grant them on its Okta API Scopes tab or remove them "
                f"from the connector's scopes.{said}",
                status=status, error_code=error, request_id=rid, missing_scope=None, reason="scope",
            )
        if status == 429 or status >= 500:
            return TransientError(f"the token endpoint answered {status}; try again later.{said}",
                                  status=status, error_code=error, request_id=rid)
        return CredentialsError(
            f"the token endpoint refused the service app {self.client_id} ({error or status}); check the "
            f"client_id, that the app uses public key / private key authentication with this key "
            f"(key_id {self._key.kid or 'unset'}), and that it is active.{said}",
            status=status, error_code=error, request_id=rid,
        )

    # ------------------------------------------------------------------ requests

    def headers(self, method: str, url: str) -> dict[str, str]:
        token = self._token
        if token is None:
            self.prepare()
            token = self._token
        assert token is not None
        out = {"Authorization": f"{token.token_type} {token.value}"}
        if token.token_type == "DPoP" and self._dpop is not None:
            out["DPoP"] = self._dpop.proof(method, url, nonce=self._resource_nonce, access_token=token.value)
        return out

    def on_unauthorized(self, response_headers: Any, body: Any) -> bool:
        """Called on a 401 from a resource; True when a retry may succeed (nonce learnt or token re-minted)."""
        www = parse_www_authenticate(response_headers.get("WWW-Authenticate"))
        nonce = response_headers.get("DPoP-Nonce")
        if www.get("error") == "use_dpop_nonce" and nonce and nonce != self._resource_nonce:
            self._resource_nonce = nonce
            return True
        code = body.get("errorCode") if isinstance(body, dict) else None
        if code == "E0000015":
            return False
        if www.get("error") == "invalid_token" or code in ("E0000011", None):
            self.invalidate()
            return True
        return False
