"""Group roles read only for the groups Okta flags as holding an admin role (issue 18): the groups listing's
``expand=stats`` (``_embedded.stats.hasAdminPrivilege``) picks them, every other group is known to hold none; when
the flag is missing the sync falls back to reading every group within the fan-out budget, and when the roles
endpoint is refused the collection is unavailable (the admin checks cannot pass)."""

from __future__ import annotations

import json

import pytest

from connector_okta import plugin
from connector_okta.sync import admin_groups
from connector_okta.sync.admin_groups import admin_flag, flagged_groups, role_group_plan

pytest.importorskip("okta_sandbox.generator")


def of(msgs, kind):
    return [m[m["type"].lower()] for m in msgs if m["type"] == kind]


def finals(msgs):
    return {s["stream"]: s for s in of(msgs, "STREAM_STATUS") if s["status"] != "STARTED"}


def findings(msgs):
    return sorted(json.dumps({k: r["data"][k] for k in ("check_id", "status", "resource", "message")}, sort_keys=True)
                  for r in of(msgs, "RECORD") if r["kind"] == "check_result")


def role_reads(msgs):
    stats = of(msgs, "STATS")[0]
    return (stats.get("requests_by_endpoint") or {}).get("/api/v1/groups/{id}/roles", 0)


def with_stats(group, flag, name="hasAdminPrivilege"):
    return {**group, "_embedded": {"stats": {"usersCount": 3, name: flag}}}


# ------------------------------------------------------------------------------------------------ the flag


def test_the_flag_in_both_spellings_and_its_absence():
    g = {"id": "00g1"}
    assert admin_flag(with_stats(g, True)) is True
    assert admin_flag(with_stats(g, False, "hasAdminPrivlege")) is False  # the spec's schema spelling
    assert admin_flag(g) is None
    assert admin_flag({**g, "_embedded": {"stats": {"usersCount": 3}}}) is None
    assert admin_flag({**g, "_embedded": {"stats": {"hasAdminPrivilege": "yes"}}}) is None  # not a boolean
    assert admin_flag({**g, "_embedded": "odd"}) is None


def test_one_group_without_the_flag_means_nothing_is_assumed():
    groups = [with_stats({"id": "00g1"}, True), with_stats({"id": "00g2"}, False)]
    assert flagged_groups(groups) == {"00g1"}
    assert role_group_plan(["00g1", "00g2"], groups, set()) == (["00g1"], ["00g2"])
    # a group an admin's role names is read even when the flag says otherwise
    assert role_group_plan(["00g1", "00g2"], groups, {"00g2"}) == (["00g1", "00g2"], [])
    assert role_group_plan(["00g1", "00g2", "00g3"], [*groups, {"id": "00g3"}], set()) is None


# ------------------------------------------------------------------------------------------------ fake client


def test_fake_org_reads_only_the_flagged_groups(run_fake, fake_org, fakes):
    flagged = fake_org.groups[2]["id"]
    fake_org.group_roles = {flagged: [{"id": "ra1", "type": "ORG_ADMIN", "assignmentType": "GROUP"}]}
    fake_org.groups = [with_stats(g, g["id"] == flagged) for g in fake_org.groups]
    msgs, client, engine = run_fake(fake_org, config=fakes.config(fanout_budget=100))
    reads = [p for p in client.requests if p.startswith("/api/v1/groups/") and p.endswith("/roles")]
    assert reads == [f"/api/v1/groups/{flagged}/roles"]
    assert finals(msgs)["group_roles"]["status"] == "COMPLETE"
    coll = engine.collections["group_roles"]
    assert coll.status == "complete" and not coll.gaps
    assert coll.children(flagged) == fake_org.group_roles[flagged]
    for g in fake_org.groups:
        if g["id"] != flagged:
            assert coll.children(g["id"]) == []  # known to hold none, not unknown
    assert of(msgs, "STATS")[0]["fanout_requests"] == 1 + len(fake_org.user_roles)  # and each admin's factors


def test_fake_org_budget_smaller_than_the_flagged_groups_leaves_gaps(run_fake, fake_org, fakes):
    fake_org.group_roles = {g["id"]: [{"id": "ra" + g["id"], "type": "ORG_ADMIN"}] for g in fake_org.groups[:3]}
    fake_org.groups = [with_stats(g, g["id"] in fake_org.group_roles) for g in fake_org.groups]
    msgs, client, engine = run_fake(fake_org, config=fakes.config(fanout_budget=2))
    s = finals(msgs)["group_roles"]
    assert s["status"] == "INCOMPLETE" and s["error_kind"] == "budget" and "covers 2 of 3" in s["reason"]
    coll = engine.collections["group_roles"]
    assert len(coll.gaps) == 1 and coll.children(fake_org.groups[3]["id"]) == []


# ------------------------------------------------------------------------------------------------ the sandbox


def super_admin_config(sb, sandbox_config, **extra):
    from okta_sandbox.generator import token_for_role

    cfg = sandbox_config(sb)
    cfg["auth"] = {"method": "api_token", "token": token_for_role(sb.org, "SUPER_ADMIN")}
    cfg.update(extra)
    return cfg


def sync(cfg):
    return list(plugin.connector_sync(config=cfg, state=None, context=None))


def test_sandbox_stats_pick_the_admin_groups_and_the_findings_match_a_full_fanout(sandbox, sandbox_config,
                                                                                 monkeypatch):
    sb = sandbox("weak", users=300, seed=1, rate_limits=None)
    admin = {gid for gid, roles in sb.org.group_roles.items() if roles}
    assert admin and len(sb.org.groups) > len(admin)
    cfg = super_admin_config(sb, sandbox_config, fanout_budget=1000)
    msgs = sync(cfg)
    assert of(msgs, "SYNC_STATUS")[0]["status"] == "succeeded"
    assert finals(msgs)["group_roles"]["status"] == "COMPLETE"
    assert role_reads(msgs) == len(admin)
    groups = [r["data"] for r in of(msgs, "RECORD") if r["kind"] == "asset" and r["stream"] == "groups"]
    assert all("hasAdminPrivilege" in g["_embedded"]["stats"] for g in groups)

    # the same org without the flag: every group is read (the fallback), and the findings are the same
    monkeypatch.setattr(admin_groups, "FLAG_NAMES", ())
    fallback = sync(cfg)
    assert role_reads(fallback) == len(sb.org.groups)
    assert finals(fallback)["group_roles"]["status"] == "COMPLETE"
    assert findings(fallback) == findings(msgs)


def test_sandbox_without_the_flag_and_a_small_budget_never_passes_the_admin_group_check(sandbox, sandbox_config,
                                                                                       monkeypatch):
    sb = sandbox("weak", users=300, seed=1, rate_limits=None)
    monkeypatch.setattr(admin_groups, "FLAG_NAMES", ())
    msgs = sync(super_admin_config(sb, sandbox_config, fanout_budget=3))
    assert finals(msgs)["group_roles"]["status"] == "INCOMPLETE"
    size = [r["data"] for r in of(msgs, "RECORD") if r["kind"] == "check_result"
            and r["data"]["check_id"] == "okta-admin-group-size"]
    assert size and all(r["status"] != "pass" for r in size if r["resource"]["type"] == "org")


def test_sandbox_roles_refused_makes_the_admin_checks_unknown(sandbox, sandbox_config):
    sb = sandbox("weak", users=300, seed=1, rate_limits=None)  # the default token: a Read-Only Administrator
    msgs = sync(sandbox_config(sb))
    fin = finals(msgs)
    assert fin["admin_users"]["status"] == "SKIPPED"
    # group roles need a Super Administrator: refused, the collection is not in scope for this credential (the
    # groups Okta's stats say hold none change nothing), and the sync is not made partial by it
    assert fin["group_roles"]["status"] == "SKIPPED" and fin["group_roles"]["error_kind"] == "out_of_scope"
    assert of(msgs, "SYNC_STATUS")[0]["status"] == "succeeded"
    assert role_reads(msgs) <= 1  # refused once, the other flagged groups are not asked
    size = [r["data"] for r in of(msgs, "RECORD") if r["kind"] == "check_result"
            and r["data"]["check_id"] == "okta-admin-group-size"]
    assert size and all(r["status"] == "unknown" for r in size)
    for check in ("okta-admin-super-admin-count", "okta-admin-no-mfa"):
        got = [r["data"]["status"] for r in of(msgs, "RECORD") if r["kind"] == "check_result"
               and r["data"]["check_id"] == check]
        assert got and "pass" not in got, (check, got)
