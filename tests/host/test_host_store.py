"""The store: snapshot semantics applied atomically, first/last seen, new/resolved counts, views."""

from __future__ import annotations

import pytest
from connector_host.store import (
    NotFound,
    StagedAsset,
    StagedFinding,
    StagedRelationship,
    Store,
    StoreError,
    SyncInProgress,
)


def A(uid, type_="user", stream="users", name=None):
    return StagedAsset(type_, uid, name or uid, 5003, stream, {"uid": uid})


def F(uid, status="fail", sev=4, check="c1"):
    return StagedFinding(uid, check, f"title {uid}", sev, status, ["STIG", "V-1"], "user", uid, uid, {"uid": uid})


def run(store, integ, status="succeeded", assets=(), findings=(), rels=(), complete=None, mode="full"):
    sid = store.start_sync(integ.id, sync_mode=mode)
    store.stage(sid, assets, findings, rels)
    return store.finish_sync(sid, status, complete_streams=complete)


@pytest.fixture
def integ(store):
    return store.add_integration("acme", "fake", {"url": "x"})


def active_assets(store):
    return {a["uid"] for a in store.query_assets(limit=1000).items}


def test_gone_only_on_complete_full_sync(store, integ):
    run(store, integ, assets=[A("u1"), A("u2"), A("u3")])
    for status, mode in [("partial", "full"), ("failed", "full"), ("succeeded", "incremental")]:
        r = run(store, integ, status, assets=[A("u1")], mode=mode)
        assert r.assets_gone == 0 and active_assets(store) == {"u1", "u2", "u3"}, (status, mode)
    r = run(store, integ, assets=[A("u1"), A("u4")])
    assert (r.assets_gone, r.assets_new) == (2, 1)
    assert active_assets(store) == {"u1", "u4"}
    gone = store.query_assets(gone=True).items
    assert {a["uid"] for a in gone} == {"u2", "u3"} and all(a["gone"] for a in gone)
    # an asset coming back is active again, keeping its first_seen
    first = store.asset("u2")["first_seen"]
    run(store, integ, assets=[A("u1"), A("u2"), A("u4")])
    a = store.asset("u2")
    assert not a["gone"] and a["first_seen"] == first and a["last_seen"] >= first


def test_gone_scoped_to_complete_streams(store, integ):
    run(store, integ, assets=[A("u1"), A("g1", "group", "groups")])
    r = run(store, integ, assets=[], complete=["users"])  # groups not reported complete
    assert r.assets_gone == 1 and active_assets(store) == {"g1"}


def test_failed_sync_applies_nothing(store, integ):
    run(store, integ, assets=[A("u1")], findings=[F("f1")])
    r = run(store, integ, "failed", assets=[A("u9")], findings=[F("f9")])
    assert (r.assets_seen, r.findings_seen) == (0, 0)
    assert active_assets(store) == {"u1"}
    assert [f["uid"] for f in store.query_findings().items] == ["f1"]


def test_findings_new_resolved_and_lifecycle(store, integ):
    r1 = run(store, integ, findings=[F("f1"), F("f2", "warning"), F("p1", "pass")])
    assert (r1.findings_new, r1.findings_resolved) == (2, 0)
    assert {f["uid"] for f in store.query_findings(new=True).items} == {"f1", "f2"}
    # partial: f2 absent and f1 unknown -> nothing resolved, f1 keeps its known result
    r2 = run(store, integ, "partial", findings=[F("f1", "unknown"), F("p1", "pass")])
    assert (r2.findings_new, r2.findings_resolved) == (0, 0)
    f1 = store.finding("f1")
    assert f1["compliance_status"] == "fail" and store.finding("f2")["status"] == "active"
    # complete: f1 now passes (resolved by pass), f2 absent (resolved), f3 new
    r3 = run(store, integ, findings=[F("f1", "pass"), F("p1", "pass"), F("f3")])
    assert (r3.findings_new, r3.findings_resolved) == (1, 2)
    assert {f["uid"] for f in store.query_findings(resolved=True).items} == {"f1", "f2"}
    assert {f["uid"] for f in store.query_findings(new=True).items} == {"f3"}
    assert store.finding("f2")["status"] == "resolved" and store.finding("f2")["resolved_at"]
    assert store.finding("f1")["first_seen"] == f1["first_seen"]
    # f2 comes back failing: new again
    r4 = run(store, integ, findings=[F("f1", "pass"), F("p1", "pass"), F("f3"), F("f2")])
    assert (r4.findings_new, r4.findings_resolved) == (1, 0)
    assert {f["uid"] for f in store.query_findings(new=True).items} == {"f2"}
    # a later failed sync does not change what "new" means (last applied sync)
    run(store, integ, "failed")
    assert {f["uid"] for f in store.query_findings(new=True).items} == {"f2"}


def test_finding_filters_and_summary(store, integ):
    run(store, integ, findings=[F("a", "fail", 5, "c1"), F("b", "warning", 3, "c2"), F("c", "pass", 2, "c2"),
                                F("d", "manual", 1, "c3")])
    q = store.query_findings
    assert [f["uid"] for f in q(severity="critical").items] == ["a"]
    assert {f["uid"] for f in q(severity=["high", "medium"]).items} == {"b"}
    assert {f["uid"] for f in q(status="pass").items} == {"c"}
    assert {f["uid"] for f in q(check="c2").items} == {"b", "c"}
    assert q(standard="V-1").total == 4 and q(standard="NIST").total == 0
    assert [f["uid"] for f in q().items][0] == "a"  # most severe first
    with pytest.raises(StoreError, match="unknown severity"):
        q(severity="huge")
    s = store.findings_summary()
    assert s["failing_by_severity"] == {"critical": 1, "medium": 1} and s["by_status"]["pass"] == 1


def test_relationships_and_asset_detail(store, integ):
    rel = StagedRelationship("group_members", "member_of", "user", "u1", "group", "g1")
    run(store, integ, assets=[A("u1"), A("g1", "group", "groups", "Admins")], rels=[rel], findings=[F("u1")])
    a = store.asset("u1")
    assert a["relationships"][0]["to"] == {"type": "group", "uid": "g1", "name": "Admins"}
    assert a["findings"][0]["compliance_status"] == "fail"
    assert store.asset(a["id"])["uid"] == "u1"
    run(store, integ, assets=[A("u1"), A("g1", "group", "groups", "Admins")])  # complete: relationship not re-emitted
    assert store.asset("u1")["relationships"] == []
    with pytest.raises(NotFound):
        store.asset("nope")
    assert store.asset_counts() == {"group": 1, "user": 1}
    assert store.query_assets(search="ADM").total == 1 and store.query_assets(type="user").total == 1
    assert store.query_assets(search="dm").total == 1 and store.query_assets(search="u1").total == 1


def test_one_running_sync_per_integration_and_interrupted_recovery(store, integ, store_url):
    sid = store.start_sync(integ.id)
    with pytest.raises(SyncInProgress):
        store.start_sync(integ.id)
    store.stage(sid, [A("u1")])
    # simulate a crash: the owner process is gone
    store._conn().execute("UPDATE syncs SET owner = ? WHERE id = ?",
                          (store.history()[0].owner.rsplit(":", 1)[0] + ":999999999", sid))
    fresh = Store(store_url)
    assert fresh.recover_interrupted() == [sid]
    row = fresh.get_sync(sid)
    assert row.status == "interrupted" and "nothing of it was applied" in row.message
    assert fresh.query_assets().total == 0
    assert fresh._q("SELECT COUNT(*) FROM staged_assets")[0][0] == 0
    fresh.start_sync(integ.id)  # a new sync may start
    fresh.close()


def test_integrations_crud(store):
    i = store.add_integration("one", "fake", {"a": 1}, interval_minutes=30)
    with pytest.raises(StoreError, match="exists already"):
        store.add_integration("one", "fake", {})
    with pytest.raises(StoreError):
        store.add_integration("123", "fake", {})
    i2 = store.update_integration("one", config={"a": 2}, interval_minutes=None, name="two", enabled=False)
    assert (i2.id, i2.name, i2.config, i2.interval_minutes, i2.enabled) == (i.id, "two", {"a": 2}, None, False)
    store.delete_integration("two")
    with pytest.raises(NotFound, match="no integration"):
        store.get_integration("two")
