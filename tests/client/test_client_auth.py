"""Credentials: SSWS, OAuth private_key_jwt (RS256/ES256, PEM/JWK), token caching and refresh, DPoP."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from urllib.parse import parse_qs

import jwt
import pytest
from client_support import ORG, TOKEN, base_config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from connector_okta.client import ConfigError, CredentialsError, PermissionDenied
from connector_okta.client.keys import load_private_key

TOKEN_URL = f"{ORG}/oauth2/v1/token"
SCOPES = ["okta.users.read", "okta.groups.read"]


@cache
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_key(curve=ec.SECP256R1):
    return ec.generate_private_key(curve())


def pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def jwk_json(key, kid="kid-1") -> str:
    alg = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    data = alg.to_jwk(key, as_dict=True)
    data["kid"] = kid
    return json.dumps(data)


def oauth_config(private_key: str, key_id: str | None = "kid-1", use_dpop=False, scopes=SCOPES, **extra):
    auth = {"method": "oauth", "client_id": "0oaSERVICEAPP123", "private_key": private_key, "scopes": scopes,
            "use_dpop": use_dpop}
    if key_id:
        auth["key_id"] = key_id
    return base_config(auth=auth, **extra)


class TokenEndpoint:
    """A fake org authorization server that checks every client assertion it receives."""

    def __init__(self, public_key, alg="RS256", kid="kid-1", granted=None, require_dpop=False, nonce="nonce-1",
                 expires_in=3600):
        self.public_key = public_key
        self.alg = alg
        self.kid = kid
        self.granted = granted
        self.require_dpop = require_dpop
        self.nonce = nonce
        self.expires_in = expires_in
        self.jtis = set()
        self.issued = []
        self.proofs = []

    def __call__(self, request, context):
        form = {k: v[0] for k, v in parse_qs(request.text).items()}
        assert form["grant_type"] == "client_credentials"
        assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        header = jwt.get_unverified_header(form["client_assertion"])
        assert header["alg"] == self.alg and header.get("kid") == self.kid
        claims = jwt.decode(form["client_assertion"], self.public_key, algorithms=[self.alg], audience=TOKEN_URL,
                            options={"verify_iat": False, "verify_exp": False})  # the fake clock may run ahead
        assert claims["iss"] == claims["sub"] == "0oaSERVICEAPP123"
        assert 0 < claims["exp"] - claims["iat"] <= 3600
        assert claims["jti"] not in self.jtis  # never replayed
        self.jtis.add(claims["jti"])
        proof = request.headers.get("DPoP")
        if self.require_dpop:
            if not proof:
                context.status_code = 400
                return {"error": "invalid_dpop_proof", "error_description": "The DPoP proof JWT header is missing."}
            claims_p = verify_proof(proof, "POST", TOKEN_URL)
            self.proofs.append(claims_p)
            if claims_p.get("nonce") != self.nonce:
                context.status_code = 400
                context.headers["DPoP-Nonce"] = self.nonce
                return {"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof."}
        token = f"at-{len(self.issued) + 1}-" + "x" * 30
        self.issued.append(token)
        scope = " ".join(self.granted if self.granted is not None else form["scope"].split())
        return {"token_type": "DPoP" if self.require_dpop else "Bearer", "expires_in": self.expires_in,
                "access_token": token, "scope": scope}


def verify_proof(proof: str, htm: str, htu: str, access_token: str | None = None) -> dict:
    header = jwt.get_unverified_header(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert "d" not in header["jwk"]  # only the public key travels
    key = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(header["jwk"]))
    claims = jwt.decode(proof, key, algorithms=["ES256"])
    assert claims["htm"] == htm and claims["htu"] == htu
    assert isinstance(claims["iat"], int) and len(claims["jti"]) >= 16
    if access_token:
        expected = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
        assert claims["ath"] == expected
    else:
        assert "ath" not in claims
    return claims


# ------------------------------------------------------------------ SSWS


def test_ssws_header(okta, make_client):
    okta.get(f"{ORG}/api/v1/org", json={})
    make_client().get("/api/v1/org")
    api = [r for r in okta.request_history if r.path == "/api/v1/org"][0]
    assert api.headers["Authorization"] == f"SSWS {TOKEN}"
    wk = [r for r in okta.request_history if "well-known" in r.path][0]
    assert "Authorization" not in wk.headers  # the well-known document is read without a credential


def test_ssws_prefix_pasted_with_the_token_is_removed(okta, make_client):
    okta.get(f"{ORG}/api/v1/org", json={})
    make_client(base_config(auth={"method": "api_token", "token": f"SSWS {TOKEN}"})).get("/api/v1/org")
    assert okta.request_history[-1].headers["Authorization"] == f"SSWS {TOKEN}"


# ------------------------------------------------------------------ private_key_jwt


@pytest.mark.parametrize(
    ("key_factory", "alg", "as_jwk"),
    [(rsa_key, "RS256", False), (rsa_key, "RS256", True), (ec_key, "ES256", False), (ec_key, "ES256", True)],
)
def test_private_key_jwt_assertion_and_bearer_token(okta, make_client, key_factory, alg, as_jwk):
    key = key_factory()
    endpoint = TokenEndpoint(key.public_key(), alg=alg)
    okta.post(TOKEN_URL, json=endpoint)
    okta.get(f"{ORG}/api/v1/users", json=[])
    private = jwk_json(key) if as_jwk else pem(key)
    client = make_client(oauth_config(private, key_id=None if as_jwk else "kid-1"))
    client.get("/api/v1/users")
    client.get("/api/v1/users")
    assert len(endpoint.issued) == 1  # cached
    api = [r for r in okta.request_history if r.path == "/api/v1/users"]
    assert all(r.headers["Authorization"] == f"Bearer {endpoint.issued[0]}" for r in api)
    assert client.stats()["requests_by_bucket"]["oauth_token"] == 1


def test_token_renewed_shortly_before_expiry(okta, make_client, clock):
    key = rsa_key()
    endpoint = TokenEndpoint(key.public_key(), expires_in=3600)
    okta.post(TOKEN_URL, json=endpoint)
    okta.get(f"{ORG}/api/v1/users", json=[])
    client = make_client(oauth_config(pem(key)))
    client.get("/api/v1/users")
    clock.advance(3600 - 302)  # more than 5 minutes left: keep it
    client.get("/api/v1/users")
    assert len(endpoint.issued) == 1
    clock.advance(3)  # under 5 minutes left: renew now, not after a 401
    client.get("/api/v1/users")
    assert len(endpoint.issued) == 2
    assert okta.request_history[-1].headers["Authorization"] == f"Bearer {endpoint.issued[1]}"


def test_expired_token_rejected_by_okta_is_reminted_and_retried(okta, make_client):
    key = rsa_key()
    endpoint = TokenEndpoint(key.public_key())
    okta.post(TOKEN_URL, json=endpoint)
    okta.get(f"{ORG}/api/v1/users", [
        {"status_code": 401, "json": {"errorCode": "E0000011", "errorSummary": "Invalid token provided"},
         "headers": {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token has expired."'}},
        {"json": [{"id": "00u1"}]},
    ])
    client = make_client(oauth_config(pem(key)))
    assert client.get("/api/v1/users").json == [{"id": "00u1"}]
    assert len(endpoint.issued) == 2
    assert okta.request_history[-1].headers["Authorization"] == f"Bearer {endpoint.issued[1]}"


def test_a_token_okta_keeps_refusing_is_a_credentials_error(okta, make_client):
    key = rsa_key()
    okta.post(TOKEN_URL, json=TokenEndpoint(key.public_key()))
    okta.get(f"{ORG}/api/v1/users", status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    with pytest.raises(CredentialsError):
        make_client(oauth_config(pem(key))).get("/api/v1/users")


def test_granted_scopes_compared_with_requested(okta, make_client):
    key = rsa_key()
    okta.post(TOKEN_URL, json=TokenEndpoint(key.public_key(), granted=["okta.users.read"]))
    okta.get(f"{ORG}/api/v1/users", json=[])
    client = make_client(oauth_config(pem(key)))
    client.get("/api/v1/users")
    assert client.auth.missing_scopes == ["okta.groups.read"]
    assert client.auth.granted_scopes == ("okta.users.read",)


def test_token_endpoint_refusal_is_a_clear_credentials_error_without_secrets(okta, make_client):
    key = rsa_key()
    okta.post(TOKEN_URL, status_code=401, json={"error": "invalid_client",
                                                "error_description": "The client_assertion signature is invalid."},
              headers={"X-Okta-Request-Id": "tok-rid"})
    client = make_client(oauth_config(pem(key)))
    with pytest.raises(CredentialsError) as info:
        client.get("/api/v1/users")
    text = str(info.value) + repr(info.value)
    assert "invalid_client" in text and "tok-rid" in text and "0oaSERVICEAPP123" in text
    assert "PRIVATE KEY" not in text and pem(key)[40:80] not in text


def test_token_endpoint_scope_refusal_is_a_permission_error(okta, make_client):
    key = rsa_key()
    okta.post(TOKEN_URL, status_code=400, json={"error": "invalid_scope",
                                                "error_description": "You are not allowed any of the requested scopes."})
    with pytest.raises(PermissionDenied) as info:
        make_client(oauth_config(pem(key))).get("/api/v1/users")
    assert "grant" in info.value.message


# ------------------------------------------------------------------ DPoP


def test_dpop_nonce_round_trip_and_resource_proofs(okta, make_client):
    key = ec_key()
    endpoint = TokenEndpoint(key.public_key(), alg="ES256", require_dpop=True)
    okta.post(TOKEN_URL, json=endpoint)
    okta.get(f"{ORG}/api/v1/users", json=[])
    client = make_client(oauth_config(pem(key), use_dpop=True))
    client.get("/api/v1/users", params={"limit": 1, "filter": 'status eq "ACTIVE"'})
    # token endpoint: first proof without nonce, answered use_dpop_nonce; second proof carries it
    assert [p.get("nonce") for p in endpoint.proofs] == [None, "nonce-1"]
    assert len(endpoint.issued) == 1
    api = [r for r in okta.request_history if r.path == "/api/v1/users"][0]
    token = endpoint.issued[0]
    assert api.headers["Authorization"] == f"DPoP {token}"
    verify_proof(api.headers["DPoP"], "GET", f"{ORG}/api/v1/users", access_token=token)  # htu without the query
    # the same key binds the token request and the resource request
    assert jwt.get_unverified_header(api.headers["DPoP"])["jwk"] == jwt.get_unverified_header(
        [r for r in okta.request_history if r.path == "/oauth2/v1/token"][0].headers["DPoP"])["jwk"]


def test_dpop_switched_on_when_the_app_requires_it(okta, make_client):
    key = rsa_key()
    endpoint = TokenEndpoint(key.public_key(), require_dpop=True)
    okta.post(TOKEN_URL, json=endpoint)
    okta.get(f"{ORG}/api/v1/users", json=[])
    client = make_client(oauth_config(pem(key), use_dpop=False))
    client.get("/api/v1/users")
    assert client.auth.dpop_auto_enabled
    assert okta.request_history[-1].headers["Authorization"].startswith("DPoP ")


def test_resource_dpop_nonce_is_learnt_and_retried(okta, make_client):
    key = ec_key()
    endpoint = TokenEndpoint(key.public_key(), alg="ES256", require_dpop=True)
    okta.post(TOKEN_URL, json=endpoint)
    okta.get(f"{ORG}/api/v1/groups", [
        {"status_code": 401, "headers": {"WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": "rs-nonce"}},
        {"json": []},
    ])
    make_client(oauth_config(pem(key), use_dpop=True)).get("/api/v1/groups")
    api = [r for r in okta.request_history if r.path == "/api/v1/groups"]
    assert "nonce" not in jwt.decode(api[0].headers["DPoP"], options={"verify_signature": False})
    assert jwt.decode(api[1].headers["DPoP"], options={"verify_signature": False})["nonce"] == "rs-nonce"
    assert len(endpoint.issued) == 1


# ------------------------------------------------------------------ keys


def test_key_loading_variants():
    assert load_private_key(pem(rsa_key()), "k").alg == "RS256"
    assert load_private_key(pem(ec_key()), None).alg == "ES256"
    assert load_private_key(pem(ec_key(ec.SECP384R1)), None).alg == "ES384"
    jwk = load_private_key(jwk_json(rsa_key(), kid="from-jwk"))
    assert jwk.alg == "RS256" and jwk.kid == "from-jwk"
    assert load_private_key(jwk_json(ec_key(), kid="e1"), "explicit").kid == "explicit"
    keyset = json.dumps({"keys": [json.loads(jwk_json(ec_key()))]})
    assert load_private_key(keyset).alg == "ES256"
    assert "private" in repr(load_private_key(pem(rsa_key())))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a key",
        "{not json",
        json.dumps({"kty": "RSA", "n": "abc", "e": "AQAB"}),  # a public JWK
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ],
)
def test_bad_keys_are_config_errors_that_never_quote_the_key(text):
    with pytest.raises(ConfigError) as info:
        load_private_key(text)
    assert "private_key" in info.value.message
    if len(text) > 8:
        assert text not in info.value.message


def test_encrypted_and_small_keys_refused():
    enc = rsa_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"pw")).decode()
    with pytest.raises(ConfigError, match="encrypted"):
        load_private_key(enc)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ConfigError, match="2048"):
        load_private_key(pem(small))
