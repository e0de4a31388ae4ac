"""Error classification: errorCode and WWW-Authenticate become typed errors that say what to do."""

from __future__ import annotations

import pytest
from client_support import ORG, base_config, well_known_body

from connector_okta.client import (
    CredentialsError,
    FeatureNotAvailable,
    NotFound,
    OktaError,
    PermissionDenied,
    ResponseError,
    UnsafeURLError,
)
from connector_okta.client.errors import classify, parse_www_authenticate
from connector_okta.client.routes import bucket_for, route_template, scope_for_path


def err(code, summary="x"):
    return {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oae1", "errorCauses": []}


def test_invalid_api_token_is_a_credentials_error(okta, make_client):
    okta.get(f"{ORG}/api/v1/users/me", status_code=401, json=err("E0000011", "Invalid token provided"),
             headers={"X-Okta-Request-Id": "XrQ1"})
    with pytest.raises(CredentialsError) as info:
        make_client().get("/api/v1/users/me")
    e = info.value
    assert (e.kind, e.status, e.error_code, e.request_id) == ("credentials", 401, "E0000011", "XrQ1")
    assert "new API token" in e.message and "XrQ1" in str(e)


def test_e0000015_is_a_missing_feature_not_bad_credentials(okta, make_client):
    okta.get(f"{ORG}/api/v1/authenticators", status_code=401,
             json=err("E0000015", "You do not have permission to access the feature you are requesting"))
    with pytest.raises(FeatureNotAvailable) as info:
        make_client().get("/api/v1/authenticators")
    assert info.value.kind == "feature" and info.value.status == 401


def test_oie_only_path_404_on_classic_is_feature_not_available(okta, make_client):
    okta.get(f"{ORG}/.well-known/okta-organization", json=well_known_body(pipeline="v1"))
    okta.get(f"{ORG}/api/v1/authenticators", status_code=404, json=err("E0000007"))
    okta.get(f"{ORG}/api/v1/users/00u1abcdEFGH2345ijkl", status_code=404, json=err("E0000007"))
    client = make_client()
    with pytest.raises(FeatureNotAvailable, match="Classic"):
        client.get("/api/v1/authenticators")
    with pytest.raises(NotFound) as info:
        client.get("/api/v1/users/00u1abcdEFGH2345ijkl")
    assert info.value.kind == "not_found"


def test_insufficient_scope_names_the_scope_from_www_authenticate(okta, make_client):
    www = ('DPoP algs="RS256 ES256", authorization_uri="https://acme.okta.com/oauth2/v1/authorize", '
           'realm="https://acme.okta.com", scope="okta.policies.read", error="insufficient_scope", '
           'error_description="The access token provided does not contain the required scopes.", '
           'resource="/api/v1/policies"')
    okta.get(f"{ORG}/api/v1/policies", status_code=403, headers={"WWW-Authenticate": www})
    with pytest.raises(PermissionDenied) as info:
        make_client().get("/api/v1/policies", {"type": "OKTA_SIGN_ON"})
    e = info.value
    assert e.kind == "permission" and e.reason == "scope" and e.missing_scope == "okta.policies.read"
    assert "grant okta.policies.read" in e.message


def test_insufficient_scope_without_scope_param_uses_the_paths_scope(okta, make_client):
    okta.get(f"{ORG}/api/v1/zones", status_code=403, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
    with pytest.raises(PermissionDenied) as info:
        make_client().get("/api/v1/zones")
    assert info.value.missing_scope == "okta.networkZones.read"


def test_e0000006_is_a_role_problem(okta, make_client):
    okta.get(f"{ORG}/api/v1/iam/assignees/users", status_code=403,
             json=err("E0000006", "You do not have permission to perform the requested action"))
    with pytest.raises(PermissionDenied) as info:
        make_client().get("/api/v1/iam/assignees/users")
    assert info.value.reason == "role" and "admin lacks the role" in info.value.message
    assert info.value.missing_scope == "okta.roles.read"


def test_html_answer_is_a_response_error(okta, make_client):
    okta.get(f"{ORG}/api/v1/users", text="<html>login</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(ResponseError) as info:
        make_client().get("/api/v1/users")
    assert info.value.kind == "internal" and "not JSON" in info.value.message


def test_oversized_body_is_refused(okta, make_client):
    okta.get(f"{ORG}/api/v1/users", json=[{"id": "x" * 5000}])
    with pytest.raises(ResponseError, match="limit"):
        make_client(max_body_bytes=1000).get("/api/v1/users")


def test_unknown_4xx_is_an_internal_error_with_summary(okta, make_client):
    okta.get(f"{ORG}/api/v1/logs", status_code=400, json=err("E0000053", "Invalid parameter: since"))
    with pytest.raises(OktaError) as info:
        make_client().get("/api/v1/logs")
    assert info.value.kind == "internal" and "Invalid parameter" in info.value.message


def test_not_an_okta_org_is_refused_before_any_credential_is_sent(okta, make_client):
    okta.get(f"{ORG}/.well-known/okta-organization", status_code=404, text="nope")
    api = okta.get(f"{ORG}/api/v1/users", json=[])
    with pytest.raises(UnsafeURLError, match="not an Okta org"):
        make_client().get("/api/v1/users")
    assert api.call_count == 0


def test_parse_www_authenticate():
    got = parse_www_authenticate('Bearer realm="x", error="invalid_token", error_description="The token, \\"old\\"", scope=okta.users.read')
    assert got["error"] == "invalid_token" and got["scope"] == "okta.users.read"
    assert parse_www_authenticate(None) == {}


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/v1/users/00u1abcdEFGH2345ijkl/roles", "/api/v1/users/{id}/roles"),
        ("/api/v1/users/me", "/api/v1/users/{id}"),
        ("/api/v1/users/jane@example.com", "/api/v1/users/{id}"),
        ("/api/v1/groups/rules", "/api/v1/groups/rules"),
        ("/api/v1/authorizationServers/default/policies", "/api/v1/authorizationServers/{id}/policies"),
        ("/api/v1/iam/assignees/users", "/api/v1/iam/assignees/users"),
        ("/api/v1/apps/0oa1abcdEFGH2345ijkl/users?limit=500", "/api/v1/apps/{id}/users"),
        ("/", "/"),
    ],
)
def test_route_templates(path, template):
    assert route_template(path) == template


def test_buckets_and_scopes():
    assert bucket_for("GET", "/api/v1/apps/{id}/users") == "apps"
    assert bucket_for("GET", "/api/v1/apps/{id}") == "app_by_id"
    assert bucket_for("GET", "/api/v1/users") == "users"
    assert bucket_for("GET", "/api/v1/users/{id}") == "user_by_id"
    assert bucket_for("GET", "/api/v1/logs") == "logs"
    assert bucket_for("GET", "/api/v1/policies") == "default"
    assert bucket_for("POST", "/oauth2/v1/token") == "oauth_token"
    assert scope_for_path("/api/v1/users/00u1abcdEFGH2345ijkl/roles") == "okta.roles.read"
    assert scope_for_path("/api/v1/users/00u1abcdEFGH2345ijkl/factors") == "okta.users.read"
    assert scope_for_path("/api/v1/org/privacy/oktaSupport") == "okta.orgs.read"
    assert scope_for_path("/nothing") is None


def test_classify_without_body_or_headers_never_crashes():
    for status in (400, 401, 403, 404, 405, 429, 500, 503):
        e = classify(status, None, {}, path="/api/v1/x", route="/api/v1/x")
        assert isinstance(e, OktaError) and e.message


def test_error_dicts_for_sync_messages(okta, make_client):
    okta.get(f"{ORG}/api/v1/users/me", status_code=401, json=err("E0000011"), headers={"X-Okta-Request-Id": "r1"})
    with pytest.raises(CredentialsError) as info:
        make_client(base_config()).get("/api/v1/users/me")
    assert info.value.to_dict() == {"kind": "credentials", "message": str(info.value), "request_id": "r1"}


def test_errors_survive_pickling():
    import pickle

    for err in (OktaError("internal", "m", 500, "E0000009", "r"), CredentialsError("bad", 401, "E0000011", "r1"),
                PermissionDenied("no", 403, missing_scope="okta.users.read", reason="scope"),
                ResponseError("cut", kind="transient"), UnsafeURLError("evil")):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and back.__dict__ == err.__dict__ and str(back) == str(err)
