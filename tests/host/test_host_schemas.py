"""The host's contract schemas: valid examples pass, broken ones fail, the Okta manifest conforms."""

from __future__ import annotations

import copy

import pytest
from connector_host.validation import errors, load_schema, validator
from host_fakes import manifest


@pytest.mark.parametrize("name", ["manifest.schema.json", "sync_message.schema.json", "connection_result.schema.json"])
def test_schemas_are_valid_draft_2020_12(name):
    validator(name).check_schema(load_schema(name))


def test_manifest_examples():
    assert errors("manifest.schema.json", manifest()) == []
    for mutate, where in [
        (lambda m: m.pop("capabilities"), "capabilities"),
        (lambda m: m.update(version="1.0"), "version"),
        (lambda m: m.update(id="Okta Connector"), "id"),
        (lambda m: m["capabilities"].update(sync_modes=["sometimes"]), "sync_modes"),
        (lambda m: m["sync"].update(default_interval_minutes=0), "default_interval_minutes"),
        (lambda m: m.update(documentation_url="http://insecure.example"), "documentation_url"),
    ]:
        m = copy.deepcopy(manifest())
        mutate(m)
        problems = errors("manifest.schema.json", m)
        assert problems and any(where in p for p in problems), (where, problems)


def test_okta_manifest_conforms():
    plugin = pytest.importorskip("connector_okta.plugin")
    assert errors("manifest.schema.json", plugin.connector_manifest()) == []


REC = {"stream": "users", "kind": "asset", "org": {"uid": "00o1", "name": "acme"}, "data": {"id": "00u1"}, "emitted_at": 1}
GOOD = [
    {"type": "RECORD", "record": REC},
    {"type": "RECORD", "record": {**REC, "kind": "relationship", "stream": "group_members",
                                  "data": {"relation": "member_of", "from": {"type": "user", "uid": "00u1"},
                                           "to": {"type": "group", "uid": "00g1"}, "attributes": {}}}},
    {"type": "RECORD", "record": {**REC, "kind": "check_result", "stream": "check_results",
                                  "data": {"check_id": "okta-x", "status": "fail", "evidence": {"a": 1},
                                           "resource": {"type": "org", "uid": "00o1", "name": "acme"},
                                           "message": "m", "profile": "stig", "related": []}}},
    {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "INCOMPLETE", "count": 3,
                                                "reason": "403", "error_kind": "permission"}},
    {"type": "PROGRESS", "progress": {"stream": "users", "count": 5000, "requests": 40, "rate_limit_wait_seconds": 1.5,
                                      "message": "..."}},
    {"type": "LOG", "log": {"level": "DEBUG", "message": "x"}},
    {"type": "STATE", "state": {"anything": [1, 2]}},
    {"type": "STATS", "stats": {"requests": 812, "requests_by_bucket": {"users": 500}, "requests_by_endpoint": {"/api/v1/users": 500},
                                "retries": 0, "throttled": 0, "rate_limit_wait_seconds": 0.0, "fanout_requests": 12,
                                "duration_seconds": 9.1}},
    {"type": "ERROR", "error": {"kind": "rate_limited", "message": "slow down", "stream": None, "request_id": None, "fatal": False}},
    {"type": "SYNC_STATUS", "sync_status": {"status": "partial", "message": "..."}},
]
BAD = [
    {"type": "RECORD"},
    {"type": "RECORD", "record": {**REC, "kind": "thing"}},
    {"type": "RECORD", "record": {k: v for k, v in REC.items() if k != "emitted_at"}},
    {"type": "RECORD", "record": {**REC, "kind": "relationship", "data": {"relation": "member_of", "from": {"type": "user"}}}},
    {"type": "RECORD", "record": {**REC, "kind": "check_result", "data": {"check_id": "x", "status": "ok",
                                                                           "resource": {"type": "org", "uid": "1"}, "evidence": {}}}},
    {"type": "RECORD", "record": {**REC, "kind": "check_result", "data": {"check_id": "x", "status": "pass",
                                                                           "resource": {"type": "org", "uid": "1"}}}},
    {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "DONE"}},
    {"type": "LOG", "log": {"level": "TRACE", "message": "x"}},
    {"type": "STATS", "stats": {"requests": -1}},
    {"type": "ERROR", "error": {"kind": "oops", "message": "x"}},
    {"type": "SYNC_STATUS", "sync_status": {"status": "done"}},
    {"type": "HELLO"},
    {"record": REC},
]


@pytest.mark.parametrize("msg", GOOD, ids=[m["type"] + str(i) for i, m in enumerate(GOOD)])
def test_sync_messages_valid(msg):
    assert errors("sync_message.schema.json", msg) == []


@pytest.mark.parametrize("msg", BAD, ids=[str(i) for i in range(len(BAD))])
def test_sync_messages_invalid(msg):
    assert errors("sync_message.schema.json", msg)


def test_connection_result_schema():
    ok = {"status": "succeeded", "failure_kind": None, "message": "connected", "identity": {"id": "00u1"},
          "capabilities": [{"name": "users", "status": "ok", "detail": "readable", "scope": "okta.users.read"}],
          "warnings": []}
    assert errors("connection_result.schema.json", ok) == []
    assert errors("connection_result.schema.json", {"status": "failed", "message": "x", "capabilities": []})
    assert errors("connection_result.schema.json", {**ok, "status": "maybe"})
    assert errors("connection_result.schema.json", {**ok, "failure_kind": "bad-kind"})
