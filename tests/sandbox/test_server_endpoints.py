"""Each read-only endpoint answers with Okta's JSON shapes; unknown paths/ids and non-GETs get Okta's errors."""

from __future__ import annotations

import pytest
import requests
from sandbox_orgs_helper import SUPER_TOKEN, small_org, uid

H = {"Authorization": f"SSWS {SUPER_TOKEN}"}

LIST_PATHS = [
    "/api/v1/org/contacts", "/api/v1/org/factors", "/api/v1/users", "/api/v1/users/{u}/factors",
    "/api/v1/users/{u}/roles", "/api/v1/users/{u}/groups", "/api/v1/groups", "/api/v1/groups/{g}/users",
    "/api/v1/groups/{g}/roles", "/api/v1/groups/rules", "/api/v1/apps", "/api/v1/apps/{a}/users",
    "/api/v1/apps/{a}/groups", "/api/v1/policies?type=OKTA_SIGN_ON", "/api/v1/policies/{p}/rules",
    "/api/v1/policies/{p}/mappings", "/api/v1/authenticators", "/api/v1/zones", "/api/v1/idps",
    "/api/v1/authorizationServers", "/api/v1/authorizationServers/aus1/policies",
    "/api/v1/authorizationServers/aus1/policies/00pas1/rules", "/api/v1/api-tokens", "/api/v1/trustedOrigins",
    "/api/v1/eventHooks", "/api/v1/inlineHooks", "/api/v1/logStreams", "/api/v1/behaviors",
    "/api/v1/device-assurances", "/api/v1/devices", "/api/v1/logs",
]
OBJECT_PATHS = [
    "/api/v1/org", "/api/v1/org/privacy/oktaSupport", "/api/v1/users/me", "/api/v1/users/{u}", "/api/v1/groups/{g}",
    "/api/v1/apps/{a}", "/api/v1/policies/{p}", "/api/v1/first-party-app-settings/admin-console",
    "/api/v1/authorizationServers/aus1", "/api/v1/threats/configuration",
]


def fill(path: str) -> str:
    return path.format(u=uid(0), g="00g00000000000000003", a="0oa00000000000000000", p="00p0000000000000signon")


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_endpoints_answer_non_empty_json_arrays(sandbox, path):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + fill(path), headers=H, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert isinstance(body, list) and body, f"{path}: {body!r}"
    assert all(isinstance(o, dict) for o in body)


@pytest.mark.parametrize("path", OBJECT_PATHS)
def test_object_endpoints_answer_json_objects(sandbox, path):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + fill(path), headers=H, timeout=5)
    assert r.status_code == 200, r.text
    assert isinstance(r.json(), dict) and r.json()


def test_well_known_needs_no_auth_and_names_pipeline_and_org_url(sandbox):
    sb = sandbox(org=small_org(pipeline="v1"))
    r = requests.get(sb.url + "/.well-known/okta-organization", timeout=5)
    assert r.status_code == 200
    assert r.json() == {"id": "00o1sandbox", "pipeline": "v1", "_links": {"organization": {"href": sb.url}}}


def test_users_me_is_the_tokens_user_and_user_objects_carry_self_links(sandbox):
    sb = sandbox(org=small_org())
    me = requests.get(sb.url + "/api/v1/users/me", headers=H, timeout=5).json()
    assert me["id"] == uid(0)
    assert me["_links"]["self"]["href"] == f"{sb.url}/api/v1/users/{uid(0)}"
    by_login = requests.get(sb.url + "/api/v1/users/user3@example.com", headers=H, timeout=5).json()
    assert by_login["id"] == uid(3)


def test_user_groups_and_group_members_agree(sandbox):
    sb = sandbox(org=small_org(users=12, groups=3))
    members = requests.get(sb.url + "/api/v1/groups/00g00000000000000001/users", headers=H, timeout=5).json()
    assert [m["id"] for m in members] == [uid(i) for i in range(12) if i % 3 == 1]
    groups = requests.get(sb.url + f"/api/v1/users/{uid(4)}/groups", headers=H, timeout=5).json()
    assert {g["id"] for g in groups} == {"00g00000000000000000", "00g00000000000000001"}


def test_unknown_path_is_404_e0000022(sandbox):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + "/api/v1/nope", headers=H, timeout=5)
    assert r.status_code == 404
    assert r.json()["errorCode"] == "E0000022"
    assert set(r.json()) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/api/v1/users/00unope", "User"), ("/api/v1/groups/00gnope/users", "UserGroup"),
     ("/api/v1/apps/0oanope/users", "AppInstance"), ("/api/v1/policies/00pnope/rules", "Policy")],
)
def test_unknown_id_is_404_e0000007(sandbox, path, kind):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + path, headers=H, timeout=5)
    assert r.status_code == 404
    assert r.json()["errorCode"] == "E0000007"
    assert kind in r.json()["errorSummary"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_on_read_only_paths_are_405(sandbox, method):
    sb = sandbox(org=small_org())
    r = requests.request(method, sb.url + "/api/v1/users", headers=H, json={"profile": {}}, timeout=5)
    assert r.status_code == 405
    assert r.json()["errorCode"] == "E0000022"
    assert r.headers["Allow"] == "GET"


def test_policies_require_a_type(sandbox):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + "/api/v1/policies", headers=H, timeout=5)
    assert r.status_code == 400 and r.json()["errorCode"] == "E0000001"
    r = requests.get(sb.url + "/api/v1/policies?type=BOGUS", headers=H, timeout=5)
    assert r.status_code == 400 and r.json()["errorCode"] == "E0000001"
    r = requests.get(sb.url + "/api/v1/policies?type=PASSWORD", headers=H, timeout=5)
    assert [p["type"] for p in r.json()] == ["PASSWORD"]


def test_classic_org_lacks_authenticators_but_answers_org_factors(sandbox):
    sb = sandbox(org=small_org(pipeline="v1"))
    r = requests.get(sb.url + "/api/v1/authenticators", headers=H, timeout=5)
    assert r.status_code == 401 and r.json()["errorCode"] == "E0000015"
    assert requests.get(sb.url + "/api/v1/org/factors", headers=H, timeout=5).status_code == 200


def test_missing_features_answer_e0000015_and_org_is_read_per_request(sandbox):
    org = small_org()
    sb = sandbox(org=org)
    assert requests.get(sb.url + "/api/v1/logStreams", headers=H, timeout=5).status_code == 200
    org.missing_features.add("log_streams")
    r = requests.get(sb.url + "/api/v1/logStreams", headers=H, timeout=5)
    assert r.status_code == 401 and r.json()["errorCode"] == "E0000015"
    org.threat_insight = {"action": "block", "excludeZones": []}
    assert requests.get(sb.url + "/api/v1/threats/configuration", headers=H, timeout=5).json()["action"] == "block"


def test_inline_hooks_filter_by_type(sandbox):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + "/api/v1/inlineHooks?type=com.okta.import.transform", headers=H, timeout=5)
    assert r.json() == []
    r = requests.get(sb.url + "/api/v1/inlineHooks?type=com.okta.oauth2.tokens.transform", headers=H, timeout=5)
    assert len(r.json()) == 1


def test_iam_assignees_page_in_a_body_wrapper(sandbox):
    org = small_org()
    for i in range(3, 108):
        org.user_roles[uid(i)] = [{"id": f"ra{i}", "type": "USER_ADMIN"}]
    sb = sandbox(org=org)
    r = requests.get(sb.url + "/api/v1/iam/assignees/users", headers=H, timeout=5)
    body = r.json()
    assert len(body["value"]) == 100
    assert "Link" not in r.headers
    assert body["value"][0]["orn"] == f"orn:okta:directory:00o1sandbox:users:{uid(0)}"
    r2 = requests.get(body["_links"]["next"]["href"], headers=H, timeout=5).json()
    assert len(r2["value"]) == 7 and r2["_links"] == {}
    assert len({v["id"] for v in body["value"] + r2["value"]}) == 107
