"""Incremental sync: high-water marks, the unchanged-org shortcut, and when a sync must be full."""

from __future__ import annotations

from connector_okta.state import PriorState


def by_type(msgs, kind):
    return [m[m["type"].lower()] for m in msgs if m["type"] == kind]


def results(msgs):
    return sorted((r["record"]["data"] for r in msgs if r["type"] == "RECORD" and r["record"]["kind"] == "check_result"),
                  key=lambda d: (d["check_id"], d["resource"]["uid"]))


def state_of(msgs):
    (s,) = by_type(msgs, "STATE")
    return s


def mode_of(msgs):
    return by_type(msgs, "SYNC_STATUS")[0]["sync_mode"]


def test_first_sync_is_full_and_records_marks(run_fake, fake_org):
    msgs, _, _ = run_fake(fake_org)
    st = state_of(msgs)
    assert mode_of(msgs) == "full" and st["sync_mode"] == "full"
    assert st["high_water"]["users"] == max(u["lastUpdated"] for u in fake_org.users)
    assert st["high_water"]["groups"] == max(g["lastUpdated"] for g in fake_org.groups)
    assert st["high_water"]["groups_membership"] == max(g["lastMembershipUpdated"] for g in fake_org.groups)
    assert st["sync_count"] == 1 and st["needs_full"] is False
    from connector_okta.state import unpack

    stored = sorted(unpack(st["check_results_packed"]), key=lambda d: (d["check_id"], d["resource"]["uid"]))
    assert stored == results(msgs)


def test_unchanged_org_second_sync_is_incremental_and_identical(run_fake, fake_org, fakes):
    first, c1, _ = run_fake(fake_org)
    second, c2, engine2 = run_fake(fake_org, state=state_of(first))
    assert mode_of(second) == "incremental"
    assert by_type(second, "SYNC_STATUS")[0]["status"] == "succeeded"
    assert results(second) == results(first)
    assert not [r for r in by_type(second, "RECORD") if r["stream"] in ("users", "group_members", "app_users")]
    users_calls = [p for p in c2.requests if p == "/api/v1/users"]
    assert len(users_calls) == 1  # the delta probe
    assert len(c2.requests) < len(c1.requests)
    assert engine2.visits == {}
    st = state_of(second)
    assert st["sync_mode"] == "incremental" and st["syncs_since_full"] == 1
    assert st["high_water"] == state_of(first)["high_water"]
    # a third one chains off the second
    third, _, _ = run_fake(fake_org, state=st)
    assert mode_of(third) == "incremental" and results(third) == results(first)


def test_a_changed_user_makes_the_sync_full(run_fake, fake_org):
    first, _, _ = run_fake(fake_org)
    fake_org.users[2] = dict(fake_org.users[2], status="ACTIVE", lastUpdated="2026-01-01T00:00:00.000Z")
    second, _, engine = run_fake(fake_org, state=state_of(first))
    assert mode_of(second) == "full"
    assert any("users changed" in m["message"] for m in by_type(second, "LOG"))
    assert engine.visits["users"] == len(fake_org.users)
    assert results(second) != results(first)  # the locked-out user is no longer locked out
    assert state_of(second)["high_water"]["users"] == "2026-01-01T00:00:00.000Z"


def test_a_membership_change_makes_the_sync_full(run_fake, fake_org):
    first, _, _ = run_fake(fake_org)
    fake_org.groups[0] = dict(fake_org.groups[0], lastMembershipUpdated="2026-01-01T00:00:00.000Z")
    second, _, _ = run_fake(fake_org, state=state_of(first))
    assert mode_of(second) == "full"


def test_a_policy_change_makes_the_sync_full(run_fake, fake_org):
    first, _, _ = run_fake(fake_org)
    fake_org.policy_rules["00pPASS"][0]["name"] = "changed"
    second, _, _ = run_fake(fake_org, state=state_of(first))
    assert mode_of(second) == "full"


def test_periodic_full_sync(run_fake, fake_org, fakes):
    cfg = fakes.config(full_sync_every=3)
    modes = []
    state = None
    for _ in range(6):
        msgs, _, _ = run_fake(fake_org, state=state, config=cfg)
        modes.append(mode_of(msgs))
        state = state_of(msgs)
    assert modes == ["full", "incremental", "incremental", "full", "incremental", "incremental"]


def test_config_change_or_other_org_forces_full(run_fake, fake_org, fakes):
    first, _, _ = run_fake(fake_org)
    st = state_of(first)
    msgs, _, _ = run_fake(fake_org, state=st, config=fakes.config(check_profile="stig"))
    assert mode_of(msgs) == "full"
    msgs, _, _ = run_fake(fake_org, state=dict(st, org_uid="00oOTHER"))
    assert mode_of(msgs) == "full"
    msgs, _, _ = run_fake(fake_org, state={"version": 99})
    assert mode_of(msgs) == "full"
    msgs, _, _ = run_fake(fake_org, state={"version": 1, "sync_count": "garbage"})
    assert mode_of(msgs) == "full"
    msgs, _, _ = run_fake(fake_org, state=dict(st, check_results_packed="not base64!"))
    assert mode_of(msgs) == "full"


def test_partial_sync_leaves_needs_full(run_fake, fake_org, fakes):
    first, _, _ = run_fake(fake_org)
    client = fakes.FakeClient(fake_org)
    from connector_okta.client.errors import TransientError

    client.fail[r"/api/v1/groups"] = TransientError("503", status=503)
    second, _, _ = run_fake(fake_org, state=state_of(first), client=client)
    assert by_type(second, "SYNC_STATUS")[0]["status"] == "partial"
    assert state_of(second)["needs_full"] is True
    third, _, _ = run_fake(fake_org, state=state_of(second))
    assert mode_of(third) == "full"


def test_stable_permission_gap_still_allows_incremental(run_fake, fake_org, fakes):
    def client():
        c = fakes.FakeClient(fake_org)
        c.fail[r"/api/v1/org/privacy/oktaSupport"] = fakes.PermissionDenied("denied", status=403)
        return c

    first, _, _ = run_fake(fake_org, client=client())
    # Okta Support access needs a Super Administrator: not in scope for this credential, not partial (issue 16)
    assert by_type(first, "SYNC_STATUS")[0]["status"] == "succeeded"
    second, _, _ = run_fake(fake_org, client=client(), state=state_of(first))
    assert mode_of(second) == "incremental"
    assert results(second) == results(first)


def test_probe_failure_falls_back_to_full(run_fake, fake_org, fakes):
    first, _, _ = run_fake(fake_org)
    client = fakes.FakeClient(fake_org)
    from connector_okta.client.errors import TransientError

    calls = {"n": 0}

    def hook(path):
        if path == "/api/v1/devices":
            calls["n"] += 1
            if calls["n"] == 1:
                raise TransientError("503", status=503)

    client.hook = hook
    second, _, _ = run_fake(fake_org, state=state_of(first), client=client)
    assert mode_of(second) == "full"
    assert by_type(second, "SYNC_STATUS")[0]["status"] == "succeeded"


def test_prior_state_full_reason():
    p = PriorState.load(None)
    assert p.full_reason(org_uid="o", config_digest="c", full_sync_every=5) == "no complete previous sync"
    p = PriorState(org_uid="o", config_digest="c", high_water={"users": "x"}, check_results=[], needs_full=False,
                   syncs_since_full=0)
    assert p.full_reason(org_uid="o", config_digest="c", full_sync_every=5) is None
    assert "periodic" in p.full_reason(org_uid="o", config_digest="c", full_sync_every=1)
