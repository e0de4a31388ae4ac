"""Replay fixtures synced end to end: the real Okta connector, the real host (registry, runner, store).

Two orgs (``tests/fixtures/replay/``): one made of Okta's own OpenAPI examples, one shaped like real orgs by hand
(older objects missing newer fields, ids shared across parents, floats where the spec says integer, non-ISO
timestamps, unknown enum values). Each is served verbatim by a replay server, in pages, and synced through the
host into a temporary store. Then: every stored asset and finding validates (our profile and OCSF 1.6.0), every
asset uid is unique, and nothing is lost: per collection, the objects in the fixture = the objects served = the
records emitted = the assets (or relationships) stored.
"""

from __future__ import annotations

import collections
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from connector_host import ocsf
from connector_host.loader import load_connectors
from connector_host.runner import Runner
from connector_host.store import Store
from connector_host.validation import errors as schema_errors
from replay_server import TOKEN, ReplayServer, load_fixture

from connector_okta.resources import RESOURCES, Resource

FIXTURES = ("okta_spec_examples.json", "okta_real_shaped.json")


def resource_of(key: str) -> Resource | None:
    """The collection a fixture response belongs to (None: a path no collection reads, e.g. a check's own read)."""
    path = key.split("?", 1)[0]
    found = [r for r in RESOURCES if re.fullmatch(re.sub(r"\{[a-z_]+\}", "[^/]+", r.path), path)]
    return min(found, key=lambda r: r.path.count("{"), default=None)


def fixture_counts(fixture: dict[str, Any]) -> dict[str, int]:
    """Objects per collection in the fixture (a single object counts one)."""
    counts: collections.Counter[str] = collections.Counter()
    for key, body in fixture["responses"].items():
        res = resource_of(key)
        if res is not None:
            counts[res.name] += len(body) if isinstance(body, list) else 1
    return dict(counts)


class Synced:
    """One replay synced through the host: the sync row, every message the runner saw, the stored rows."""

    def __init__(self, fixture_name: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fixture = load_fixture(fixture_name)
        monkeypatch.setenv("REPLAY_TOKEN", TOKEN)
        self.messages: list[dict[str, Any]] = []
        registry = load_connectors(allow=["okta"], env={})
        self.connector = registry.get("okta")
        real_sync = self.connector.sync

        def teed(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            for msg in real_sync(*args, **kwargs):
                self.messages.append(msg)
                yield msg

        self.connector.sync = teed  # type: ignore[method-assign] - the test sees every message the runner sees
        with ReplayServer(self.fixture) as server, Store(tmp / "replay.db") as store:
            integ = store.add_integration("replay", "okta", server.config(), interval_minutes=60)
            self.sync = Runner(store, registry, batch_size=50).sync(integ.id)
            self.served = {key: server.served(key) for key in self.fixture["responses"]}
            db = store._conn()  # noqa: SLF001 - the test reads exactly what the store keeps
            self.assets = [dict(r) for r in db.execute(
                "SELECT type, uid, stream, data FROM assets WHERE integration_id = ?", (integ.id,))]
            self.relationships = [dict(r) for r in db.execute(
                "SELECT stream, relation, from_type, from_uid, to_type, to_uid FROM relationships"
                " WHERE integration_id = ?", (integ.id,))]
            self.findings = [dict(r) for r in db.execute(
                "SELECT uid, data FROM findings WHERE integration_id = ?", (integ.id,))]

    def records(self, kind: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["record"]["kind"] == kind]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synced]:
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for name in FIXTURES:
            out[name] = Synced(name, tmp_path_factory.mktemp(name.split(".")[0]), mp)
    return out


@pytest.mark.parametrize("name", FIXTURES)
def test_the_replay_sync_succeeds_without_errors(synced, name):
    s = synced[name]
    assert s.sync.status == "succeeded", (s.sync.message, s.sync.errors)
    assert s.sync.errors == []
    assert s.sync.assets_seen == len(s.assets) > 0


@pytest.mark.parametrize("name", FIXTURES)
def test_every_stored_asset_and_finding_validates(synced, name):
    s = synced[name]
    for row in s.assets:
        event = json.loads(row["data"])
        assert schema_errors("asset.schema.json", event) == [], (row["stream"], row["uid"])
        assert ocsf.validation_errors(event) == [], (row["stream"], row["uid"])
        assert event["unmapped"]["source"]["uid"] == row["uid"]
    assert s.findings
    for row in s.findings:
        event = json.loads(row["data"])
        assert schema_errors("finding.schema.json", event) == [], row["uid"]
        assert ocsf.validation_errors(event) == [], row["uid"]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_uid_is_unique_across_the_org(synced, name):
    s = synced[name]
    uids = collections.Counter(row["uid"] for row in s.assets)
    assert [u for u, n in uids.items() if n > 1] == []
    # and no two records the connector emitted were given one uid (the store would have kept one of them)
    emitted = collections.Counter(s.connector.normalize_asset(r)["unmapped"]["source"]["uid"]
                                  for r in s.records("asset"))
    assert [u for u, n in emitted.items() if n > 1] == []
    results = s.records("check_result")
    assert len({s.connector.normalize_finding(r)["finding_info"]["uid"] for r in results}) == len(results)
    assert len(s.findings) == len(results)


@pytest.mark.parametrize("name", FIXTURES)
def test_nothing_is_lost_fixture_served_emitted_stored(synced, name):
    s = synced[name]
    expected = fixture_counts(s.fixture)
    served: collections.Counter[str] = collections.Counter()
    for key, n in s.served.items():
        res = resource_of(key)
        if res is not None:
            served[res.name] += n
    emitted_assets = collections.Counter(r["stream"] for r in s.records("asset"))
    emitted_edges = collections.Counter(r["stream"] for r in s.records("relationship"))
    stored_assets = collections.Counter(row["stream"] for row in s.assets)
    stored_edges = collections.Counter(row["stream"] for row in s.relationships)
    checked = 0
    for res in RESOURCES:
        if res.name not in expected:
            continue
        n = expected[res.name]
        assert served[res.name] == n, f"{res.name}: {served[res.name]} of {n} objects were read"
        if res.emit in ("asset", "both"):
            assert emitted_assets[res.name] == stored_assets[res.name] == n, (
                res.name, n, emitted_assets[res.name], stored_assets[res.name])
            checked += 1
        elif res.emit == "relationship":
            assert emitted_edges[res.name] == stored_edges[res.name] == n, (
                res.name, n, emitted_edges[res.name], stored_edges[res.name])
            checked += 1
    assert checked >= 25, expected
    assert sum(stored_assets.values()) == len(s.assets) == sum(
        n for name, n in expected.items() if next(r for r in RESOURCES if r.name == name).emit in ("asset", "both"))


def test_ids_shared_across_parents_stay_apart(synced):
    """The real-shaped org's USER_ADMIN assignment (one id) on three groups and two users, one of them twice."""
    s = synced["okta_real_shaped.json"]
    roles = sorted(row["uid"] for row in s.assets if row["type"] == "role_assignment"
                   and row["uid"].split("/")[3] == "KVJUKUS7IFCE2SKO")
    assert roles == [
        "group/00g1realshape0000001/role/KVJUKUS7IFCE2SKO",
        "group/00g1realshape0000002/role/KVJUKUS7IFCE2SKO",
        "group/00g1realshape0000003/role/KVJUKUS7IFCE2SKO",
        "user/00u1realshape0000000/role/KVJUKUS7IFCE2SKO",
        "user/00u1realshape0000000/role/KVJUKUS7IFCE2SKO/via/group/00g1realshape0000001",
        "user/00u1realshape0000001/role/KVJUKUS7IFCE2SKO",
    ]
    has_role = {(r["from_uid"], r["to_uid"]) for r in s.relationships if r["relation"] == "has_role"}
    assert ("00u1realshape0000000", roles[4]) in has_role and ("00g1realshape0000002", roles[1]) in has_role
    # an app user's id is the user's id under every app: one edge per app
    app_edges = [r for r in s.relationships if r["stream"] == "app_users" and r["from_uid"] == "00u1realshape0000000"]
    assert len(app_edges) == 3


def test_whole_floats_are_read_as_integers(synced):
    """The real-shaped org carries integers as floats (``minLength: 8.0``, ``priority: 1.0``,
    ``maxSessionIdleMinutes: 120.0``, ``sessionIdleTimeoutMinutes: 15.0``): they are judged as the integers they
    are, never ``unknown`` "does not state"."""
    results = {}
    for rec in synced["okta_real_shaped.json"].records("check_result"):
        results.setdefault(rec["data"]["check_id"], []).append(rec["data"])
    unread_floats = [r for rs in results.values() for r in rs if "does not state" in r["message"]
                     and any(isinstance(v, float) for v in r["evidence"].values())]
    assert unread_floats == []
    (min_length,) = results["okta-password-min-length"]
    assert min_length["status"] == "fail" and min_length["evidence"]["minLength"] == 8.0, min_length
    (lockout,) = results["okta-password-lockout"]
    assert lockout["status"] == "fail" and "10 failed attempts" in lockout["message"], lockout
    (console,) = results["okta-admin-console-session-idle"]
    assert console["status"] == "pass" and "15 minutes" in console["message"], console
    # the rule 'Office' (priority 1.0, idle 120.0) is the first Okta applies: it was sorted last as a rule of
    # unknown priority and its idle time read as missing, so the result named the Default Rule behind it instead
    (idle,) = results["okta-session-idle-timeout"]
    assert idle["status"] == "fail" and idle["resource"]["name"] == "Office" and "120 minutes" in idle["message"]
    (top,) = results["okta-session-default-rule-priority"]
    assert top["status"] == "pass" and top["resource"]["name"] == "Office", top


def test_admin_console_findings_name_their_asset(synced):
    """The Admin Console session checks name the asset the admin_console_settings collection is emitted as."""
    s = synced["okta_real_shaped.json"]
    uids = {row["uid"] for row in s.assets}
    for rec in s.records("check_result"):
        if rec["data"]["check_id"].startswith("okta-admin-console-session"):
            assert rec["data"]["resource"]["uid"] in uids, rec["data"]["resource"]
            assert rec["data"]["resource"]["uid"].endswith(":admin_console_settings")
