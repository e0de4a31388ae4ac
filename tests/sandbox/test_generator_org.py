"""The org generator: determinism, sizes, the lazy user sequence, relationships, credentials."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime

import jwt
import pytest
from okta_sandbox.generator import EVERYONE_GROUP_ID, SERVICE_APP_ID, generate, token_for_role, user_index
from okta_sandbox.ids import id_index, okta_id
from okta_sandbox.model import Org
from okta_sandbox.scenarios import ScenarioError, load_dir
from okta_sandbox.users import STATUSES, LazyUsers, parse_iso_ms

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DAY_MS = 86_400_000


def snapshot(org: Org) -> str:
    """Everything in the org as JSON (users materialised), for equality checks."""
    d = {}
    for f in dataclasses.fields(org):
        v = getattr(org, f.name)
        if f.name == "users":
            v = list(v)
        elif f.name in ("tokens", "oauth_clients"):
            v = {k: dataclasses.asdict(x) for k, x in v.items()}
        elif isinstance(v, set):
            v = sorted(v)
        d[f.name] = v
    return json.dumps(d, sort_keys=True)


@pytest.mark.parametrize("scenario", ["default", "hardened", "weak"])
def test_same_seed_same_org(scenario: str) -> None:
    a = generate(scenario, users=300, seed=7, now=NOW)
    b = generate(scenario, users=300, seed=7, now=NOW)
    assert snapshot(a) == snapshot(b)


def test_other_seed_other_directory() -> None:
    a = generate("default", users=300, seed=1, now=NOW)
    b = generate("default", users=300, seed=2, now=NOW)
    assert [u["profile"]["login"] for u in a.users] != [u["profile"]["login"] for u in b.users]
    assert a.policies == b.policies  # posture comes from the scenario, not the seed


def test_ids_are_okta_shaped_and_sorted() -> None:
    assert okta_id("00u", 0) == "00u00000000000000000"
    assert len(okta_id("00u", 62**5)) == 20
    assert id_index(okta_id("00u", 123456)) == 123456
    org = generate(users=500, now=NOW)
    ids = [u["id"] for u in org.users]
    assert ids == sorted(ids) and len(set(ids)) == 500
    assert all(len(i) == 20 and i.startswith("00u") for i in ids)
    assert user_index(org, ids[321]) == 321


def test_default_sizes_scale_with_users() -> None:
    org = generate(users=2000, now=NOW)
    assert len(org.users) == 2000
    assert len(org.groups) == 2000 // 20
    generated_apps = [
        a for a in org.apps if a["id"] not in ("0oa00000000000000001", "0oa00000000000000002", SERVICE_APP_ID)
    ]
    assert len(generated_apps) == max(5, 2000 // 500)
    small = generate(users=40, now=NOW)
    assert len(small.groups) == 5
    explicit = generate(users=100, groups=12, apps=9, now=NOW)
    assert len(explicit.groups) == 12
    assert len([a for a in explicit.apps if id_index(a["id"]) >= 1000 and a["id"] != SERVICE_APP_ID]) == 9


def test_too_few_users_for_the_admins_is_a_clear_error() -> None:
    with pytest.raises(ScenarioError, match="needs at least"):
        generate("weak", users=3)


def test_unknown_scenario_and_pipeline() -> None:
    with pytest.raises(ScenarioError, match="unknown scenario"):
        generate("nope")
    with pytest.raises(ScenarioError, match="pipeline"):
        generate(pipeline="v2")


def test_statuses_and_last_login_spread() -> None:
    org = generate(users=3000, now=NOW)
    statuses = {u["status"] for u in org.users}
    assert statuses == set(STATUSES)
    counts = org.users.status_counts()
    assert counts["ACTIVE"] > sum(counts.values()) * 0.7
    now_ms = int(NOW.timestamp() * 1000)
    logins = [u["lastLogin"] for u in org.users if u["status"] == "ACTIVE"]
    assert any(x is None for x in logins)
    assert any(x is not None and now_ms - parse_iso_ms(x) > 90 * DAY_MS for x in logins)
    assert any(x is not None and now_ms - parse_iso_ms(x) < 35 * DAY_MS for x in logins)
    for u in org.users[:200]:
        assert parse_iso_ms(u["created"]) <= parse_iso_ms(u["lastUpdated"]) <= now_ms
        assert set(u["profile"]) >= {"login", "email", "firstName", "lastName"}
        assert u["credentials"]["provider"] == {"type": "OKTA", "name": "OKTA"}
        assert u["_links"]["self"]["href"].endswith(f"/api/v1/users/{u['id']}")


def test_lazy_users_sequence_protocol() -> None:
    users = LazyUsers(1000, seed=3, anchor_ms=int(NOW.timestamp() * 1000), cache_size=10)
    assert len(users) == 1000
    assert users[-1]["id"] == users[999]["id"]
    assert [u["id"] for u in users[10:13]] == [okta_id("00u", i) for i in range(10, 13)]
    with pytest.raises(IndexError):
        users[1000]
    first = users[5]
    for i in range(100):  # evict it from the small cache
        users[i + 100]
    assert users[5] == first  # rebuilt identically


def test_indices_with_status_matches_brute_force() -> None:
    org = generate("weak", users=2000, now=NOW)
    users = org.users
    for status in STATUSES:
        assert users.indices_with_status(status) == [i for i, u in enumerate(users) if u["status"] == status]
    # the weak scenario's DEPROVISIONED admin (user 3) is an override; it must be reflected
    assert 3 in users.indices_with_status("DEPROVISIONED")


def test_touch_user_makes_incremental_sync_find_it() -> None:
    org = generate(users=500, now=NOW)
    users = org.users
    high_water = max(parse_iso_ms(u["lastUpdated"]) for u in users)
    assert users.indices_updated_after(high_water) == []
    before = users[42]["lastUpdated"]
    changed = org.touch_user(42, status="SUSPENDED", profile={"title": "Changed"})
    assert changed["status"] == "SUSPENDED" and changed["profile"]["title"] == "Changed"
    assert parse_iso_ms(changed["lastUpdated"]) > max(high_water, parse_iso_ms(before))
    assert changed["profile"]["login"]  # other profile fields kept
    assert users.indices_updated_after(high_water) == [42]
    assert 42 in users.indices_with_status("SUSPENDED")
    second = org.touch_user(7)
    assert parse_iso_ms(second["lastUpdated"]) > parse_iso_ms(changed["lastUpdated"])  # strictly increasing
    assert users.indices_updated_after(high_water) == [7, 42]
    assert users.indices_updated_after(parse_iso_ms(changed["lastUpdated"])) == [7]


def test_touch_user_on_a_plain_list_org() -> None:
    org = Org(users=[{"id": "00u1", "status": "ACTIVE", "lastUpdated": "2020-01-01T00:00:00.000Z"}])
    u = org.touch_user(0, status="SUSPENDED")
    assert u["status"] == "SUSPENDED" and u["lastUpdated"] > "2020-01-01"


def test_groups_and_memberships() -> None:
    org = generate(users=1000, now=NOW)
    ids = {u["id"] for u in org.users}
    assert org.groups[0]["id"] == EVERYONE_GROUP_ID and org.groups[0]["type"] == "BUILT_IN"
    assert len(org.group_members[EVERYONE_GROUP_ID]) == 1000
    group_ids = {g["id"] for g in org.groups}
    assert set(org.group_members) <= group_ids
    per_user: dict[str, int] = {}
    for gid, members in org.group_members.items():
        assert members == sorted(set(members)) and set(members) <= ids
        if gid != EVERYONE_GROUP_ID:
            for m in members:
                per_user[m] = per_user.get(m, 0) + 1
    regular = [u for u in ids if u not in org.user_roles]
    assert all(1 <= per_user.get(u, 0) <= 4 for u in regular)


def test_app_assignments_reference_real_objects() -> None:
    org = generate(users=1000, now=NOW)
    users = {u["id"]: u for u in org.users}
    groups = {g["id"] for g in org.groups}
    for assigned in org.app_users.values():
        assert assigned and all(a["id"] in users and users[a["id"]]["status"] == "ACTIVE" for a in assigned)
    for assigned in org.app_groups.values():
        assert assigned and all(a["id"] in groups for a in assigned)
    app_ids = {a["id"] for a in org.apps}
    assert set(org.app_users) <= app_ids and set(org.app_groups) <= app_ids


def test_every_app_links_an_existing_access_policy_on_idx() -> None:
    org = generate("hardened", users=1000, now=NOW)
    policies = {p["id"] for p in org.policies["ACCESS_POLICY"]}
    for app in org.apps:
        if app["id"] == SERVICE_APP_ID:
            continue
        href = app["_links"]["accessPolicy"]["href"]
        assert href.startswith(org.base_url) and href.rsplit("/", 1)[-1] in policies
    by_name = {a["name"]: a for a in org.apps}
    admin_policy = by_name["saasure"]["_links"]["accessPolicy"]["href"].rsplit("/", 1)[-1]
    dash_policy = by_name["okta_enduser"]["_links"]["accessPolicy"]["href"].rsplit("/", 1)[-1]
    assert [p["name"] for p in org.policies["ACCESS_POLICY"] if p["id"] == admin_policy] == [
        "Okta Admin Console"
    ]
    assert [p["name"] for p in org.policies["ACCESS_POLICY"] if p["id"] == dash_policy] == ["Okta Dashboard"]
    assert org.policy_mappings[admin_policy][0]["id"] == by_name["saasure"]["id"]


def test_admin_roles_direct_and_through_groups() -> None:
    org = generate("hardened", users=200, now=NOW)
    kinds = {r["assignmentType"] for roles in org.user_roles.values() for r in roles}
    assert kinds == {"USER", "GROUP"}
    types = {r["type"] for roles in org.user_roles.values() for r in roles}
    assert {"SUPER_ADMIN", "ORG_ADMIN", "READ_ONLY_ADMIN", "HELP_DESK_ADMIN"} <= types
    for gid, roles in org.group_roles.items():
        for r in roles:
            assert r["assignmentType"] == "GROUP" and r["_links"]["assignee"]["href"].endswith(gid)
            for member in org.group_members[gid]:
                assert r in org.user_roles[member]


def test_tokens_first_read_only_then_a_super_admin() -> None:
    for scenario in ("default", "hardened", "weak"):
        org = generate(scenario, users=100, now=NOW)
        grants = list(org.tokens.values())
        first_roles = {r["type"] for r in org.user_roles[grants[0].user_id]}
        assert first_roles == {"READ_ONLY_ADMIN"}
        assert org.api_tokens[0]["id"] == grants[0].token_id
        assert token_for_role(org, "SUPER_ADMIN") in org.tokens
        listed = {t["id"] for t in org.api_tokens}
        for g in grants:
            assert g.token not in json.dumps(org.api_tokens)  # metadata never carries the secret
            if g.token_id in listed:
                assert next(t for t in org.api_tokens if t["id"] == g.token_id)["userId"] == g.user_id


def test_service_app_private_key_signs_assertions_its_jwks_verifies() -> None:
    org = generate(users=60, now=NOW)
    client = org.oauth_clients[SERVICE_APP_ID]
    pem = org.oauth_private_keys[SERVICE_APP_ID]
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert "BEGIN" not in repr(org.oauth_clients) and "PRIVATE" not in repr(client)
    jwk = client.jwks["keys"][0]
    assert "d" not in jwk and jwk["kty"] == "RSA"
    assertion = jwt.encode(
        {"iss": client.client_id, "sub": client.client_id, "aud": "x", "exp": int(time.time()) + 60},
        pem,
        algorithm="RS256",
        headers={"kid": jwk["kid"]},
    )
    public = jwt.PyJWK(jwk).key
    assert jwt.decode(assertion, public, algorithms=["RS256"], audience="x")["sub"] == SERVICE_APP_ID
    app = next(a for a in org.apps if a["id"] == SERVICE_APP_ID)
    assert app["settings"]["oauthClient"]["grant_types"] == ["client_credentials"]
    assert app["credentials"]["oauthClient"]["token_endpoint_auth_method"] == "private_key_jwt"
    assert "okta.users.read" in client.scopes and client.roles == ["READ_ONLY_ADMIN"]


def test_factors_devices_logs() -> None:
    org = generate("hardened", users=1000, now=NOW)
    admins = set(org.user_roles)
    assert admins <= set(org.user_factors)
    assert len(org.user_factors) > len(admins)  # a sample of regular users too
    assert 200 <= len(org.logs) <= 1000
    published = [e["published"] for e in org.logs]
    assert published == sorted(published)
    assert len({e["uuid"] for e in org.logs}) == len(org.logs)
    assert org.devices and all(d["resourceType"] == "UDDevice" for d in org.devices)


def test_classic_pipeline() -> None:
    org = generate("default", users=100, pipeline="v1", now=NOW)
    assert org.pipeline == "v1"
    assert {"authenticators", "device_assurances", "devices"} <= org.missing_features
    assert org.authenticators == [] and org.devices == []
    assert "ACCESS_POLICY" not in org.policies and "PROFILE_ENROLLMENT" not in org.policies
    assert {f["factorType"] for f in org.org_factors} >= {"push", "token:software:totp"}
    assert all("accessPolicy" not in a["_links"] for a in org.apps)
    policy_ids = {p["id"] for ps in org.policies.values() for p in ps}
    assert set(org.policy_rules) == policy_ids and set(org.policy_mappings) <= policy_ids
    mfa = org.policies["MFA_ENROLL"][0]["settings"]
    assert mfa["type"] == "FACTORS"
    idx = generate("default", users=100, now=NOW)
    assert idx.pipeline == "idx" and "org_factors" in idx.missing_features and idx.authenticators


def test_scenario_dir_overrides_collections(tmp_path) -> None:
    zone = {
        "type": "IP",
        "id": "nzo00000000000000099",
        "name": "Pinned",
        "status": "ACTIVE",
        "usage": "POLICY",
        "system": False,
        "gateways": [{"type": "CIDR", "value": "192.0.2.0/24"}],
    }
    (tmp_path / "zones.json").write_text(json.dumps([zone]))
    (tmp_path / "threat_insight.json").write_text(
        json.dumps({"action": "audit", "excludeZones": [], "created": "$now-1d"})
    )
    org = generate("hardened", users=100, scenario_dir=tmp_path, now=NOW)
    assert org.zones == [zone]
    assert org.threat_insight["action"] == "audit"
    assert org.threat_insight["created"] == "2026-10-31T00:00:00.000Z"  # $now-1d resolved
    assert org.policies["OKTA_SIGN_ON"]  # everything else from the scenario


def test_load_dir_rejects_unknown_files(tmp_path) -> None:
    (tmp_path / "polices.json").write_text("[]")
    with pytest.raises(ScenarioError, match="polices"):
        load_dir(tmp_path)
    (tmp_path / "polices.json").unlink()
    (tmp_path / "zones.json").write_text("{not json")
    with pytest.raises(ScenarioError, match="invalid JSON"):
        load_dir(tmp_path)
    with pytest.raises(ScenarioError, match="does not exist"):
        load_dir(tmp_path / "missing")


def test_base_url_prefixes_every_href() -> None:
    org = generate("weak", users=100, now=NOW, base_url="https://acme.okta.example")
    dumped = json.dumps({"apps": org.apps, "policies": org.policies, "users": list(org.users[:5])})
    assert "sandbox.okta.example" not in dumped and "https://acme.okta.example/api/v1/" in dumped


def test_generate_20k_users_is_fast_and_lazy() -> None:
    t = time.perf_counter()
    org = generate("weak", users=20_000, seed=5)
    assert time.perf_counter() - t < 5
    assert isinstance(org.users, LazyUsers)
    assert len(org.groups) == 1000 and len(org.users.indices_with_status("ACTIVE")) > 15_000


@pytest.mark.slow
def test_generate_100k_users_time_and_memory() -> None:
    import gc
    import resource

    def rss_mb() -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
        return 0.0

    gc.collect()
    before = rss_mb()
    t = time.perf_counter()
    org = generate("weak", users=100_000, seed=1)
    elapsed = time.perf_counter() - t
    gc.collect()
    grown = rss_mb() - before
    print(
        f"100k users: {elapsed:.2f}s, +{grown:.0f} MB RSS, peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    assert elapsed < 15
    assert grown < 300
    assert len(org.users) == 100_000 and org.users[99_999]["id"] == okta_id("00u", 99_999)


def test_incremental_sync_over_http_sees_touched_user(sandbox) -> None:
    import requests

    org = generate(users=300, now=NOW)
    sb = sandbox(org=org)
    high_water = max(u["lastUpdated"] for u in org.users)
    url = f'{sb.url}/api/v1/users?filter=lastUpdated gt "{high_water}"'
    headers = {"Authorization": f"SSWS {sb.token}", "Accept": "application/json"}
    assert requests.get(url, headers=headers, timeout=10).json() == []
    org.touch_user(17, status="SUSPENDED")
    body = requests.get(url, headers=headers, timeout=10).json()
    assert [(u["id"], u["status"]) for u in body] == [(okta_id("00u", 17), "SUSPENDED")]


def test_secrets_stay_out_of_reprs() -> None:
    org = generate("weak", users=60, now=NOW)
    text = repr(org)
    assert org.tokens and not any(secret in text for secret in org.tokens)
    assert "PRIVATE KEY" not in text
    assert org.oauth_clients[SERVICE_APP_ID].private_key_pem == org.oauth_private_keys[SERVICE_APP_ID]


def test_scenario_dir_can_pin_directory_collections_too(tmp_path) -> None:
    users = [
        {
            "id": "00u00000000000000000",
            "status": "ACTIVE",
            "lastUpdated": "2026-01-01T00:00:00.000Z",
            "profile": {"login": "only@example.com"},
        }
    ]
    (tmp_path / "users.json").write_text(json.dumps(users))
    org = generate("default", users=50, scenario_dir=tmp_path, now=NOW)
    assert list(org.users) == users


@pytest.mark.parametrize("scenario", ["default", "hardened", "weak"])
@pytest.mark.parametrize("pipeline", ["idx", "v1"])
def test_every_policy_has_rules_in_priority_order(scenario: str, pipeline: str) -> None:
    org = generate(scenario, users=60, pipeline=pipeline, now=NOW)
    expected = {"OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY"}
    if pipeline == "idx":
        expected |= {"ACCESS_POLICY", "PROFILE_ENROLLMENT"}
    assert set(org.policies) == expected
    for ptype, policies in org.policies.items():
        assert [p["priority"] for p in policies] == sorted(p["priority"] for p in policies)
        for p in policies:
            assert p["type"] == ptype
            rules = org.policy_rules[p["id"]]
            assert rules and [r["priority"] for r in rules] == sorted(r["priority"] for r in rules)
