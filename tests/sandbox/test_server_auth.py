"""Auth like Okta: SSWS tokens, OAuth client_credentials with private_key_jwt (RS256, ES256), DPoP,
scope refusals with WWW-Authenticate, and Super-Admin-only reads refused to a read-only admin."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from okta_sandbox.auth import new_oauth_client
from okta_sandbox.routes import ROUTES, SUPER_ADMIN_ONLY
from sandbox_orgs_helper import NOBODY_TOKEN, READONLY_TOKEN, SUPER_TOKEN, small_org

SUPER_ONLY_PATHS = {
    "org_support": "/api/v1/org/privacy/oktaSupport",
    "iam_assignees": "/api/v1/iam/assignees/users",
    "user_roles": "/api/v1/users/00u00000000000000000/roles",
    "group_roles": "/api/v1/groups/00g00000000000000003/roles",
    "log_streams": "/api/v1/logStreams",
    "api_tokens": "/api/v1/api-tokens",
}


def assertion(client, aud: str, *, exp_in: int = 300, jti: str | None = None, iss: str | None = None) -> str:
    now = int(time.time())
    key = client.jwks["keys"][0]
    claims = {"iss": iss or client.client_id, "sub": client.client_id, "aud": aud, "iat": now, "exp": now + exp_in,
              "jti": jti or str(uuid.uuid4())}
    return jwt.encode(claims, client.private_key_pem, algorithm=key["alg"], headers={"kid": key["kid"]})


def token_form(client, aud: str, scope: str, **kw) -> dict:
    return {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(client, aud, **kw),
    }


class DPoPKey:
    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))

    def proof(self, htm: str, htu: str, *, nonce: str | None = None, access_token: str | None = None) -> str:
        claims = {"htm": htm, "htu": htu, "iat": int(time.time()), "jti": str(uuid.uuid4())}
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).decode().rstrip("=")
        return jwt.encode(claims, self.private, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self.jwk})


def get(sb, path, auth, **headers):
    return requests.get(sb.url + path, headers={"Authorization": auth, **headers}, timeout=5)


# -- SSWS ---------------------------------------------------------------------------------------


def test_ssws_good_token_reads(sandbox):
    sb = sandbox(org=small_org())
    assert sb.token == SUPER_TOKEN and set(sb.tokens) == {SUPER_TOKEN, READONLY_TOKEN, NOBODY_TOKEN}
    assert get(sb, "/api/v1/org", f"SSWS {SUPER_TOKEN}").status_code == 200


@pytest.mark.parametrize("auth", ["SSWS wrong-token", "", "Basic dXNlcjpwYXNz", f"Bearer {SUPER_TOKEN}", "SSWS "])
def test_bad_credentials_are_401_e0000011(sandbox, auth):
    sb = sandbox(org=small_org())
    r = get(sb, "/api/v1/users", auth)
    assert r.status_code == 401
    assert r.json()["errorCode"] == "E0000011"
    assert r.json()["errorSummary"] == "Invalid token provided"


def test_token_revoked_in_the_org_is_refused(sandbox):
    org = small_org()
    sb = sandbox(org=org)
    org.tokens[SUPER_TOKEN].revoked = True
    assert get(sb, "/api/v1/org", f"SSWS {SUPER_TOKEN}").status_code == 401


@pytest.mark.parametrize("name", sorted(SUPER_ADMIN_ONLY))
def test_read_only_admin_is_refused_super_admin_reads(sandbox, name):
    sb = sandbox(org=small_org())
    path = SUPER_ONLY_PATHS[name]
    r = get(sb, path, f"SSWS {READONLY_TOKEN}")
    assert r.status_code == 403 and r.json()["errorCode"] == "E0000006"
    assert get(sb, path, f"SSWS {SUPER_TOKEN}").status_code == 200


def test_every_super_admin_only_route_exists():
    assert SUPER_ADMIN_ONLY <= {r.name for r in ROUTES}
    assert set(SUPER_ONLY_PATHS) == SUPER_ADMIN_ONLY


def test_read_only_admin_reads_everything_else(sandbox):
    sb = sandbox(org=small_org())
    for path in ["/api/v1/users", "/api/v1/apps", "/api/v1/policies?type=PASSWORD", "/api/v1/org"]:
        assert get(sb, path, f"SSWS {READONLY_TOKEN}").status_code == 200, path


def test_user_without_admin_role_gets_403_but_can_read_itself(sandbox):
    sb = sandbox(org=small_org())
    r = get(sb, "/api/v1/users", f"SSWS {NOBODY_TOKEN}")
    assert r.status_code == 403 and r.json()["errorCode"] == "E0000006"
    assert get(sb, "/api/v1/users/me", f"SSWS {NOBODY_TOKEN}").json()["id"] == "00u00000000000000002"


def test_admin_role_through_a_group_counts(sandbox):
    org = small_org()
    sb = sandbox(org=org)
    org.group_members["00g00000000000000003"].append("00u00000000000000002")
    assert get(sb, "/api/v1/users", f"SSWS {NOBODY_TOKEN}").status_code == 200


# -- OAuth private_key_jwt ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_private_key_jwt_grants_requested_and_allowed_scopes(sandbox, alg):
    org = small_org()
    client = new_oauth_client("0oaservice1", ["okta.users.read", "okta.apps.read"], alg=alg)
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    r = requests.post(sb.token_url, data=token_form(client, sb.token_url, "okta.users.read okta.logs.read"), timeout=5)
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 3600 and tok["scope"] == "okta.users.read"
    assert get(sb, "/api/v1/users", f"Bearer {tok['access_token']}").status_code == 200
    assert "private_key_pem" not in repr(client)


def test_scope_refusal_has_www_authenticate(sandbox):
    org = small_org()
    client = new_oauth_client("0oaservice1", ["okta.users.read", "okta.policies.read"])
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    tok = requests.post(sb.token_url, data=token_form(client, sb.token_url, "okta.users.read"), timeout=5).json()
    r = get(sb, "/api/v1/policies?type=PASSWORD", f"Bearer {tok['access_token']}")
    assert r.status_code == 403
    www = r.headers["WWW-Authenticate"]
    assert www.startswith("Bearer ")
    assert 'error="insufficient_scope"' in www
    assert 'error_description="The access token provided does not contain the required scopes."' in www
    assert 'scope="okta.policies.read"' in www and 'resource="/api/v1/policies"' in www


def test_oauth_app_roles_decide_super_admin_reads(sandbox):
    org = small_org()
    client = new_oauth_client("0oaservice1", ["okta.roles.read"], roles=["READ_ONLY_ADMIN"])
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    tok = requests.post(sb.token_url, data=token_form(client, sb.token_url, "okta.roles.read"), timeout=5).json()
    r = get(sb, "/api/v1/iam/assignees/users", f"Bearer {tok['access_token']}")
    assert r.status_code == 403 and r.json()["errorCode"] == "E0000006" and "WWW-Authenticate" not in r.headers
    client.roles = ["SUPER_ADMIN"]
    assert get(sb, "/api/v1/iam/assignees/users", f"Bearer {tok['access_token']}").status_code == 200


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"aud": "http://127.0.0.1:1/oauth2/v1/token"}, "audience"),
        ({"exp_in": 7200}, "too far"),
        ({"exp_in": -600}, "expired"),
        ({"iss": "0oaother"}, "issuer"),
    ],
)
def test_bad_client_assertions_are_invalid_client(sandbox, change, fragment):
    org = small_org()
    client = new_oauth_client("0oaservice1", ["okta.users.read"])
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    aud = change.pop("aud", sb.token_url)
    form = token_form(client, aud, "okta.users.read", **change)
    form["client_id"] = client.client_id
    r = requests.post(sb.token_url, data=form, timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert fragment in r.json()["error_description"]


def test_assertion_signed_by_another_key_and_replayed_jti_are_refused(sandbox):
    org = small_org()
    client = new_oauth_client("0oaservice1", ["okta.users.read"], alg="ES256")
    impostor = new_oauth_client("0oaservice1", ["okta.users.read"], alg="ES256")
    impostor.jwks["keys"][0]["kid"] = client.jwks["keys"][0]["kid"]
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    r = requests.post(sb.token_url, data=token_form(impostor, sb.token_url, "okta.users.read"), timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    form = token_form(client, sb.token_url, "okta.users.read", jti="same-jti")
    assert requests.post(sb.token_url, data=form, timeout=5).status_code == 200
    r = requests.post(sb.token_url, data=form, timeout=5)
    assert r.status_code == 401 and "already been used" in r.json()["error_description"]


def test_no_allowed_scope_and_unknown_client(sandbox):
    org = small_org()
    client = new_oauth_client("0oaservice1", ["okta.users.read"])
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    r = requests.post(sb.token_url, data=token_form(client, sb.token_url, "okta.logs.read"), timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    del org.oauth_clients[client.client_id]
    r = requests.post(sb.token_url, data=token_form(client, sb.token_url, "okta.users.read"), timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_expired_access_token_is_refused(sandbox):
    org = small_org()
    client = new_oauth_client("0oaservice1", ["okta.users.read"])
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org, token_lifetime=1)
    tok = requests.post(sb.token_url, data=token_form(client, sb.token_url, "okta.users.read"), timeout=5).json()
    assert tok["expires_in"] == 1
    assert get(sb, "/api/v1/users", f"Bearer {tok['access_token']}").status_code == 200
    time.sleep(1.1)
    r = get(sb, "/api/v1/users", f"Bearer {tok['access_token']}")
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]


# -- DPoP ----------------------------------------------------------------------------------------


def dpop_token(sb, client, key: DPoPKey) -> dict:
    form = token_form(client, sb.token_url, "okta.users.read")
    r = requests.post(sb.token_url, data=form, headers={"DPoP": key.proof("POST", sb.token_url)}, timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "use_dpop_nonce"
    nonce = r.headers["DPoP-Nonce"]
    r = requests.post(sb.token_url, data=form, headers={"DPoP": key.proof("POST", sb.token_url, nonce=nonce)},
                      timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def test_dpop_nonce_round_trip_and_bound_api_calls(sandbox):
    org = small_org()
    client = new_oauth_client("0oadpop1", ["okta.users.read"], require_dpop=True)
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    key = DPoPKey()
    tok = dpop_token(sb, client, key)
    assert tok["token_type"] == "DPoP"
    at = tok["access_token"]
    url = sb.url + "/api/v1/users"
    ok = requests.get(url + "?limit=2", timeout=5, headers={
        "Authorization": f"DPoP {at}", "DPoP": key.proof("GET", url, access_token=at)})
    assert ok.status_code == 200 and len(ok.json()) == 2
    # a Bearer scheme, a missing proof, a proof without ath, a proof for another URL, another key: refused
    assert get(sb, "/api/v1/users", f"Bearer {at}").status_code == 400
    assert get(sb, "/api/v1/users", f"DPoP {at}").status_code == 400
    assert get(sb, "/api/v1/users", f"DPoP {at}", DPoP=key.proof("GET", url)).status_code == 400
    r = get(sb, "/api/v1/users", f"DPoP {at}", DPoP=key.proof("GET", sb.url + "/api/v1/apps", access_token=at))
    assert r.status_code == 400 and "htu" in r.json()["error_description"]
    r = get(sb, "/api/v1/users", f"DPoP {at}", DPoP=DPoPKey().proof("GET", url, access_token=at))
    assert r.status_code == 400
    proof = key.proof("GET", url, access_token=at)
    assert get(sb, "/api/v1/users", f"DPoP {at}", DPoP=proof).status_code == 200
    assert get(sb, "/api/v1/users", f"DPoP {at}", DPoP=proof).status_code == 400  # replayed proof


def test_dpop_required_but_missing(sandbox):
    org = small_org()
    client = new_oauth_client("0oadpop1", ["okta.users.read"], require_dpop=True)
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    r = requests.post(sb.token_url, data=token_form(client, sb.token_url, "okta.users.read"), timeout=5)
    assert r.status_code == 400 and r.json() == {
        "error": "invalid_dpop_proof", "error_description": "The DPoP proof JWT header is missing."}


def test_dpop_scope_refusal_uses_dpop_scheme(sandbox):
    org = small_org()
    client = new_oauth_client("0oadpop1", ["okta.users.read"], require_dpop=True)
    org.oauth_clients[client.client_id] = client
    sb = sandbox(org=org)
    key = DPoPKey()
    at = dpop_token(sb, client, key)["access_token"]
    url = sb.url + "/api/v1/apps"
    r = get(sb, "/api/v1/apps", f"DPoP {at}", DPoP=key.proof("GET", url, access_token=at))
    assert r.status_code == 403 and r.headers["WWW-Authenticate"].startswith("DPoP algs=")
    assert 'scope="okta.apps.read"' in r.headers["WWW-Authenticate"]


def test_token_endpoint_rejects_get_and_other_grants(sandbox):
    sb = sandbox(org=small_org())
    assert requests.get(sb.token_url, timeout=5).status_code == 405
    r = requests.post(sb.token_url, data={"grant_type": "password"}, timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = requests.post(sb.token_url, data={"grant_type": "client_credentials", "client_secret": "x"}, timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
