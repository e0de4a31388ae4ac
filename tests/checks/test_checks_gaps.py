"""Issue 14 in the checks: unread children are unknown (never an empty list), completeness per parent and per
series, children Okta guarantees, absent fields, conditions as Okta evaluates them, and the STIG caveats."""

from __future__ import annotations

import copy
from typing import Any

from checks_fixtures import NOW_MS, FakeFanout, build_org

from connector_okta.checks import CheckEngine, Collection, Gap, OrgInfo

RULES_404 = Gap("policy 00pGSP", "GET /api/v1/policies/00pGSP/rules: not found (E0000007) (X-Okta-Request-Id: rid42)",
                "GET /api/v1/policies/00pGSP/rules", "not_found", 404, "rid42")


def engine_run(org: dict[str, Any], colls: dict[str, Collection] | None = None, *, pipeline: str = "idx",
               profile: str = "stig", only: str | None = None) -> list[dict]:
    """Like checks_fixtures.run, but any collection may be handed as a ready Collection (gaps and all)."""
    colls = colls or {}
    eng = CheckEngine(profile, {}, org=OrgInfo("00o1acme", "acme.okta.com", "https://acme.okta.com", pipeline),
                      fanout=FakeFanout(org.get("_fanout", {})), now_ms=NOW_MS)
    for name in sorted(eng.required_collections()):
        if name in colls:
            eng.set_collection(colls[name])
            continue
        data = org.get(name, [])
        eng.set_collection(Collection(name, "complete", None, [], data) if isinstance(data, dict)
                           else Collection(name, "complete", None, list(data)))
    out: list[dict] = []
    for stream in sorted(eng.streams()):
        for item in org.get(stream, []):
            out.extend(eng.visit(stream, item))
        eng.set_collection(colls.get(stream) or Collection(stream, "complete"))
    out.extend(eng.finish())
    return [r for r in out if only is None or r["check_id"] == only]


def by_resource(results: list[dict]) -> dict[str, str]:
    return {r["resource"]["uid"]: r["status"] for r in results}


def rules_with_gap(org: dict[str, Any], pid: str, gap: Gap) -> Collection:
    by_parent = {k: v for k, v in org["policy_rules"].items() if k != pid}
    return Collection("policy_rules", "incomplete", f"could not read the rules of 1: {gap.sentence()}",
                      [r for v in by_parent.values() for r in v], by_parent, error_kind=gap.kind,
                      gaps={pid: gap}, described=True)


def add_signon_policy(org: dict[str, Any]) -> None:
    """A second global session policy with a compliant rule, so one policy's gap leaves another to judge."""
    gsp2 = copy.deepcopy(org["policies"][0])
    gsp2.update(id="00pGSP2", name="Contractors", system=False, priority=2)
    rule = copy.deepcopy(org["policy_rules"]["00pGSP"][0])
    rule.update(id="0prC1", name="Contractors corp")
    org["policies"].append(gsp2)
    org["policy_rules"]["00pGSP2"] = [rule]


def test_a_policy_whose_rules_were_not_read_is_unknown_with_the_request_status_and_id() -> None:
    org = build_org()
    add_signon_policy(org)
    results = engine_run(org, {"policy_rules": rules_with_gap(org, "00pGSP", RULES_404)},
                         only="okta-session-idle-timeout")
    assert by_resource(results) == {"00pGSP": "unknown", "0prC1": "pass"}  # the other policy is still judged
    unknown = next(r for r in results if r["status"] == "unknown")
    assert "GET /api/v1/policies/00pGSP/rules" in unknown["message"] and "rid42" in unknown["message"]
    assert unknown["evidence"]["unread"] == {"read": "GET /api/v1/policies/00pGSP/rules", "status": 404,
                                             "request_id": "rid42", "error_kind": "not_found",
                                             "reason": RULES_404.reason}


def test_an_incomplete_collection_the_sync_did_not_describe_is_not_trusted_per_parent() -> None:
    org = build_org()
    add_signon_policy(org)
    coll = rules_with_gap(org, "00pGSP", RULES_404)
    coll.described = False  # e.g. a pagination loop somewhere in it
    results = engine_run(org, {"policy_rules": coll}, only="okta-session-idle-timeout")
    assert "pass" not in {r["status"] for r in results}


def test_a_parent_missing_from_by_parent_is_never_taken_for_one_without_children() -> None:
    org = build_org()
    del org["policy_rules"]["rstAdmin"]  # complete collection, but this policy's rules are not there
    results = engine_run(org, only="okta-admin-console-mfa")
    assert [r["status"] for r in results] == ["unknown"]


def test_zero_rules_read_for_a_policy_okta_always_gives_a_rule_is_unknown() -> None:
    for ptype_pid, check in (("00pGSP", "okta-session-max-lifetime"), ("rstAdmin", "okta-admin-console-mfa"),
                             ("rstApps", "okta-app-policy-network-zones"), ("00pPW", "okta-password-recovery-weak")):
        org = build_org()
        org["policy_rules"][ptype_pid] = []
        results = engine_run(org, only=check)
        statuses = {r["status"] for r in results if r["resource"]["uid"] in (ptype_pid, "0oaOidc")}
        assert statuses == {"unknown"}, (check, results)
        assert any("default rule" in r["message"] for r in results), check


def test_only_an_explicit_deny_for_every_reachable_rule_passes_as_creating_no_session() -> None:
    org = build_org()
    for r in org["policy_rules"]["00pGSP"]:
        r["status"] = "INACTIVE"
    results = engine_run(org, only="okta-session-idle-timeout")
    assert [r["status"] for r in results] == ["unknown"]  # no ACTIVE rule: how Okta evaluates it is unknown


def test_one_policy_type_that_cannot_be_read_neither_blanks_nor_passes_the_others() -> None:
    org = build_org()
    gap = Gap("type=PROFILE_ENROLLMENT", "GET /api/v1/policies: unexpected answer 400 (E0000001)",
              "GET /api/v1/policies?type=PROFILE_ENROLLMENT", "internal", 400)
    policies = Collection("policies", "incomplete", "could not read the series of 1", org["policies"],
                          error_kind="internal", series_gaps={"type=PROFILE_ENROLLMENT": gap}, described=True)
    results = engine_run(org, {"policies": policies})
    by_check = {}
    for r in results:
        by_check.setdefault(r["check_id"], set()).add(r["status"])
    assert by_check["okta-password-min-length"] == {"pass"}
    assert by_check["okta-session-idle-timeout"] == {"pass"}
    assert by_check["okta-admin-console-mfa"] == {"pass"}
    # the type this check reads failed: its passes do not survive
    gap = Gap("type=PASSWORD", "GET /api/v1/policies: Okta answered 503", "GET /api/v1/policies?type=PASSWORD",
              "transient", 503)
    policies = Collection("policies", "incomplete", "could not read the series of 1", org["policies"],
                          error_kind="transient", series_gaps={"type=PASSWORD": gap}, described=True)
    results = engine_run(org, {"policies": policies})
    assert {r["status"] for r in results if r["check_id"] == "okta-password-min-length"} == {"unknown"}
    assert {r["status"] for r in results if r["check_id"] == "okta-session-idle-timeout"} == {"pass"}


def test_no_policy_of_a_type_names_the_failed_series() -> None:
    org = build_org()
    org["policies"] = [p for p in org["policies"] if p["type"] != "PASSWORD"]
    gap = Gap("type=PASSWORD", "GET /api/v1/policies: permission denied (E0000006)",
              "GET /api/v1/policies?type=PASSWORD", "permission", 403)
    policies = Collection("policies", "incomplete", "x", org["policies"], series_gaps={"type=PASSWORD": gap},
                          described=True)
    (r,) = engine_run(org, {"policies": policies}, only="okta-password-min-length")
    assert r["status"] == "unknown" and "E0000006" in r["message"]


def test_a_deleted_app_policy_is_reported_not_judged_on_nothing() -> None:
    org = build_org()
    org["policies"] = [p for p in org["policies"] if p["id"] != "rstAdmin"]
    policies = Collection("policies", "complete", None, org["policies"],
                          deleted={"rstAdmin": "policy rstAdmin was deleted during the sync"})
    (r,) = engine_run(org, {"policies": policies}, only="okta-admin-console-mfa")
    assert r["status"] == "unknown" and "deleted during the sync" in r["message"]


def test_rules_with_an_unknown_priority_or_status_are_judged_never_shadowed() -> None:
    org = build_org()
    rules = org["policy_rules"]["00pGSP"]
    rules[1]["priority"] = None  # the catch-all DENY: its place is unknown, so it hides nothing
    results = engine_run(org, only="okta-session-default-rule-priority")
    assert {r["status"] for r in results} == {"pass"}
    results = engine_run(org, only="okta-session-idle-timeout")
    assert "0prDefault" in by_resource(results)  # the Default Rule is judged now
    org = build_org()
    org["policy_rules"]["00pGSP"][0].pop("status")  # neither ACTIVE nor INACTIVE: judged as if active
    results = engine_run(org, only="okta-session-idle-timeout")
    assert "0prCorp" in by_resource(results)


def test_a_rule_behind_a_maybe_catch_all_cannot_pass_when_the_groups_were_not_read() -> None:
    org = build_org()
    org["policy_rules"]["00pGSP"][1]["conditions"] = {"people": {"groups": {"include": ["00gEveryone"]}}}
    org["policy_rules"]["00pGSP"][1]["actions"]["signon"]["access"] = "ALLOW"
    org["policy_rules"]["00pGSP"][1]["actions"]["signon"]["session"] = {"maxSessionIdleMinutes": 10,
                                                                        "maxSessionLifetimeMinutes": 600,
                                                                        "usePersistentCookie": False}
    org["policy_rules"]["00pGSP"][2]["actions"]["signon"]["session"] = {"maxSessionIdleMinutes": 10}
    clean = by_resource(engine_run(org, only="okta-session-idle-timeout"))
    assert "0prDefault" not in clean  # behind the Everyone rule: unreachable
    groups = Collection("groups", "unavailable", "403")
    results = engine_run(org, {"groups": groups}, only="okta-session-idle-timeout")
    assert by_resource(results)["0prDefault"] == "unknown"  # judged (it may be reachable) but never a pass


ZONES_BASE = [{"id": "nzoCorp", "type": "IP", "status": "ACTIVE", "gateways": [{"type": "CIDR", "value": "1.2.3.0/24"}]},
              {"id": "nzoOff", "type": "IP", "status": "INACTIVE", "gateways": [{"type": "CIDR", "value": "5.0.0.0/8"}]},
              {"id": "nzoEmpty", "type": "IP", "status": "ACTIVE", "gateways": None, "proxies": None}]


def _token_network(network: dict, zones: Collection | None = None) -> str:
    org = build_org()
    org["api_tokens"][0]["network"] = network
    org["zones"] = ZONES_BASE
    (r,) = engine_run(org, {"zones": zones} if zones else None, only="okta-api-token-network")
    return r["status"]


def test_network_zones_are_evaluated_as_okta_does() -> None:
    assert _token_network({"connection": "ZONE", "include": ["nzoCorp"]}) == "pass"
    assert _token_network({"connection": "ZONE", "include": ["ALL_ZONES"]}) == "pass"
    assert _token_network({"connection": "ANYWHERE"}) == "fail"
    assert _token_network({"connection": "ZONE"}) == "fail"  # names no zone
    assert _token_network({"connection": "ZONE", "include": ["nzoOff"]}) == "unknown"  # INACTIVE only
    assert _token_network({"connection": "ZONE", "include": ["nzoGone"]}) == "unknown"  # not among the zones
    assert _token_network({"connection": "ZONE", "exclude": ["nzoCorp"]}) == "pass"
    assert _token_network({"connection": "ZONE", "exclude": ["nzoEmpty"]}) == "fail"  # excludes nothing
    assert _token_network({"connection": "ZONE", "exclude": ["nzoOff"]}) == "unknown"
    unread = Collection("zones", "unavailable", "403 (E0000006)")
    assert _token_network({"connection": "ZONE", "include": ["nzoCorp"]}, unread) == "unknown"


def test_the_stig_caveats_ride_on_every_pass_alike() -> None:
    org = build_org()
    org["zones"].append({"id": "nzoTor", "name": "Block anonymizers", "type": "DYNAMIC_V2", "status": "ACTIVE",
                         "usage": "BLOCKLIST", "ipServiceCategories": {"include": ["ALL_ANONYMIZERS"]}})
    results = engine_run(org, only=None)
    for cid, vuln in (("okta-session-network-zones", "V-279691"), ("okta-network-anonymizer-blocklist", "V-279692")):
        passes = [r for r in results if r["check_id"] == cid and r["status"] == "pass"]
        assert passes, cid
        for r in passes:
            assert vuln in r["evidence"]["caveat"] and "Caveat:" in r["message"]
    assert all("caveat" not in r["evidence"] for r in results if r["status"] != "pass")


def test_idp_claims_pass_on_absent_fields_only_where_okta_documents_the_safe_default() -> None:
    org = build_org()
    idp = {"id": "0oaIdp", "type": "SAML2", "name": "Partner", "status": "ACTIVE",
           "policy": {"mapAMRClaims": False}}  # trustClaims absent: documented default false
    org["idps"] = [idp]
    (r,) = engine_run(org, only="okta-idp-trust-claims")
    assert r["status"] == "pass" and "documented default" in r["message"]
    idp["policy"] = {"trustClaims": False}  # mapAMRClaims absent: no documented default
    (r,) = engine_run(org, only="okta-idp-trust-claims")
    assert r["status"] == "unknown"
    (r,) = engine_run(org, only="okta-idp-trust-claims", pipeline="v1")  # not a Classic feature
    assert r["status"] == "pass"


def test_absent_fields_are_unknown_not_pass() -> None:
    org = build_org()
    org["authorization_server_policy_rules"]["00pAS"][0]["conditions"].pop("grantTypes")
    (r,) = engine_run(org, only="okta-authz-server-insecure-grants")
    assert r["status"] == "unknown"
    org = build_org()
    org["authorization_server_policy_rules"]["00pAS"][0]["actions"]["token"].pop("refreshTokenLifetimeMinutes")
    (r,) = engine_run(org, only="okta-authz-server-token-lifetime")
    assert r["status"] == "unknown"
    org = build_org()
    rule = org["policy_rules"]["rstApps"][0]
    rule["conditions"] = {}
    rule["actions"]["appSignOn"]["verificationMethod"].pop("factorMode")
    results = engine_run(org, only="okta-app-policy-1fa-anywhere")
    assert by_resource(results)["0oaOidc"] == "unknown"
    org = build_org()
    org["policies"][5]["settings"]["authenticators"].append({"key": "phone_number", "enroll": {}})
    (r,) = engine_run(org, only="okta-enrollment-weak-authenticators")
    assert r["status"] == "unknown"


def test_authorization_server_rules_are_judged_per_policy() -> None:
    org = build_org()
    org["authorization_servers"].append({"id": "ausB", "name": "partners", "status": "ACTIVE"})
    org["authorization_server_policies"]["ausB"] = [{"id": "00pASB", "name": "B", "status": "ACTIVE"}]
    gap = Gap("authorization_server_policy 00pASB", "GET ...: Okta answered 500", "GET /api/v1/authorizationServers/"
              "ausB/policies/00pASB/rules", "transient", 500, "rid7")
    rules = Collection("authorization_server_policy_rules", "incomplete", "x", [],
                       dict(org["authorization_server_policy_rules"]), gaps={"00pASB": gap}, described=True)
    results = engine_run(org, {"authorization_server_policy_rules": rules}, only="okta-authz-server-insecure-grants")
    statuses = by_resource(results)
    assert statuses["00pASB"] == "unknown" and "pass" in statuses.values()
    assert next(r for r in results if r["resource"]["uid"] == "00pASB")["evidence"]["unread"]["request_id"] == "rid7"


def test_an_admin_group_whose_members_were_not_read_is_unknown() -> None:
    org = build_org()
    gap = Gap("group 00gHelpdesk", "GET /api/v1/groups/00gHelpdesk/users: Okta answered 503", None, "transient", 503)
    members = Collection("group_members", "incomplete", "x", gaps={"00gHelpdesk": gap}, described=True)
    (r,) = engine_run(org, {"group_members": members}, only="okta-admin-group-size")
    assert r["status"] == "unknown" and r["resource"]["uid"] == "00gHelpdesk"
    roles_gap = Gap("group 00gOther", "not read (fan-out budget)", kind="budget")
    roles = Collection("group_roles", "incomplete", "budget", [], dict(org["group_roles"]),
                       gaps={"00gOther": roles_gap}, described=True)
    results = engine_run(org, {"group_roles": roles}, only="okta-admin-group-size")
    assert {r["resource"]["uid"]: r["status"] for r in results} == {"00gHelpdesk": "pass", "00o1acme": "unknown"}


def test_admin_roles_not_read_are_unknown_not_none() -> None:
    org = build_org()
    gap = Gap("user 00uAdmin1", "GET /api/v1/users/00uAdmin1/roles: Okta answered 500", None, "transient", 500)
    roles = Collection("user_roles", "incomplete", "x", [], {"00uAdmin2": org["user_roles"]["00uAdmin2"]},
                       gaps={"00uAdmin1": gap}, described=True)
    results = engine_run(org, {"user_roles": roles})
    assert {r["status"] for r in results if r["check_id"] == "okta-admin-super-admin-count"} == {"unknown"}
    assert {r["status"] for r in results if r["check_id"] == "okta-admin-super-admin-share"} == {"unknown"}
