"""The runner's fast check of RECORD messages never accepts what ``sync_message.schema.json`` rejects, and
accepts the records connectors ordinarily send (so the slow full validation is the exception)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from connector_host.validation import record_message_ok, validator

REF = {"type": "user", "uid": "00u1", "name": "Ann"}
VALID: dict[str, dict[str, Any]] = {
    "asset": {"type": "RECORD", "record": {
        "stream": "users", "kind": "asset", "data": {"id": "00u1", "profile": {"login": "a@example.com"}},
        "emitted_at": 1_700_000_000_000, "org": {"uid": "org1", "name": None}, "parent": REF,
        "enrichment": {"is_admin": False}}},
    "relationship": {"type": "RECORD", "record": {
        "stream": "group_members", "kind": "relationship", "emitted_at": 0,
        "data": {"relation": "member_of", "from": REF, "to": {"type": "group", "uid": "00g1"},
                 "attributes": {"x": 1}}}},
    "check_result": {"type": "RECORD", "record": {
        "stream": "check_results", "kind": "check_result", "emitted_at": 5,
        "data": {"check_id": "okta-user-inactive", "status": "fail", "evidence": {"last_login": None},
                 "resource": {"type": "user", "uid": "00u1", "name": "Ann", "parent_uid": None},
                 "related": [REF], "message": "inactive", "profile": None}}},
}

ODD_VALUES: list[Any] = [None, True, False, 0, -1, 1.0, 1.5, "", "x", "Member_Of", "member_of\n", "fail",
                         [], [REF], [{}], {}, {"type": "", "uid": "u"}, {"uid": "u"}, dict(REF)]


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _mutants(msg: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every key removed, every value replaced by each odd value, and unknown keys added."""
    for path in list(_paths(msg)):
        parent_path, last = path[:-1], path[-1]
        for value in [*ODD_VALUES, "__delete__"]:
            m = copy.deepcopy(msg)
            parent = m
            for p in parent_path:
                parent = parent[p]
            if value == "__delete__":
                if isinstance(parent, dict):
                    del parent[last]
                else:
                    parent.pop(last)
            else:
                parent[last] = copy.deepcopy(value)
            yield m
        m = copy.deepcopy(msg)
        target = m
        for p in path:
            target = target[p]
        if isinstance(target, dict):
            target["unknown_extra"] = {"n": 1}
            yield m


@pytest.mark.parametrize("kind", sorted(VALID))
def test_fast_check_accepts_ordinary_records(kind: str) -> None:
    msg = VALID[kind]
    assert validator("sync_message.schema.json").is_valid(msg)
    assert record_message_ok(msg)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_fast_check_never_accepts_what_the_schema_rejects(kind: str) -> None:
    full = validator("sync_message.schema.json")
    accepted = rejected_by_both = 0
    for m in _mutants(VALID[kind]):
        if record_message_ok(m):
            assert full.is_valid(m), f"fast check accepted an invalid message: {m}"
            accepted += 1
        elif not full.is_valid(m):
            rejected_by_both += 1
    # the mutants exercise both sides: many stay valid, many are invalid
    assert accepted > 20 and rejected_by_both > 20


def test_fast_check_leaves_other_types_and_non_dicts_to_the_full_validator() -> None:
    assert not record_message_ok({"type": "LOG", "log": {"level": "INFO", "message": "m"}})
    assert not record_message_ok({"type": "SYNC_STATUS", "sync_status": {"status": "succeeded"}})
    assert not record_message_ok(["RECORD"])
    assert not record_message_ok(None)
