"""The semantics other tools get wrong: every ACTIVE rule in priority order, first-party policies found through
their apps, Classic vs Identity Engine, stricter-than-required passes, budgeted fan-out (admins first), volume."""

from __future__ import annotations

import tracemalloc

import pytest
from checks_fixtures import NOW_MS, RECENT, FakeFanout, build_org, run

from connector_okta.checks import CheckEngine, Collection, OrgInfo


def statuses(results: list[dict]) -> list[str]:
    return [r["status"] for r in results]


def test_permissive_priority_2_rule_behind_strict_priority_1_rule_is_caught() -> None:
    org = build_org()
    rules = org["policy_rules"]["rstAdmin"]
    # rule 1 stays strict (2FA, phishing resistant); the catch-all rule 2 now ALLOWs one factor
    rules[1]["actions"]["appSignOn"]["access"] = "ALLOW"
    results = run(org, only="okta-admin-console-mfa")
    by_rule = {r["resource"]["uid"]: r["status"] for r in results}
    assert by_rule == {"rstAdminR1": "pass", "rstAdminR99": "fail"}
    assert any("1FA" in str(r["evidence"]) or "one factor" in r["message"] for r in results if r["status"] == "fail")


def test_permissive_lower_rule_in_global_session_policy_is_caught() -> None:
    org = build_org()
    deny = org["policy_rules"]["00pGSP"][1]
    deny["actions"]["signon"]["access"] = "ALLOW"
    deny["actions"]["signon"]["session"] = {"maxSessionIdleMinutes": 120, "maxSessionLifetimeMinutes": 0,
                                            "usePersistentCookie": True}
    for cid in ("okta-session-idle-timeout", "okta-session-max-lifetime", "okta-session-persistent-cookie"):
        results = run(org, only=cid)
        assert {r["resource"]["uid"]: r["status"] for r in results} == {"0prCorp": "pass", "0prDeny": "fail"}, cid


def test_rules_behind_a_catch_all_rule_are_unreachable_and_not_judged() -> None:
    # the Default Rule (idle 720, lifetime unlimited) sits behind the catch-all DENY rule: Okta never reaches it
    org = build_org()
    assert org["policy_rules"]["00pGSP"][2]["actions"]["signon"]["session"]["maxSessionIdleMinutes"] == 720
    results = run(org, only="okta-session-idle-timeout")
    assert "0prDefault" not in {r["resource"]["uid"] for r in results}
    # remove the catch-all: the Default Rule becomes reachable and fails
    org["policy_rules"]["00pGSP"].pop(1)
    results = run(org, only="okta-session-idle-timeout")
    assert {r["resource"]["uid"]: r["status"] for r in results}["0prDefault"] == "fail"


def test_a_rule_scoped_to_a_group_does_not_shadow_later_rules() -> None:
    org = build_org()
    corp = org["policy_rules"]["00pGSP"][0]
    corp["conditions"] = {"people": {"groups": {"include": ["00gHelpdesk"]}}}
    results = run(org, only="okta-session-idle-timeout")
    assert "0prDeny" not in {r["resource"]["uid"] for r in results}  # deny rules have no session to judge
    corp["conditions"] = {"people": {"groups": {"include": ["00gEveryone"]}}}
    assert len(run(org, only="okta-session-idle-timeout")) == 1  # Everyone + anywhere: catch-all


def test_inactive_rules_and_policies_are_ignored() -> None:
    org = build_org()
    org["policy_rules"]["rstAdmin"][1]["actions"]["appSignOn"]["access"] = "ALLOW"
    org["policy_rules"]["rstAdmin"][1]["status"] = "INACTIVE"
    assert set(statuses(run(org, only="okta-admin-console-mfa"))) == {"pass"}


def test_admin_console_policy_found_through_the_app_not_by_name() -> None:
    org = build_org()
    # a decoy named "Okta Admin Console" that is permissive, and the real policy renamed
    decoy = dict(next(p for p in org["policies"] if p["id"] == "rstApps"), id="rstDecoy", name="Okta Admin Console")
    org["policies"].append(decoy)
    org["policy_rules"]["rstDecoy"] = [dict(org["policy_rules"]["rstAdmin"][1], id="decoyR",
                                            actions={"appSignOn": {"access": "ALLOW", "verificationMethod": {
                                                "type": "ASSURANCE", "factorMode": "1FA", "constraints": []}}})]
    next(p for p in org["policies"] if p["id"] == "rstAdmin")["name"] = "Politique console (renamed)"
    results = run(org, only="okta-admin-console-mfa")
    assert {r["related"][0]["uid"] for r in results} == {"rstAdmin"}
    assert set(statuses(results)) == {"pass"}
    # and when the app points at the permissive policy, it fails
    org["apps"][0]["_links"]["accessPolicy"]["href"] = "https://acme.okta.com/api/v1/policies/rstDecoy"
    assert "fail" in statuses(run(org, only="okta-admin-console-mfa"))


def test_admin_console_policy_found_through_policy_mappings_when_the_app_has_no_link() -> None:
    org = build_org()
    del org["apps"][0]["_links"]
    assert statuses(run(org, only="okta-admin-console-mfa")) == ["unknown"]
    org["policy_mappings"] = {"rstAdmin": [{"id": "m1", "_links": {"application": {
        "href": "https://acme.okta.com/api/v1/apps/0oaAdmin"}}}]}
    assert set(statuses(run(org, only="okta-admin-console-mfa"))) == {"pass"}


def test_missing_admin_console_app_is_unknown_not_pass() -> None:
    org = build_org()
    org["apps"] = org["apps"][1:]
    results = run(org, only="okta-admin-console-mfa")
    assert statuses(results) == ["unknown"] and "saasure" in results[0]["message"]


def test_classic_org_gets_classic_checks() -> None:
    org = build_org()
    classic = run(org, pipeline="v1", statuses={"authenticators": ("not_applicable", "Classic org")})
    ids = {r["check_id"] for r in classic}
    assert "okta-signon-classic-mfa" in ids
    assert not ids & {"okta-app-policy-1fa-anywhere", "okta-authenticator-phone", "okta-device-assurance",
                      "okta-password-breached-protection"}
    mfa = [r for r in classic if r["check_id"] == "okta-admin-console-mfa"]
    assert statuses(mfa) == ["manual"] and "Classic" in mfa[0]["message"]
    pr = [r for r in classic if r["check_id"] == "okta-authenticator-phishing-resistant"]
    assert statuses(pr) == ["pass"] and pr[0]["evidence"]["active"] == ["webauthn"]  # from /api/v1/org/factors
    idx_ids = {r["check_id"] for r in run(org)}
    assert "okta-signon-classic-mfa" not in idx_ids and "okta-app-policy-1fa-anywhere" in idx_ids


def test_unknown_pipeline_runs_shared_checks_and_reports_unknown_for_engine_specific_ones() -> None:
    results = run(build_org(), pipeline=None)
    only_oie = [r for r in results if r["check_id"] == "okta-app-policy-1fa-anywhere"]
    assert statuses(only_oie) == ["unknown"]


@pytest.mark.parametrize("idle,status", [(10, "pass"), (15, "pass"), (16, "fail"), (0, "fail")])
def test_stricter_threshold_passes(idle: int, status: str) -> None:
    org = build_org()
    org["policy_rules"]["00pGSP"][0]["actions"]["signon"]["session"]["maxSessionIdleMinutes"] = idle
    results = run(org, only="okta-session-idle-timeout")
    assert statuses(results) == [status]
    assert results[0]["evidence"]["threshold"] == 15


@pytest.mark.parametrize("profile,length,status", [("stig", 14, "fail"), ("baseline", 14, "pass"),
                                                   ("healthinsight", 12, "pass"), ("stig", 20, "pass")])
def test_profiles_choose_thresholds(profile: str, length: int, status: str) -> None:
    org = build_org()
    org["policies"][1]["settings"]["password"]["complexity"]["minLength"] = length
    assert statuses(run(org, profile=profile, only="okta-password-min-length")) == [status]


def test_federal_only_checks_run_only_under_stig() -> None:
    federal = {"okta-okta-verify-fips", "okta-smart-card-authenticator", "okta-smart-card-idp-dod-ca",
               "okta-dod-banner", "okta-password-max-age"}
    baseline_ids = {r["check_id"] for r in run(build_org(), profile="baseline")}
    assert not baseline_ids & federal
    assert federal <= {r["check_id"] for r in run(build_org(), profile="stig")}


def test_fanout_budget_reaches_super_admins_first_and_reports_unknown_for_the_rest() -> None:
    org = build_org()
    org["admin_users"].reverse()  # the Super Admin is listed last
    fo = FakeFanout(org["_fanout"], budget=1)
    results = run(org, fanout=fo, only="okta-admin-no-mfa")
    assert fo.calls == ["/api/v1/users/00uAdmin1/factors"]  # Super Admin first
    by_user = {r["resource"]["uid"]: r for r in results}
    assert by_user["00uAdmin1"]["status"] == "pass"
    assert by_user["00uAdmin2"]["status"] == "unknown" and "budget" in by_user["00uAdmin2"]["message"]


def test_fanout_results_are_shared_between_checks() -> None:
    fo = FakeFanout(build_org()["_fanout"])
    run(build_org(), fanout=fo)
    assert len(fo.calls) == len(set(fo.calls)) == 2


def test_fanout_permission_error_is_unknown_with_the_reason() -> None:
    class PermissionError_(Exception):  # noqa: N801 - shaped like connector_okta.client.errors
        kind = "permission"
        missing_scope = "okta.users.read"

    org = build_org()
    fo = FakeFanout(org["_fanout"], errors={"/api/v1/users/00uAdmin2/factors": PermissionError_("403 E0000006")})
    results = run(org, fanout=fo, only="okta-admin-no-mfa")
    bad = next(r for r in results if r["resource"]["uid"] == "00uAdmin2")
    assert bad["status"] == "unknown" and "okta.users.read" in bad["message"]


def test_an_exception_inside_a_check_is_unknown_never_a_crash_or_pass() -> None:
    org = build_org()
    org["policies"][1]["settings"] = "garbage"  # an odd object
    results = run(org)
    pw = [r for r in results if r["check_id"] == "okta-password-min-length"]
    assert pw and "pass" not in statuses(pw)
    org = build_org()
    org["users"].append("not an object")  # type: ignore[arg-type]
    results = run(org, only="okta-user-inactive")
    assert "pass" not in statuses(results) and "unknown" in statuses(results)


def test_incomplete_collection_never_passes_but_can_fail() -> None:
    org = build_org()
    org["policies"][1]["settings"]["password"]["complexity"]["minLength"] = 4
    results = run(org, statuses={"policies": ("incomplete", "page 3 answered 500")}, only="okta-password-min-length")
    assert statuses(results) == ["fail"]
    org = build_org()
    results = run(org, statuses={"policies": ("incomplete", "page 3 answered 500")}, only="okta-password-min-length")
    assert statuses(results) == ["unknown"] and "page 3" in results[0]["message"]


def test_result_shape_matches_the_internals_contract() -> None:
    for r in run(build_org()):
        assert set(r) == {"check_id", "status", "resource", "related", "message", "evidence", "profile"}
        assert r["status"] in ("pass", "warning", "fail", "manual", "unknown")
        assert {"type", "uid", "name"} <= set(r["resource"])
        assert isinstance(r["evidence"], dict) and r["evidence"]


def test_required_collections_and_streams() -> None:
    eng = CheckEngine("stig", org=OrgInfo("o", "n", "u", "idx"), fanout=None, now_ms=NOW_MS)
    req = eng.required_collections()
    assert {"policies", "policy_rules", "apps", "authenticators", "admin_users", "user_roles"} <= req
    assert not req & {"users", "group_members", "user_factors"}
    assert eng.streams() == {"users", "group_members"}


def test_user_stream_volume_emits_failures_and_one_summary() -> None:
    eng = CheckEngine("baseline", org=OrgInfo("o", "n", "u", "idx"), fanout=None, now_ms=NOW_MS)
    for name in eng.required_collections():
        eng.set_collection(Collection(name, "complete"))
    n, stale = 100_000, 0
    emitted = 0
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        old = i % 1000 == 0
        stale += old
        u = {"id": f"00u{i:012d}", "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z",
             "lastLogin": "2020-01-01T00:00:00.000Z" if old else RECENT, "profile": {"login": f"u{i}@x.com"}}
        emitted += sum(1 for r in eng.visit("users", u) if r["check_id"] == "okta-user-inactive")
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    eng.set_collection(Collection("users", "complete"))
    summary = [r for r in eng.finish() if r["check_id"] == "okta-user-inactive"]
    assert emitted == stale == 100
    assert len(summary) == 1 and summary[0]["status"] == "fail" and summary[0]["evidence"]["active_users"] == n
    assert grown < 2_000_000, f"memory grew by {grown} bytes over {n} users"


def test_whole_reads_whole_floats_as_integers():
    from connector_okta.checks.results import whole

    assert whole(8) == 8 and whole(8.0) == 8 and isinstance(whole(8.0), int) and whole(0.0) == 0
    assert whole(-1.0) == -1
    for odd in (8.5, True, False, "8", None, float("inf"), float("nan"), [8]):
        assert whole(odd) is None, odd
