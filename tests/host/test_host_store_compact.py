"""The store on disk (issue 18): raw objects deflated (SQLite), read back as text everywhere (JSON paths in SQL too);
staged records in a database of their own next to the store, so the store file is not left with their free pages;
batches staged on a thread of their own, whose failure the runner still sees."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from connector_host import store_codec
from connector_host.stager import Stager
from connector_host.store import StagedAsset, StagedFinding, StagedRelationship, Store, SyncLost, staging_path


def A(uid, stream="users"):
    return StagedAsset("user", uid, f"name {uid}", 5003, stream,
                       {"uid": uid, "unmapped": {"source": {"status": "ACTIVE", "is_admin": uid == "u1"}},
                        "padding": "x" * 3000})


def F(uid):
    return StagedFinding(uid, "c1", f"title {uid}", 4, "fail", ["STIG"], "user", uid, uid, {"uid": uid, "n": 1})


@pytest.fixture
def integ(store):
    return store.add_integration("acme", "fake", {"url": "x"})


def sync(store, integ, assets=(), findings=(), rels=()):
    sid = store.start_sync(integ.id)
    store.stage(sid, assets, findings, rels)
    return sid, store.finish_sync(sid, "succeeded", complete_streams=["users"])


def test_raw_objects_are_deflated_and_read_back_as_text(store, integ):
    sync(store, integ, [A("u1"), A("u2")], [F("f1")])
    assert store.asset("u1")["asset"]["uid"] == "u1"
    [finding] = store.query_findings("acme").items
    assert finding["uid"] == "f1"
    if store.url is not None:  # PostgreSQL: text (it compresses large values itself)
        return
    raw = sqlite3.connect(store.path).execute("SELECT data FROM assets WHERE uid = 'u1'").fetchone()[0]
    assert isinstance(raw, bytes) and raw.startswith(store_codec.MAGIC) and len(raw) < 600  # 3 KB of JSON
    assert json.loads(store_codec.unpack(raw))["uid"] == "u1"
    # SQL reads a JSON path of a deflated object as of a text one
    conn = store._conn()
    rows = conn.execute("SELECT uid FROM assets WHERE json_extract(data, '$.unmapped.source.is_admin') = 1").fetchall()
    assert [r[0] for r in rows] == ["u1"]
    assert conn.execute("SELECT json_extract(data, '$.unmapped.source.status') FROM assets LIMIT 1").fetchone()[0] \
        == "ACTIVE"
    assert conn.execute("SELECT json_extract('{\"a\": [1, 2]}', '$.a[1]')").fetchone()[0] == 2  # text as before


def test_a_row_written_before_compression_is_read_as_it_was(store, integ):
    if store.url is not None:
        pytest.skip("SQLite only")
    sync(store, integ, [A("u1")])
    store._conn().execute("UPDATE assets SET data = ? WHERE uid = 'u1'", (json.dumps({"uid": "u1", "old": True}),))
    assert store.asset("u1")["asset"] == {"uid": "u1", "old": True}


def test_staging_lives_next_to_the_store_and_leaves_nothing_behind(store, integ):
    if store.url is not None:
        pytest.skip("SQLite only")
    path = Path(store.path)
    main = sqlite3.connect(path)
    tables = {r[0] for r in main.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    main.close()
    assert not {"staged_assets", "staged_findings", "staged_relationships"} & tables
    sid = store.start_sync(integ.id)
    store.stage(sid, [A(f"u{i}") for i in range(300)], [F("f1")],
                [StagedRelationship("group_members", "member_of", "user", "u1", "group", "g1")])
    staged = sqlite3.connect(staging_path(path))
    assert staged.execute("SELECT COUNT(*) FROM staged_assets").fetchone()[0] == 300
    files = [Path(staging_path(path)), Path(f"{staging_path(path)}-wal")]
    grown = sum(f.stat().st_size for f in files if f.exists())
    assert grown > 100_000
    store.finish_sync(sid, "succeeded", complete_streams=["users"])
    assert staged.execute("SELECT COUNT(*) FROM staged_assets").fetchone()[0] == 0
    staged.close()
    store.close()
    left = sum(f.stat().st_size for f in files if f.exists())
    assert left <= 64 * 1024 < grown  # its pages given back (auto_vacuum FULL): the tables' empty roots remain
    assert oct(Path(staging_path(path)).stat().st_mode & 0o777) == oct(0o600)
    with Store(path) as again:
        assert again.asset_counts("acme") == {"user": 300}
        free = again._conn().execute("PRAGMA freelist_count").fetchone()[0]
        assert free <= 2


def test_a_crash_s_staged_rows_are_dropped_when_the_store_opens(store, integ):
    if store.url is not None:
        pytest.skip("SQLite only")
    sid = store.start_sync(integ.id)
    store.stage(sid, [A("u1")])
    store._conn().execute("UPDATE syncs SET status = 'interrupted' WHERE id = ?", (sid,))
    path = store.path
    store.close()
    with Store(path):
        pass
    staged = sqlite3.connect(staging_path(Path(path)))
    assert staged.execute("SELECT COUNT(*) FROM staged_assets").fetchone()[0] == 0
    staged.close()


def test_the_stager_stages_in_order_and_hands_its_failure_back(store, integ):
    sid = store.start_sync(integ.id)
    stager = Stager(store, sid)
    batch = [A("u1")]
    stager.put(batch, [], [])
    batch.clear()  # the caller reuses its lists
    stager.put([A("u2")], [F("f1")], [])
    stager.close()
    store.finish_sync(sid, "succeeded", complete_streams=["users"])
    assert store.asset_counts("acme") == {"user": 2}
    # a sync unlocked meanwhile: staging raises SyncLost, and the runner's thread gets it
    sid = store.start_sync(integ.id)
    store.unlock("acme")
    stager = Stager(store, sid)
    stager.put([A("u3")], [], [])
    with pytest.raises(SyncLost):
        stager.close()
    stager = Stager(store, sid)
    stager.put([A("u3")], [], [])
    stager.abandon()  # never raises


def test_a_key_staged_twice_is_stored_once_the_last_staged_winning(store, integ):
    """Staging is append-only (issue 18: no unique key to keep up on every insert); the apply settles repeats as
    a replacing key did: the last row staged wins, and the sync's counts are of distinct objects."""
    sid = store.start_sync(integ.id)
    first, last = A("u1"), StagedAsset("user", "u1", "renamed", 5003, "users", {"uid": "u1", "v": 2})
    store.stage(sid, [first, A("u2")], [F("f1")],
                [StagedRelationship("group_members", "member_of", "user", "u1", "group", "g1", {"n": 1})])
    store.stage(sid, [last], [StagedFinding("f1", "c1", "again", 4, "pass", [], "user", "u1", "u1", {"v": 2})],
                [StagedRelationship("group_members", "member_of", "user", "u1", "group", "g1", {"n": 2})])
    record = store.finish_sync(sid, "succeeded", complete_streams=["users", "group_members"])
    assert (record.assets_seen, record.assets_new, record.findings_seen, record.findings_new) == (2, 2, 1, 0)
    assert store.asset("u1")["name"] == "renamed" and store.asset("u1")["asset"] == {"uid": "u1", "v": 2}
    [finding] = store.query_findings("acme", status="pass").items
    assert finding["title"] == "again"
    [rel] = [dict(r) for r in store._conn().execute("SELECT attributes FROM relationships")]
    assert json.loads(rel["attributes"]) == {"n": 2}


def test_a_staging_file_of_the_keyed_layout_is_renewed_when_empty(store, integ):
    if store.url is not None:
        pytest.skip("SQLite only")
    path = Path(store.path)
    store.close()
    staged = sqlite3.connect(staging_path(path))
    staged.executescript(
        "DROP TABLE staged_assets; CREATE TABLE staged_assets (sync_id INTEGER NOT NULL, type TEXT NOT NULL,"
        " uid TEXT NOT NULL, name TEXT, class_uid INTEGER, stream TEXT, data TEXT NOT NULL,"
        " PRIMARY KEY (sync_id, type, uid));")
    staged.close()
    with Store(path) as again:
        autoindexes = again._conn().execute("SELECT name FROM staging.sqlite_master WHERE type = 'index'"
                                            " AND name LIKE 'sqlite_autoindex%'").fetchall()
        assert autoindexes == []
        sid = again.start_sync(integ.id)
        again.stage(sid, [A("u1"), A("u1")])
        assert again.finish_sync(sid, "succeeded", complete_streams=["users"]).assets_seen == 1


def test_staged_json_is_the_standard_library_s_for_what_both_write(store, integ):
    """orjson writes the staged objects (issue 18); its text reads back as json.dumps' would (an Enum as its value),
    and what it refuses (an integer beyond 64 bits, a lone surrogate) goes through json.dumps rather than failing
    the batch."""
    import datetime
    import enum

    class Colour(enum.Enum):
        RED = "red"

    data = {"name": "Zoë \"quoted\" \n\u2028", 3: "int key", "when": datetime.datetime(2026, 1, 2, 3, 4, 5),
            "nested": [{"a": 1.5, "b": None, "c": True}]}
    assert json.loads(store_codec.json_text(data)) == json.loads(json.dumps(data, default=str))
    assert store_codec.json_text({"when": data["when"]}) == '{"when":"2026-01-02 03:04:05"}'
    assert store_codec.json_text({"colour": Colour.RED}) == '{"colour":"red"}'
    assert store_codec.json_text({"b": 1, "a": 2}, sort_keys=True) == '{"a":2,"b":1}'
    assert json.loads(store_codec.json_text({"s": "\ud800", "big": 2**70})) == {"s": "\ud800", "big": 2**70}
    sid = store.start_sync(integ.id)
    store.stage(sid, [StagedAsset("user", "u1", "u1", 5003, "users", {**data, "big": 2**70})])
    store.finish_sync(sid, "succeeded", complete_streams=["users"])
    kept = store.asset("u1")["asset"]
    assert kept["big"] == 2**70 and kept["name"] == data["name"] and kept["3"] == "int key"


def test_a_batch_larger_than_one_insert_statement_is_staged_whole(store, integ):
    """SQLite stages many rows per statement (issue 18: one GIL round trip per statement, not per row); a batch of
    several statements' worth, of uneven size, arrives whole."""
    sid = store.start_sync(integ.id)
    rels = [StagedRelationship("group_members", "member_of", "user", f"u{i}", "group", "g1") for i in range(1234)]
    store.stage(sid, [A(f"u{i}") for i in range(1101)], [F(f"f{i}") for i in range(503)], rels)
    record = store.finish_sync(sid, "succeeded", complete_streams=["users", "group_members"])
    assert (record.assets_seen, record.findings_seen) == (1101, 503)
    assert store._conn().execute("SELECT COUNT(*) FROM relationships").fetchone()[0] == 1234


def test_the_apply_s_checkpoint_runs_after_it_on_a_thread_of_its_own(store, integ, monkeypatch):
    """SQLite: the apply's commit does not copy the WAL into the store file (issue 18: ~1.5 s of a 100,000-user
    sync); a thread does right after, and the store's connections checkpoint as usual again."""
    if store.url is not None:
        pytest.skip("SQLite only")
    path = Path(store.path)
    later = store._checkpoint_soon
    monkeypatch.setattr(store, "_checkpoint_soon", lambda: None)
    before = path.stat().st_size
    noisy = [StagedAsset("user", f"u{i}", f"u{i}", 5003, "users", {"uid": f"u{i}", "noise": os.urandom(1000).hex()})
             for i in range(400)]  # ~1 KB each deflated: 400 KB
    sid, record = sync(store, integ, noisy)
    assert record.assets_seen == 400
    assert path.stat().st_size < before + 50_000 and Path(f"{path}-wal").stat().st_size > 400_000  # in the WAL alone
    assert store._conn().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    later()
    store._checkpointer.join(timeout=30)
    assert path.stat().st_size > before + 400_000  # copied into the store file by the thread
    with Store(store.path) as again:  # a reader of another connection sees the sync whole
        assert again.asset_counts("acme") == {"user": 400}


def test_finishing_one_sync_keeps_another_running_sync_s_staged_rows(store, integ):
    """A sync's staged rows go with the whole table only when they are all it holds."""
    other = store.add_integration("other", "fake", {"url": "y"})
    first, second = store.start_sync(integ.id), store.start_sync(other.id)
    store.stage(first, [A("u1")], [F("f1")], [StagedRelationship("group_members", "member_of", "user", "u1", "group", "g1")])
    store.stage(second, [A("u2"), A("u3")], [F("f2")],
                [StagedRelationship("group_members", "member_of", "user", "u2", "group", "g1")])
    store.finish_sync(first, "succeeded", complete_streams=["users"])
    record = store.finish_sync(second, "succeeded", complete_streams=["users"])
    assert (record.assets_seen, record.findings_seen) == (2, 1)
    assert store.asset_counts("other") == {"user": 2} and store.asset_counts("acme") == {"user": 1}
    left = sum(store._conn().execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
               for t in ("staged_assets", "staged_findings", "staged_relationships"))
    assert left == 0
