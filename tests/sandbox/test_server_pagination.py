"""Pagination like Okta (Link header variants, cursors, limits) and the users listing quirks and filters."""

from __future__ import annotations

import pytest
import requests
from okta_sandbox.pagination import LINK_STYLE, PAGE_LIMITS
from sandbox_orgs_helper import SUPER_TOKEN, small_org, uid

H = {"Authorization": f"SSWS {SUPER_TOKEN}"}


def walk(url: str) -> tuple[list[dict], list[requests.Response]]:
    items, responses, seen = [], [], set()
    while url:
        assert url not in seen, "pagination looped"
        seen.add(url)
        r = requests.get(url, headers=H, timeout=5)
        assert r.status_code == 200, r.text
        responses.append(r)
        items.extend(r.json())
        url = r.links.get("next", {}).get("url")
        assert len(responses) < 100
    return items, responses


def test_users_pages_follow_next_until_it_is_absent(sandbox):
    sb = sandbox(org=small_org(users=70))
    items, responses = walk(sb.url + "/api/v1/users?limit=25")
    expected = [uid(i) for i in range(70) if i % 7 != 3]  # DEPROVISIONED users omitted
    assert [u["id"] for u in items] == expected
    assert [len(r.json()) for r in responses] == [25, 25, 10]
    assert "next" not in responses[-1].links and responses[-1].links["self"]["url"].startswith(sb.url)


def test_link_header_is_split_or_joined_by_endpoint(sandbox):
    assert LINK_STYLE["users"] == "split" and LINK_STYLE["groups"] == "joined"
    sb = sandbox(org=small_org(users=20, groups=6))
    r = requests.get(sb.url + "/api/v1/users?limit=5", headers=H, timeout=5, stream=True)
    lines = r.raw.headers.getlist("Link")
    assert len(lines) == 2 and lines[0].endswith('rel="self"') and lines[1].endswith('rel="next"')
    r = requests.get(sb.url + "/api/v1/groups?limit=2", headers=H, timeout=5, stream=True)
    lines = r.raw.headers.getlist("Link")
    assert len(lines) == 1 and 'rel="self", <' in lines[0] and lines[0].endswith('rel="next"')


@pytest.mark.parametrize(
    ("path", "key", "count"),
    [("/api/v1/users", "users", 250), ("/api/v1/zones", "zones", 25), ("/api/v1/groups/rules", "group_rules", 3)],
)
def test_limit_is_clamped_to_the_maximum_and_defaults_apply(sandbox, path, key, count):
    org = small_org(users=292)
    sb = sandbox(org=org)
    spec = PAGE_LIMITS[key]
    r = requests.get(sb.url + path + "?limit=100000", headers=H, timeout=5)
    assert len(r.json()) == min(count, spec.maximum)
    r = requests.get(sb.url + path, headers=H, timeout=5)
    assert len(r.json()) == min(count, spec.default)


def test_policy_rules_page_at_50_by_default(sandbox):
    sb = sandbox(org=small_org())
    items, responses = walk(sb.url + "/api/v1/policies/00p0000000000000signon/rules")
    assert [len(r.json()) for r in responses] == [50, 10] and len({i["id"] for i in items}) == 60


def test_next_keeps_filters_and_paging_sees_posture_changes_between_listings(sandbox):
    org = small_org(users=40)
    sb = sandbox(org=org)
    f = 'status eq "SUSPENDED" or status eq "DEPROVISIONED"'
    items, responses = walk(sb.url + "/api/v1/users?" + requests.compat.urlencode({"filter": f, "limit": 3}))
    assert {u["status"] for u in items} == {"SUSPENDED", "DEPROVISIONED"}
    assert len(items) == sum(1 for i in range(40) if i % 7 in (2, 3))
    assert "filter=" in responses[0].links["next"]["url"]
    org.users[0]["status"] = "SUSPENDED"  # a posture change: the next listing sees it
    again, _ = walk(sb.url + "/api/v1/users?" + requests.compat.urlencode({"filter": f, "limit": 3}))
    assert again[0]["id"] == uid(0)


def test_deprovisioned_users_only_with_a_filter_or_search(sandbox):
    sb = sandbox(org=small_org(users=21))
    plain = requests.get(sb.url + "/api/v1/users", headers=H, timeout=5).json()
    assert "DEPROVISIONED" not in {u["status"] for u in plain} and len(plain) == 18
    r = requests.get(sb.url + "/api/v1/users", params={"search": 'status eq "DEPROVISIONED"'}, headers=H, timeout=5)
    assert [u["id"] for u in r.json()] == [uid(3), uid(10), uid(17)]
    every = " or ".join(f'status eq "{s}"' for s in
                        ["ACTIVE", "SUSPENDED", "DEPROVISIONED", "PROVISIONED", "STAGED", "LOCKED_OUT"])
    r = requests.get(sb.url + "/api/v1/users", params={"filter": every}, headers=H, timeout=5)
    assert len(r.json()) == 21


def test_last_updated_and_compound_filters(sandbox):
    sb = sandbox(org=small_org(users=24))
    r = requests.get(sb.url + "/api/v1/users", params={"filter": 'lastUpdated gt "2024-10-01T00:00:00.000Z"'},
                     headers=H, timeout=5)
    assert [u["id"] for u in r.json()] == [uid(i) for i in range(24) if 1 + i % 12 >= 10]
    f = 'lastUpdated gt "2024-10-01T00:00:00Z" and (status eq "ACTIVE" or status eq "DEPROVISIONED")'
    r = requests.get(sb.url + "/api/v1/users", params={"filter": f}, headers=H, timeout=5)
    assert [u["id"] for u in r.json()] == [uid(i) for i in range(24) if 1 + i % 12 >= 10 and i % 7 in (0, 1, 3)]
    r = requests.get(sb.url + "/api/v1/users", params={"search": 'profile.login sw "user1"'}, headers=H, timeout=5)
    assert {u["id"] for u in r.json()} == {uid(1)} | {uid(i) for i in range(10, 20)}
    r = requests.get(sb.url + "/api/v1/groups", params={"filter": 'lastUpdated gt "2024-03-15T00:00:00.000Z"'},
                     headers=H, timeout=5)
    assert [g["profile"]["name"] for g in r.json()] == ["Group 3", "Group 4"]


def test_bad_filter_and_bad_cursor_are_400(sandbox):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + "/api/v1/users", params={"filter": 'status eq'}, headers=H, timeout=5)
    assert r.status_code == 400 and r.json()["errorCode"] == "E0000031"
    r = requests.get(sb.url + "/api/v1/users", params={"after": "!!not-a-cursor!!"}, headers=H, timeout=5)
    assert r.status_code == 400 and r.json()["errorCode"] == "E0000054"


def test_q_omits_deprovisioned_and_does_not_page(sandbox):
    sb = sandbox(org=small_org(users=40))
    r = requests.get(sb.url + "/api/v1/users", params={"q": "user"}, headers=H, timeout=5)
    assert len(r.json()) == 10 and "next" not in r.links


def test_logs_polling_always_has_next_and_bounded_queries_end(sandbox):
    sb = sandbox(org=small_org(logs=7))
    r = requests.get(sb.url + "/api/v1/logs?limit=5", headers=H, timeout=5)
    assert len(r.json()) == 5
    r2 = requests.get(r.links["next"]["url"], headers=H, timeout=5)
    assert [e["uuid"] for e in r2.json()] == ["evt00005", "evt00006"] and "next" in r2.links
    r3 = requests.get(r2.links["next"]["url"], headers=H, timeout=5)
    assert r3.json() == [] and "next" in r3.links
    bounded = {"since": "2024-06-01T00:00:00.000Z", "until": "2024-06-01T00:00:05.000Z", "limit": "3"}
    items, responses = walk(sb.url + "/api/v1/logs?" + requests.compat.urlencode(bounded))
    assert [e["uuid"] for e in items] == [f"evt0000{i}" for i in range(5)] and len(responses) == 2


def test_group_members_page_in_id_order(sandbox):
    sb = sandbox(org=small_org(users=30, groups=2))
    items, responses = walk(sb.url + "/api/v1/groups/00g00000000000000000/users?limit=7")
    assert [u["id"] for u in items] == [uid(i) for i in range(30)]
    assert len(responses) == 5
