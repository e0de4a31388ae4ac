"""The sync engine over a fake client: collections, records, statuses, errors, stops and crashes."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from connector_okta.fanout import parallel_pages
from connector_okta.resources import NAMES

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "sync_message.schema.json"


def by_type(msgs, kind):
    return [m[m["type"].lower()] for m in msgs if m["type"] == kind]


def final_statuses(msgs):
    out = {}
    for s in by_type(msgs, "STREAM_STATUS"):
        if s["status"] != "STARTED":
            out[s["stream"]] = s
    return out


def records(msgs, stream=None, kind=None):
    return [r for r in by_type(msgs, "RECORD") if (stream is None or r["stream"] == stream)
            and (kind is None or r["kind"] == kind)]


def status_of(msgs):
    st = by_type(msgs, "SYNC_STATUS")
    assert len(st) == 1 and msgs[-1]["type"] == "SYNC_STATUS"
    return st[0]


def test_full_sync_yields_every_collection_with_the_served_counts(run_fake, fake_org):
    msgs, client, engine = run_fake(fake_org)
    assert status_of(msgs)["status"] == "succeeded"
    assert status_of(msgs)["sync_mode"] == "full"
    finals = final_statuses(msgs)
    assert set(finals) == set(NAMES)
    assert finals["org_factors"]["status"] == "SKIPPED" and finals["org_factors"]["error_kind"] is None
    assert {n for n, s in finals.items() if s["status"] == "COMPLETE"} == set(NAMES) - {"org_factors"}
    o = fake_org
    assert finals["users"]["count"] == len(o.users)  # DEPROVISIONED included
    assert any(u["data"]["status"] == "DEPROVISIONED" for u in records(msgs, "users"))
    assert len(records(msgs, "users", "asset")) == len(o.users)
    assert len({r["data"]["id"] for r in records(msgs, "users")}) == len(o.users)
    assert len(records(msgs, "groups", "asset")) == len(o.groups)
    assert len(records(msgs, "devices", "asset")) == len(o.devices)
    assert len(records(msgs, "policies", "asset")) == sum(len(v) for v in o.policies.values())
    assert len(records(msgs, "policy_rules", "asset")) == sum(len(v) for v in o.policy_rules.values())
    n_members = sum(len(v) for v in o.group_members.values())
    edges = records(msgs, "group_members", "relationship")
    assert len(edges) == n_members and not records(msgs, "group_members", "asset")
    assert edges[0]["data"]["relation"] == "member_of"
    assert edges[0]["data"]["from"]["type"] == "user" and edges[0]["data"]["to"]["type"] == "group"
    # every org object and relationship carries the org
    for r in by_type(msgs, "RECORD"):
        assert r["org"] == {"uid": "00oFAKEORG1", "name": "fake.okta.com"}
        assert isinstance(r["emitted_at"], int)


def test_relationships(run_fake, fake_org):
    msgs, _, _ = run_fake(fake_org)
    rel = Counter((r["stream"], r["data"]["relation"]) for r in records(msgs, kind="relationship"))
    assert rel[("app_users", "assigned_to")] == 15
    assert rel[("app_groups", "assigned_to")] == 3
    assert rel[("user_roles", "has_role")] == 1
    assert rel[("group_roles", "has_role")] == 1
    assert rel[("policy_rules", "rule_of")] == 4
    assert rel[("api_tokens", "owns")] == 1
    (mapping,) = records(msgs, "policy_mappings", "relationship")
    assert mapping["data"]["from"] == {"type": "policy", "uid": "rstACCESS"}
    assert mapping["data"]["to"] == {"type": "app", "uid": "0oa0000"}
    (owns,) = records(msgs, "api_tokens", "relationship")
    assert owns["data"]["from"] == {"type": "user", "uid": "00u0000"}
    (role,) = records(msgs, "user_roles", "relationship")
    assert role["data"]["attributes"]["type"] == "SUPER_ADMIN"
    rule = records(msgs, "policy_rules", "asset")[0]
    assert rule["parent"]["type"] == "policy" and rule["parent"]["uid"] in fake_org.policy_rules
    asr = records(msgs, "authorization_server_policy_rules", "asset")[0]
    assert asr["parent"] == {"type": "authorization_server_policy", "uid": "00pAS1"}


def test_engine_sees_kept_collections_and_visits_streams(run_fake, fake_org):
    msgs, _, engine = run_fake(fake_org)
    cols = engine.collections
    assert cols["policies"].status == "complete" and len(cols["policies"].items) == 3
    assert set(cols["policy_rules"].by_parent) == {"00pSIGNON", "00pPASS", "rstACCESS"}
    assert [r["id"] for r in cols["policy_rules"].by_parent["00pSIGNON"]] == ["0prS1", "0prS2"]
    # items in parent order (then served order), whatever order the threads finished in
    assert [r["id"] for r in cols["policy_rules"].items] == ["0prS1", "0prS2", "0prP1", "0prA1"]
    assert cols["user_roles"].by_parent == {"00u0000": fake_org.user_roles["00u0000"]}
    assert cols["org_factors"].status == "not_applicable"
    assert cols["users"].status == "complete" and cols["users"].items == []  # streamed: never held
    assert engine.visits == {"users": len(fake_org.users)}
    assert engine.order.index("policies") < engine.order.index("users")
    locked = [r for r in records(msgs, "check_results") if r["data"]["check_id"] == "fake-locked"]
    assert len(locked) == sum(u["status"] == "LOCKED_OUT" for u in fake_org.users) > 0
    assert all(r["kind"] == "check_result" for r in records(msgs, "check_results"))
    total = [r for r in records(msgs, "check_results") if r["data"]["check_id"] == "fake-users-total"]
    assert total[0]["data"]["evidence"]["visited"] == len(fake_org.users)


def test_messages_match_the_host_schema(run_fake, fake_org, fakes):
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.exists():
        pytest.skip("host schema not there yet")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/logStreams"] = fakes.PermissionDenied("GET /api/v1/logStreams: permission denied",
                                                                 status=403, error_code="E0000006")
    for msgs in (run_fake(fake_org)[0], run_fake(fake_org, client=client)[0]):
        for m in msgs:
            validator.validate(m)


def test_permission_denied_collection_is_skipped_and_partial(run_fake, fake_org, fakes):
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/trustedOrigins"] = fakes.PermissionDenied("GET /api/v1/trustedOrigins: permission denied",
                                                                    status=403, error_code="E0000006",
                                                                    request_id="req-1")
    msgs, _, engine = run_fake(fake_org, client=client)
    s = final_statuses(msgs)["trusted_origins"]
    assert s["status"] == "SKIPPED" and s["error_kind"] == "permission" and "permission denied" in s["reason"]
    (err,) = by_type(msgs, "ERROR")
    assert err["kind"] == "permission" and err["fatal"] is False and err["stream"] == "trusted_origins"
    assert err["request_id"] == "req-1"
    assert engine.collections["trusted_origins"].status == "unavailable"
    st = status_of(msgs)
    assert st["status"] == "partial" and "trusted_origins" in st["message"]
    assert final_statuses(msgs)["users"]["status"] == "COMPLETE"  # the rest still read


def test_a_super_admin_collection_refused_is_out_of_scope_and_the_sync_succeeds(run_fake, fake_org, fakes):
    """Least privilege (issue 16): log_streams needs a Super Administrator (resources: admin_role); refused, it is
    not in scope for this credential: SKIPPED with error_kind out_of_scope, a LOG line and no ERROR, its checks
    unknown with the reason, and the sync succeeds with a note."""
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/logStreams"] = fakes.PermissionDenied("GET /api/v1/logStreams: permission denied",
                                                                 status=403, error_code="E0000006",
                                                                 request_id="req-1")
    msgs, _, engine = run_fake(fake_org, client=client)
    s = final_statuses(msgs)["log_streams"]
    assert s["status"] == "SKIPPED" and s["error_kind"] == "out_of_scope"
    assert s["reason"].startswith("not in scope for this credential") and "req-1" in s["reason"]
    assert by_type(msgs, "ERROR") == []
    assert any("log_streams: not in scope" in m["message"] for m in by_type(msgs, "LOG"))
    coll = engine.collections["log_streams"]
    assert coll.status == "unavailable" and coll.why().startswith("log_streams is not in scope for this credential")
    st = status_of(msgs)
    assert st["status"] == "succeeded" and "not in scope for this credential" in st["message"]
    assert "log_streams" in st["message"]


def test_permission_denied_sub_collection_stops_asking(run_fake, fake_org, fakes):
    for gid in ("00g0002", "00g0003"):
        fake_org.group_roles[gid] = [{"id": "ra" + gid, "type": "ORG_ADMIN"}]
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/groups/\w+/roles"] = fakes.PermissionDenied("denied", status=403)
    msgs, _, engine = run_fake(fake_org, client=client, config=fakes.config(max_concurrency=1))
    assert final_statuses(msgs)["group_roles"]["status"] == "SKIPPED"
    assert engine.collections["group_roles"].status == "unavailable"
    assert sum(p.endswith("/roles") and p.startswith("/api/v1/groups/") for p in client.requests) == 1


def test_feature_missing_is_not_an_error(run_fake, fake_org, fakes):
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/behaviors"] = fakes.FeatureNotAvailable("no feature", status=401, error_code="E0000015")
    msgs, _, engine = run_fake(fake_org, client=client)
    s = final_statuses(msgs)["behaviors"]
    assert s["status"] == "SKIPPED" and s["error_kind"] == "feature"
    assert engine.collections["behaviors"].status == "unavailable"
    assert not by_type(msgs, "ERROR")
    assert status_of(msgs)["status"] == "succeeded"


def test_classic_org(run_fake, fakes):
    org = fakes.make_org(pipeline="v1")
    msgs, client, engine = run_fake(org)
    finals = final_statuses(msgs)
    for name in ("authenticators", "device_assurances", "devices", "policy_mappings"):
        assert finals[name]["status"] == "SKIPPED" and engine.collections[name].status == "not_applicable", name
    assert finals["behaviors"]["status"] == "COMPLETE"
    assert finals["org_factors"]["status"] == "COMPLETE" and finals["org_factors"]["count"] == 1
    assert not any(p.startswith("/api/v1/authenticators") for p in client.requests)
    assert status_of(msgs)["status"] == "succeeded"


def test_collections_skip(run_fake, fake_org, fakes):
    msgs, client, engine = run_fake(fake_org, config=fakes.config(collections_skip=["users", "apps"]))
    finals = final_statuses(msgs)
    assert finals["users"]["status"] == "SKIPPED" and "collections_skip" in finals["users"]["reason"]
    assert finals["app_users"]["status"] == "SKIPPED" and finals["app_groups"]["status"] == "SKIPPED"
    assert engine.collections["users"].status == "skipped"
    assert not any(p == "/api/v1/users" or p.startswith("/api/v1/apps") for p in client.requests)
    assert status_of(msgs)["status"] == "succeeded"
    assert any("apps" in m["message"] for m in by_type(msgs, "LOG") if m["level"] == "WARNING")


def test_transient_error_mid_stream_is_incomplete(run_fake, fake_org, fakes):
    from connector_okta.client.errors import TransientError

    client = fakes.FakeClient(fake_org, page_size=5)
    calls = {"n": 0}

    def hook(path):
        if path == "/api/v1/users":
            calls["n"] += 1
            if calls["n"] == 2:
                raise TransientError("GET /api/v1/users: Okta answered 503", status=503)

    client.hook = hook
    msgs, _, engine = run_fake(fake_org, client=client)
    s = final_statuses(msgs)["users"]
    # the plain listing stops after its first page; the DEPROVISIONED series is still read (a failed series
    # leaves the others read, and only its own gap is named)
    deprovisioned = sum(1 for u in fake_org.users if u["status"] == "DEPROVISIONED")
    assert s["status"] == "INCOMPLETE" and s["count"] == 5 + deprovisioned and s["error_kind"] == "transient"
    assert "503" in s["reason"]
    users = engine.collections["users"]
    assert users.status == "incomplete" and set(users.series_gaps) == {""}
    assert status_of(msgs)["status"] == "partial"
    state = by_type(msgs, "STATE")[0]
    assert state["needs_full"] is True


def test_credentials_revoked_mid_sync_stops(run_fake, fake_org, fakes):
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/apps"] = fakes.CredentialsError(
        "GET /api/v1/apps: the API token is invalid, expired or revoked (E0000011); create a new API token",
        status=401, error_code="E0000011")
    msgs, _, _ = run_fake(fake_org, client=client)
    (err,) = by_type(msgs, "ERROR")
    assert err["kind"] == "credentials" and err["fatal"] is True and "new API token" in err["message"]
    finals = final_statuses(msgs)
    assert finals["users"]["status"] == "SKIPPED" and finals["users"]["error_kind"] == "stopped"
    assert set(finals) == set(NAMES)
    st = status_of(msgs)
    assert st["status"] == "partial"
    assert not records(msgs, "check_results")
    assert "/api/v1/users" not in client.requests
    assert not any(p.startswith("/api/v1/policies/") for p in client.requests)  # no sub-collection after the stop


def test_bad_credentials_at_start_fail(run_fake, fake_org, fakes):
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/org"] = fakes.CredentialsError("the API token is invalid", status=401)
    msgs, _, _ = run_fake(fake_org, client=client)
    assert status_of(msgs)["status"] == "failed"
    assert len(client.requests) == 2
    assert not records(msgs)


def test_cancellation(run_fake, fake_org, fakes):
    client = fakes.FakeClient(fake_org)
    ctx = SimpleNamespace(cancelled=lambda: len(client.requests) >= 10, logger=None, budget=None)
    msgs, _, _ = run_fake(fake_org, client=client, context=ctx, config=fakes.config(max_concurrency=1))
    st = status_of(msgs)
    assert st["status"] == "partial" and "cancel" in st["message"]
    assert len(client.requests) <= 11
    assert not by_type(msgs, "ERROR")
    assert by_type(msgs, "STATE")[0]["needs_full"] is True


def test_time_budget(run_fake, fake_org, fakes):
    client = fakes.FakeClient(fake_org)
    client.hook = lambda path: time.sleep(0.02)
    msgs, _, _ = run_fake(fake_org, client=client, config=fakes.config(max_sync_seconds=0.15, max_concurrency=1))
    st = status_of(msgs)
    assert st["status"] == "partial" and "max_sync_seconds" in st["message"]
    assert len(client.requests) < 20


def test_fanout_budget_limits_group_roles(run_fake, fake_org, fakes):
    # a user's role assigned through group 00g0003 names that group: it is read first
    fake_org.user_roles["00u0000"].append({"id": "ra9", "type": "ORG_ADMIN", "assignmentType": "GROUP",
                                           "_links": {"assignee": {"href": "https://x/api/v1/groups/00g0003"}}})
    msgs, client, engine = run_fake(fake_org, config=fakes.config(fanout_budget=2))
    s = final_statuses(msgs)["group_roles"]
    assert s["status"] == "INCOMPLETE" and "fanout_budget" in s["reason"] and s["error_kind"] == "budget"
    role_reads = [p for p in client.requests if p.startswith("/api/v1/groups/") and p.endswith("/roles")]
    assert sorted(role_reads) == ["/api/v1/groups/00g0000/roles", "/api/v1/groups/00g0003/roles"]
    # the two group-role reads, and each admin's factors (on the checks' budget: user_factors)
    assert by_type(msgs, "STATS")[0]["fanout_requests"] == 2 + len(fake_org.user_roles)
    assert engine.collections["group_roles"].status == "incomplete"
    # a budget the user set is not an error: the sync still succeeds and may seed an incremental one
    assert status_of(msgs)["status"] == "succeeded"
    assert by_type(msgs, "STATE")[0]["needs_full"] is False


def test_engine_crash_keeps_the_inventory(fake_org, fakes):
    from connector_okta.sync import SyncRun, guarded

    def boom(*a):
        raise RuntimeError("engine broke")

    msgs = list(guarded({}, SyncRun(fakes.config(), fakes.FakeClient(fake_org), None, None,
                                    engine_factory=boom).run()))
    (err,) = by_type(msgs, "ERROR")
    assert err["kind"] == "internal" and err["fatal"] is False
    assert final_statuses(msgs)["users"]["status"] == "COMPLETE"
    assert status_of(msgs)["status"] == "partial"


def test_crash_becomes_internal_error_without_secrets(fake_org, fakes):
    from connector_okta.sync import SyncRun, guarded

    secret = "00abcdefSECRETtoken1234"
    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/zones"] = RuntimeError(f"boom with {secret}")
    msgs = list(guarded({"token": secret}, SyncRun(fakes.config(), client, None, None,
                                                   engine_factory=lambda *a: fakes.FakeEngine(*a)).run()))
    assert msgs[-1]["type"] == "SYNC_STATUS" and msgs[-1]["sync_status"]["status"] == "failed"
    err = by_type(msgs, "ERROR")[-1]
    assert err["kind"] == "internal" and err["fatal"] is True
    assert secret not in json.dumps(msgs)


def test_guard_adds_a_missing_status_and_drops_anything_after_it():
    from connector_okta.sync import guarded

    out = list(guarded({}, iter([{"type": "LOG", "log": {"level": "INFO", "message": "x"}}])))
    assert out[-1]["sync_status"]["status"] == "failed"
    out = list(guarded({}, iter([{"type": "SYNC_STATUS", "sync_status": {"status": "succeeded"}},
                                 {"type": "SYNC_STATUS", "sync_status": {"status": "failed"}}])))
    assert len(out) == 1


def test_concurrency_gives_the_same_records(run_fake, fake_org, fakes):
    def key(msgs):
        return sorted(json.dumps({k: v for k, v in r.items() if k != "emitted_at"}, sort_keys=True)
                      for r in by_type(msgs, "RECORD"))

    one = run_fake(fake_org, config=fakes.config(max_concurrency=1))[0]
    four = run_fake(fake_org, config=fakes.config(max_concurrency=4))[0]
    assert key(one) == key(four)


def test_parallel_pages_stops_workers_when_closed():
    started = threading.Event()

    def pages(job):
        for i in range(1000):
            started.set()
            yield [job, i]

    before = threading.active_count()
    gen = parallel_pages(range(10), pages, 3, queue_size=2)
    kind, job, page = next(gen)
    assert kind == "page"
    gen.close()
    deadline = time.monotonic() + 3
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_parallel_pages_reports_errors_per_job():
    def pages(job):
        if job == 2:
            raise ValueError("bad")
        yield [job]

    out = list(parallel_pages(range(4), pages, 2))
    assert sorted(j for k, j, _ in out if k == "done") == [0, 1, 3]
    assert [j for k, j, _ in out if k == "error"] == [2]


def test_streamed_sub_collections_are_visited_with_their_parent_id(run_fake, fake_org):
    msgs, _, engine = run_fake(fake_org, engine_kw={"streams": ("users", "group_members", "app_users")})
    members = engine.seen["group_members"]
    assert len(members) == sum(len(v) for v in fake_org.group_members.values())
    assert {(m["groupId"], m["id"]) for m in members} == {
        (g, u) for g, us in fake_org.group_members.items() for u in us}
    assert {m["appId"] for m in engine.seen["app_users"]} == {a["id"] for a in fake_org.apps}
    # the emitted records are the objects as served (no added keys)
    assert all("groupId" not in r["data"] for r in records(msgs, "users"))


def test_unreachable_org_mid_sync_stops_after_two_collections(run_fake, fake_org, fakes):
    from connector_okta.client.errors import NetworkError

    client = fakes.FakeClient(fake_org)
    client.fail[r"/api/v1/(zones|idps|apps|authorizationServers|groups/rules)"] = NetworkError("connection refused")
    msgs, _, _ = run_fake(fake_org, client=client, config=fakes.config(max_concurrency=1))
    errs = by_type(msgs, "ERROR")
    assert errs[-1]["kind"] == "network" and errs[-1]["fatal"] is True
    assert status_of(msgs)["status"] == "partial"
    assert "/api/v1/users" not in client.requests


def test_cancellation_with_workers_stops_promptly(run_fake, fake_org, fakes):
    client = fakes.FakeClient(fake_org)
    ctx = {"cancelled": lambda: len(client.requests) >= 30}
    started = time.monotonic()
    msgs, _, _ = run_fake(fake_org, client=client, context=ctx, config=fakes.config(max_concurrency=4))
    assert status_of(msgs)["status"] == "partial"
    assert len(client.requests) <= 30 + 4 * 3  # workers run ahead by at most their queue
    assert time.monotonic() - started < 5
