"""An incremental sync's ``snapshot_streams`` (issue 18): the streams a connector read in full on a re-sync are
applied as on a full sync (unseen assets gone, unseen relationships removed), and ``check_results`` resolves the
findings not re-emitted; streams read in part, partial syncs and connectors that do not say keep the incremental
semantics (nothing gone, nothing resolved)."""

from __future__ import annotations

import pytest
from connector_host.store import StagedAsset, StagedFinding, StagedRelationship


def A(uid, stream):
    return StagedAsset("thing", uid, uid, 5023, stream, {"uid": uid})


def F(uid, status="fail"):
    return StagedFinding(uid, "c1", f"title {uid}", 4, status, [], "thing", uid, uid, {"uid": uid})


def R(a, b, stream):
    return StagedRelationship(stream, "member_of", "thing", a, "thing", b)


@pytest.fixture
def integ(store):
    return store.add_integration("acme", "fake", {"url": "x"})


def sync(store, integ, *, mode, assets=(), findings=(), rels=(), complete=None, snapshot=None, status="succeeded"):
    sid = store.start_sync(integ.id, sync_mode=mode)
    store.stage(sid, assets, findings, rels)
    return store.finish_sync(sid, status, complete_streams=complete, sync_mode=mode, snapshot_streams=snapshot)


def live(store):
    return {a["uid"] for a in store.query_assets(limit=100).items}


def active(store):
    return {f["uid"] for f in store.query_findings(limit=100).items if f["status"] == "active"}


def seed(store, integ):
    sync(store, integ, mode="full", assets=[A("p1", "policies"), A("p2", "policies"), A("u1", "users"),
                                            A("u2", "users")],
         findings=[F("p1"), F("p2"), F("u2")], rels=[R("u1", "p1", "group_members"), R("p1", "p2", "policies")],
         complete=["policies", "users", "group_members"])


def test_streams_read_in_full_are_snapshots_on_an_incremental_sync(store, integ):
    seed(store, integ)
    rec = sync(store, integ, mode="incremental", assets=[A("p1", "policies"), A("u1", "users")],
               findings=[F("p1")], complete=["policies", "users", "group_members"],
               snapshot=["policies", "check_results"])
    assert rec.sync_mode == "incremental"
    assert live(store) == {"p1", "u1", "u2"}  # p2 gone (policies read in full); u2 kept (users read in part)
    assert rec.assets_gone == 1
    # p2's finding resolves (its asset is gone); u2's is kept: its asset was not re-read (the unread rule)
    assert active(store) == {"p1", "u2"} and rec.findings_resolved == 1
    rels = {(r["from_uid"], r["to_uid"]) for r in store.asset_relationships("p1")} \
        if hasattr(store, "asset_relationships") else None
    if rels is not None:
        assert ("p1", "p2") not in rels


def test_without_snapshot_streams_an_incremental_sync_changes_nothing_gone(store, integ):
    seed(store, integ)
    rec = sync(store, integ, mode="incremental", assets=[A("p1", "policies")], findings=[F("p1")],
               complete=["policies", "users"])
    assert live(store) == {"p1", "p2", "u1", "u2"} and rec.assets_gone == 0
    assert active(store) == {"p1", "p2", "u2"} and rec.findings_resolved == 0


def test_a_partial_incremental_sync_ignores_snapshot_streams(store, integ):
    seed(store, integ)
    rec = sync(store, integ, mode="incremental", assets=[A("p1", "policies")], findings=[F("p1")],
               complete=["policies"], snapshot=["policies", "check_results"], status="partial")
    assert live(store) == {"p1", "p2", "u1", "u2"} and rec.assets_gone == 0 and rec.findings_resolved == 0


def test_a_snapshot_stream_not_reported_complete_is_not_a_snapshot(store, integ):
    seed(store, integ)
    rec = sync(store, integ, mode="incremental", assets=[A("p1", "policies")], complete=["users"],
               snapshot=["policies"])
    assert live(store) == {"p1", "p2", "u1", "u2"} and rec.assets_gone == 0


def test_check_results_snapshot_lets_unknown_replace_a_known_result(store, integ):
    seed(store, integ)
    sync(store, integ, mode="incremental", assets=[A("p1", "policies"), A("p2", "policies")],
         findings=[F("p1", "unknown"), F("p2"), F("u2")], complete=["policies"],
         snapshot=["policies", "check_results"])
    by_uid = {f["uid"]: f for f in store.query_findings(limit=100).items}
    assert by_uid["p1"]["compliance_status"] == "unknown"  # judged now, as a full sync would
