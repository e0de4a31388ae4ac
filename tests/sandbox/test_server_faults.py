"""Every injected fault fires deterministically on its path pattern and request count."""

from __future__ import annotations

import json
import time

import pytest
import requests
from okta_sandbox import Fault, Faults
from okta_sandbox.faults import KINDS
from sandbox_orgs_helper import SUPER_TOKEN, small_org

H = {"Authorization": f"SSWS {SUPER_TOKEN}"}


def get(sb, path, **kw):
    return requests.get(sb.url + path, headers=H, timeout=5, **kw)


def test_parse_spec_strings():
    f = Fault.parse("error:/api/v1/users*:after=1,count=3,status=503")
    assert (f.kind, f.path, f.after, f.count, f.status) == ("error", "/api/v1/users*", 1, 3, 503)
    assert Fault.parse("slow:delay=0.5") == Fault("slow", delay=0.5)
    assert Fault.parse("forbidden:/api/v1/apps:count=all").count is None
    with pytest.raises(ValueError):
        Fault.parse("meteor:/x")
    with pytest.raises(ValueError):
        Fault.parse("error:/x:colour=red")


def test_5xx_burst_hits_only_the_chosen_requests(sandbox):
    sb = sandbox(org=small_org(), faults=["error:/api/v1/users:after=1,count=3,status=503"])
    codes = [get(sb, "/api/v1/users").status_code for _ in range(6)]
    assert codes == [200, 503, 503, 503, 200, 200]
    assert get(sb, "/api/v1/groups").status_code == 200
    assert sb.stats()["faults_fired"] == {"error:/api/v1/users": 3}


def test_500_has_okta_body(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("error", "/api/v1/apps")])
    r = get(sb, "/api/v1/apps")
    assert r.status_code == 500 and r.json()["errorCode"] == "E0000009" and "X-Okta-Request-Id" in r.headers


def test_connection_reset(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("reset", "/api/v1/users")])
    with pytest.raises(requests.ConnectionError):
        get(sb, "/api/v1/users")
    assert get(sb, "/api/v1/users").status_code == 200


def test_slow_response(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("slow", "/api/v1/org", delay=0.4)])
    with pytest.raises(requests.Timeout):
        requests.get(sb.url + "/api/v1/org", headers=H, timeout=0.15)
    t0 = time.monotonic()
    assert get(sb, "/api/v1/org").status_code == 200  # the fault fired once only
    assert time.monotonic() - t0 < 0.3


def test_trickling_body_arrives_whole_but_slowly(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("trickle", "/api/v1/users", chunk=512, delay=0.02)])
    t0 = time.monotonic()
    r = get(sb, "/api/v1/users")
    assert r.status_code == 200 and len(r.json()) == 26
    assert time.monotonic() - t0 >= 0.1


def test_truncated_body(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("truncate", "/api/v1/users")])
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        get(sb, "/api/v1/users")
    assert get(sb, "/api/v1/users").status_code == 200


def test_html_error_page(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("html", "/api/v1/groups"), Fault("html", "/api/v1/apps", status=200)])
    r = get(sb, "/api/v1/groups")
    assert r.status_code == 502 and r.headers["Content-Type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    r = get(sb, "/api/v1/apps")
    assert r.status_code == 200 and r.text.startswith("<!DOCTYPE html>")


def test_next_equal_to_self(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("next_self", "/api/v1/users", after=1)])
    page1 = get(sb, "/api/v1/users?limit=5")
    page2 = requests.get(page1.links["next"]["url"], headers=H, timeout=5)
    assert page2.links["next"]["url"] == page2.links["self"]["url"] == page1.links["next"]["url"]


def test_repeated_cursor(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("repeat_cursor", "/api/v1/users", after=1)])
    page1 = get(sb, "/api/v1/users?limit=5")
    page2 = requests.get(page1.links["next"]["url"], headers=H, timeout=5)
    nxt, self_ = page2.links["next"]["url"], page2.links["self"]["url"]
    assert nxt != self_
    cursor = requests.utils.urlparse(self_).query.split("after=")[1].split("&")[0]
    assert f"after={cursor}" in nxt
    assert requests.get(nxt, headers=H, timeout=5).json() == page2.json()


def test_next_link_on_another_host(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("foreign_next", "/api/v1/users")])
    r = get(sb, "/api/v1/users?limit=5")
    assert r.links["next"]["url"].startswith("http://evil.example.test/api/v1/users?")
    assert r.links["self"]["url"].startswith(sb.url)


def test_foreign_next_in_a_body_wrapper(sandbox):
    org = small_org()
    for i in range(3, 120):
        org.user_roles[f"00u{i:017d}"] = [{"type": "USER_ADMIN"}]
    sb = sandbox(org=org, faults=[Fault("foreign_next", "/api/v1/iam/*")])
    body = get(sb, "/api/v1/iam/assignees/users").json()
    assert body["_links"]["next"]["href"].startswith("http://evil.example.test/")


def test_token_revoked_after_n_requests(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("revoke", "/api/v1/*", after=3)])
    codes = [get(sb, "/api/v1/users").status_code for _ in range(3)]
    r = get(sb, "/api/v1/groups")
    assert codes == [200, 200, 200] and r.status_code == 401 and r.json()["errorCode"] == "E0000011"
    assert get(sb, "/api/v1/users").status_code == 401


def test_forbidden_collection_and_missing_feature(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("forbidden", "/api/v1/apps*", count=None),
                                          Fault("feature", "/api/v1/behaviors", count=None)])
    for _ in range(2):
        r = get(sb, "/api/v1/apps/0oa00000000000000000/users")
        assert r.status_code == 403 and r.json()["errorCode"] == "E0000006"
        r = get(sb, "/api/v1/behaviors")
        assert r.status_code == 401 and r.json()["errorCode"] == "E0000015"
    assert get(sb, "/api/v1/groups").status_code == 200


def test_rate_limit_storm_and_concurrency_storm(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("rate_limit", "/api/v1/users", count=2),
                                          Fault("concurrency", "/api/v1/groups", count=2)])
    r = get(sb, "/api/v1/users")
    assert r.status_code == 429 and r.headers["X-Rate-Limit-Remaining"] == "0"
    assert int(r.headers["X-Rate-Limit-Limit"]) > 0 and int(r.headers["X-Rate-Limit-Reset"]) >= int(time.time())
    r = get(sb, "/api/v1/groups")
    assert r.status_code == 429 and r.headers["X-Rate-Limit-Limit"] == "0" and r.json()["errorCode"] == "E0000047"
    assert [get(sb, "/api/v1/users").status_code, get(sb, "/api/v1/users").status_code] == [429, 200]
    assert sb.stats()["throttled_by_kind"] == {"rate": 2, "concurrency": 1}


def test_oversized_response_is_valid_json(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("oversized", "/api/v1/groups", size=3_000_000)])
    r = get(sb, "/api/v1/groups")
    assert int(r.headers["Content-Length"]) == 3_000_000
    assert len(r.json()) == 5


def test_status_fault_parses_the_short_form_and_answers_okta_bodies(sandbox):
    f = Fault.parse("status=404:/api/v1/apps/*/users:parents=2")
    assert (f.kind, f.status, f.path, f.parents, f.parent_count) == ("status", 404, "/api/v1/apps/*/users", "2", 2)
    assert Fault.parse("malformed=list:/api/v1/org").shape == "list"
    with pytest.raises(ValueError):
        Fault.parse("status:/x")  # a status fault needs its status
    with pytest.raises(ValueError):
        Fault.parse("revoke=3:/x")
    sb = sandbox(org=small_org(), faults=["status=400:/api/v1/groups:count=all", "status=503:/api/v1/apps"])
    r = get(sb, "/api/v1/groups")
    assert r.status_code == 400 and r.json()["errorCode"] == "E0000001" and r.headers["X-Okta-Request-Id"]
    r = get(sb, "/api/v1/apps")
    assert r.status_code == 503 and r.json()["errorCode"] == "E0000010"
    assert get(sb, "/api/v1/apps").status_code == 200


def test_parents_fault_fails_some_parents_persistently(sandbox):
    org = small_org()
    apps = [a["id"] for a in org.apps]
    sb = sandbox(org=org, faults=["status=404:/api/v1/apps/*/users:parents=2"])
    codes = {a: [get(sb, f"/api/v1/apps/{a}/users").status_code for _ in range(3)] for a in apps}
    assert codes[apps[0]] == codes[apps[1]] == [404, 404, 404]  # the first two parents asked, every time
    assert all(c == [200, 200, 200] for a, c in codes.items() if a not in apps[:2])
    assert get(sb, f"/api/v1/apps/{apps[0]}").status_code == 200  # the parent itself is there
    sb.faults = Faults.of([f"forbidden:/api/v1/apps/*/groups:parents={apps[-1]}"])
    assert get(sb, f"/api/v1/apps/{apps[-1]}/groups").status_code == 403
    assert get(sb, f"/api/v1/apps/{apps[0]}/groups").status_code == 200


def test_query_fault_fails_one_series_only(sandbox):
    sb = sandbox(org=small_org(), faults=["status=400:/api/v1/policies:query=type=PASSWORD,count=all"])
    assert get(sb, "/api/v1/policies?type=PASSWORD").status_code == 400
    assert get(sb, "/api/v1/policies?type=OKTA_SIGN_ON").status_code == 200
    assert get(sb, "/api/v1/policies", params={"type": "PASSWORD"}).status_code == 400


@pytest.mark.parametrize(("shape", "expect"), [("text", None), ("string", "unexpected"),
                                                ("object", {"unexpected": "object"}), ("list", ["unexpected"]),
                                                ("null", None)])
def test_malformed_bodies(sandbox, shape, expect):
    sb = sandbox(org=small_org(), faults=[f"malformed={shape}:/api/v1/threats/configuration"])
    r = get(sb, "/api/v1/threats/configuration")
    assert r.status_code == 200
    if shape == "text":
        with pytest.raises(ValueError):
            r.json()
    else:
        assert r.json() == expect


def test_every_kind_is_covered_here():
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    assert all(f'"{kind}' in source for kind in KINDS)
    assert isinstance(Faults.of(["slow"]), Faults)
