"""The runner: messages validated, records normalised and staged, statuses judged, secrets redacted, one at a time."""

from __future__ import annotations

import logging
import threading

import pytest
from connector_host.runner import ProgressEvent
from connector_host.store import SyncInProgress
from host_fakes import TOKEN


def test_full_sync_then_change(runner, store, fake_org, integration):
    integ = integration()
    events: list[ProgressEvent] = []
    r = runner.sync("acme", progress=events.append)
    assert r.status == "succeeded", r.errors
    assert (r.assets_seen, r.assets_new, r.findings_seen, r.findings_new) == (5, 5, 3, 2)
    assert r.api_requests == 7 and r.counts["users"] == {"records": 3, "status": "COMPLETE"}
    assert store.get_integration(integ.id).state == {"cursor": 1}
    assert any(e.rate_limit_wait_seconds == 0.5 for e in events) and events[-1].kind == "done"
    assert store.asset("u1")["relationships"][0]["to"]["name"] == "Admins"

    del fake_org.users["u3"]
    fake_org.checks[("mfa", "u1")] = "pass"
    fake_org.checks[("mfa", "u4")] = "fail"
    fake_org.users["u4"] = "user4"
    r2 = runner.sync("acme")
    assert (r2.status, r2.assets_gone, r2.assets_new, r2.findings_new, r2.findings_resolved) == ("succeeded", 1, 1, 1, 1)
    assert store.asset("u3")["gone"] and not store.asset("u4")["gone"]


def test_partial_sync_marks_nothing(runner, store, fake_org, integration):
    integration()
    runner.sync("acme")
    fake_org.users.clear()
    fake_org.checks.clear()
    fake_org.incomplete = {"users"}
    r = runner.sync("acme")
    assert r.status == "partial" and r.assets_gone == 0 and r.findings_resolved == 0
    assert store.query_assets(type="user").total == 3 and store.query_findings().total == 3
    assert store.get_integration("acme").state == {"cursor": 2}


def test_connector_claiming_success_with_incomplete_stream_is_downgraded(runner, fake_org, integration):
    integration()
    fake_org.incomplete = {"groups"}
    fake_org.status = "succeeded"
    fake_org.extra_messages = []
    # FakeConnector reports partial itself when incomplete; force a lying "succeeded"
    fake_org.extra_messages.append({"type": "STREAM_STATUS", "stream_status": {"stream": "groups", "status": "INCOMPLETE"}})
    fake_org.incomplete = set()
    r = runner.sync("acme")
    assert r.status == "partial" and "streams incomplete: groups" in r.message


def test_a_stream_cut_by_the_connectors_budget_does_not_downgrade_nor_lose_assets(runner, store, fake_org,
                                                                                    integration):
    integration()
    assert runner.sync("acme").status == "succeeded"
    fake_org.users.clear()  # the budget-cut stream's objects are not re-read this time
    fake_org.extra_messages = [{"type": "STREAM_STATUS", "stream_status": {
        "stream": "users", "status": "INCOMPLETE", "error_kind": "budget",
        "reason": "the fan-out budget covers 0 of 3 users"}}]
    r = runner.sync("acme")
    assert r.status == "succeeded", r.message
    assert r.assets_gone == 0 and store.query_assets(type="user").total == 3  # not COMPLETE: nothing marked gone
    fake_org.extra_messages = [{"type": "STREAM_STATUS", "stream_status": {
        "stream": "users", "status": "INCOMPLETE", "error_kind": "transient", "reason": "503"}}]
    assert runner.sync("acme").status == "partial"


def test_invalid_messages_are_recorded_errors_not_crashes(runner, store, fake_org, integration):
    integration()
    fake_org.extra_messages = [
        {"type": "RECORD", "record": {"stream": "users", "kind": "asset", "data": {"id": "u9"}}},  # no emitted_at
        "not a message",
        {"type": "LOG", "log": {"level": "LOUD", "message": "x"}},
        {"type": "RECORD", "record": {"stream": "users", "kind": "check_result", "emitted_at": 1,
                                      "data": {"check_id": "x", "status": "pass", "resource": {"type": "user", "uid": "u1"},
                                               "evidence": {}}}},
    ]
    r = runner.sync("acme")
    assert r.status == "partial" and "3 invalid messages" in r.message
    assert len([e for e in r.errors if "invalid" in e["message"]]) == 3
    assert r.assets_gone == 0  # tainted -> no snapshot


def test_missing_sync_status_and_exceptions_fail(runner, store, fake_org, integration):
    integration()
    fake_org.no_sync_status = True
    r = runner.sync("acme")
    assert r.status == "failed" and "without reporting a status" in r.message and r.assets_seen == 0
    fake_org.no_sync_status = False
    fake_org.raise_in_sync = RuntimeError(f"exploded with {TOKEN}")
    r = runner.sync("acme")
    assert r.status == "failed" and TOKEN not in str(r.as_dict()) and "exploded" in r.message
    assert store.query_assets().total == 0


def test_secrets_redacted_from_errors_logs_and_store(runner, store, fake_org, integration, caplog, tmp_path):
    integration()
    fake_org.leak_secret = True
    fake_org.users["u9"] = f"careless {TOKEN}"  # a connector bug: the secret inside a record
    with caplog.at_level(logging.DEBUG):
        r = runner.sync("acme")
    assert "[redacted]" in str(r.errors) and TOKEN not in str(r.as_dict())
    assert "starting with token [redacted]" in caplog.text and TOKEN not in caplog.text
    assert store.asset("u9")["name"].startswith("careless [redacted]")
    if store.url is not None:  # PostgreSQL: every row of every table of the store's schema
        tables = store._q("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        assert len(tables) > 5
        for (table,) in tables:
            assert TOKEN not in str([tuple(r) for r in store._q(f'SELECT * FROM "{table}"')]), table
    store.close()
    for f in tmp_path.glob("store.db*"):
        assert TOKEN.encode() not in f.read_bytes(), f


def test_missing_secret_is_a_failed_sync_of_kind_config(runner, store, integration, monkeypatch):
    integration()
    monkeypatch.delenv("FAKE_TOKEN")
    r = runner.sync("acme")
    assert r.status == "failed" and r.errors[0]["kind"] == "config" and "FAKE_TOKEN is not set" in r.message
    result = runner.test("acme")
    assert result["status"] == "failed" and result["failure_kind"] == "config"


def test_invalid_config_refused_before_any_call(runner, store, fake_org, integration):
    integration(url="not-a-url")
    r = runner.sync("acme")
    assert r.status == "failed" and "invalid config" in r.message and fake_org.calls == 0


def test_no_two_syncs_of_one_integration(runner, store, fake_org, integration):
    integration()
    integration("other")
    fake_org.block = threading.Event()
    results = {}
    t = threading.Thread(target=lambda: results.setdefault("first", runner.sync("acme")))
    t.start()
    assert fake_org.started.wait(5)
    with pytest.raises(SyncInProgress):
        runner.sync("acme")
    fake_org.block.set()
    t.join(10)
    assert results["first"].status == "succeeded"
    assert runner.sync("acme").status == "succeeded"


def test_cancel_marks_interrupted_and_applies_nothing(runner, store, integration):
    integration()
    r = runner.sync("acme", cancelled=lambda: True)
    assert r.status == "interrupted" and r.assets_seen == 0 and store.query_assets().total == 0


def test_test_connection(runner, integration):
    integration()
    assert runner.test("acme")["status"] == "succeeded"


def test_ctrl_c_records_interrupted_and_applies_nothing(runner, store, fake_org, integration):
    integration()
    fake_org.raise_in_sync = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        runner.sync("acme")
    [row] = store.history("acme")
    assert row.status == "interrupted" and "Ctrl-C" in row.message and store.query_assets().total == 0
    fake_org.raise_in_sync = None
    assert runner.sync("acme").status == "succeeded"  # the lock was released


def test_internal_error_downgrades_a_claimed_success(runner, store, fake_org, integration):
    integration()
    runner.sync("acme")
    fake_org.checks.clear()  # e.g. the check engine crashed: no results, yet the connector says succeeded
    fake_org.extra_messages = [{"type": "ERROR", "error": {"kind": "internal", "message": "check engine failed"}}]
    r = runner.sync("acme")
    assert r.status == "partial" and "internal errors" in r.message and r.findings_resolved == 0
    assert store.query_findings().total == 3


def test_tracebacks_in_logs_are_redacted(runner, fake_org, integration):
    import io

    from connector_host.runner import active_redactors, redact_log_record

    integration()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.addFilter(lambda rec: redact_log_record(rec, active_redactors()) or True)  # as the CLI's handler
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        fake_org.raise_in_sync = RuntimeError(f"exploded with {TOKEN}")
        assert runner.sync("acme").status == "failed"
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    assert "Traceback" in buf.getvalue() and "exploded with [redacted]" in buf.getvalue()
    assert TOKEN not in buf.getvalue()
