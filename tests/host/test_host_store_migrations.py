"""Schema migrations of the host store: a store of the first schema opens with its data, a later store, a file
that is not a store and another program's database are refused with a clear StoreError, and migrating is
idempotent, ordered and all-or-nothing."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
from connector_host import cli
from connector_host.store import NotAStore, Store, StoreError, StoreTooNew, migrate, stored_version
from connector_host.store_schema import LEDGER_TABLE, MIGRATIONS, SCHEMA_VERSION, Migration, check_ladder

# The schema exactly as the host created it before migrations were recorded (store.py's ``_DDL`` then ``INSERT
# OR IGNORE INTO meta ... schema_version = 1``), frozen here: migration 1 must keep creating this.
V1_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS integrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    connector TEXT NOT NULL,
    config TEXT NOT NULL,
    interval_minutes INTEGER,
    enabled INTEGER NOT NULL DEFAULT 1,
    state TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS syncs (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    status TEXT NOT NULL,
    sync_mode TEXT NOT NULL DEFAULT 'full',
    trigger TEXT NOT NULL DEFAULT 'manual',
    message TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    records INTEGER NOT NULL DEFAULT 0,
    assets_seen INTEGER NOT NULL DEFAULT 0,
    assets_new INTEGER NOT NULL DEFAULT 0,
    assets_gone INTEGER NOT NULL DEFAULT 0,
    findings_seen INTEGER NOT NULL DEFAULT 0,
    findings_new INTEGER NOT NULL DEFAULT 0,
    findings_resolved INTEGER NOT NULL DEFAULT 0,
    api_requests INTEGER,
    rate_limit_wait_seconds REAL,
    errors TEXT NOT NULL DEFAULT '[]',
    stats TEXT,
    owner TEXT,
    heartbeat_at INTEGER
);
CREATE INDEX IF NOT EXISTS syncs_by_integration ON syncs (integration_id, id);
CREATE INDEX IF NOT EXISTS syncs_running ON syncs (status) WHERE status = 'running';

CREATE TABLE IF NOT EXISTS assets (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    uid TEXT NOT NULL,
    name TEXT,
    class_uid INTEGER,
    stream TEXT,
    data TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    first_sync_id INTEGER NOT NULL,
    last_sync_id INTEGER NOT NULL,
    gone_at INTEGER,
    gone_sync_id INTEGER,
    UNIQUE (integration_id, type, uid)
);
-- The views read these indexes alone: a row's columns after ``data`` (gone_at, last_seen, ...) sit behind the
-- raw object's overflow pages, so a filter or count that touches the table reads every raw object.
DROP INDEX IF EXISTS assets_active;
CREATE INDEX IF NOT EXISTS assets_live ON assets (integration_id, gone_at, type, name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS assets_by_type_name ON assets (integration_id, type, name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS assets_by_uid ON assets (uid, integration_id);

CREATE VIRTUAL TABLE IF NOT EXISTS assets_fts USING fts5(name, content='assets', content_rowid='id', tokenize='trigram');
CREATE TRIGGER IF NOT EXISTS assets_fts_insert AFTER INSERT ON assets BEGIN
    INSERT INTO assets_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER IF NOT EXISTS assets_fts_delete AFTER DELETE ON assets BEGIN
    INSERT INTO assets_fts (assets_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER IF NOT EXISTS assets_fts_update AFTER UPDATE OF name ON assets WHEN old.name IS NOT new.name BEGIN
    INSERT INTO assets_fts (assets_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO assets_fts (rowid, name) VALUES (new.id, new.name);
END;

CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    check_id TEXT,
    title TEXT,
    severity_id INTEGER NOT NULL DEFAULT 0,
    compliance_status TEXT NOT NULL DEFAULT 'unknown',
    standards TEXT NOT NULL DEFAULT '',
    resource_type TEXT,
    resource_uid TEXT,
    resource_name TEXT,
    data TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    first_sync_id INTEGER NOT NULL,
    last_sync_id INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    resolved_at INTEGER,
    resolved_sync_id INTEGER,
    failing_since INTEGER,
    new_sync_id INTEGER,
    UNIQUE (integration_id, uid)
);
CREATE INDEX IF NOT EXISTS findings_by_severity ON findings (integration_id, status, severity_id);
CREATE INDEX IF NOT EXISTS findings_by_check ON findings (check_id);
CREATE INDEX IF NOT EXISTS findings_by_resource ON findings (resource_uid, integration_id);
CREATE INDEX IF NOT EXISTS findings_by_status ON findings (integration_id, status, compliance_status, severity_id);
CREATE INDEX IF NOT EXISTS findings_by_new ON findings (new_sync_id);
CREATE INDEX IF NOT EXISTS findings_by_resolved ON findings (resolved_sync_id);
CREATE INDEX IF NOT EXISTS findings_view ON findings (integration_id, status, compliance_status, severity_id,
    check_id, resource_name, resource_type, resource_uid, title, standards, new_sync_id, resolved_sync_id,
    first_seen, last_seen);  -- covers every filter and order of query_findings

CREATE TABLE IF NOT EXISTS relationships (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    stream TEXT,
    relation TEXT NOT NULL,
    from_type TEXT NOT NULL,
    from_uid TEXT NOT NULL,
    to_type TEXT NOT NULL,
    to_uid TEXT NOT NULL,
    attributes TEXT,
    first_sync_id INTEGER NOT NULL,
    last_sync_id INTEGER NOT NULL,
    UNIQUE (integration_id, relation, from_type, from_uid, to_type, to_uid)
);
CREATE INDEX IF NOT EXISTS relationships_from ON relationships (from_uid, integration_id);
CREATE INDEX IF NOT EXISTS relationships_to ON relationships (to_uid, integration_id);

CREATE TABLE IF NOT EXISTS staged_assets (
    sync_id INTEGER NOT NULL, type TEXT NOT NULL, uid TEXT NOT NULL, name TEXT, class_uid INTEGER,
    stream TEXT, data TEXT NOT NULL, PRIMARY KEY (sync_id, type, uid)
);
CREATE TABLE IF NOT EXISTS staged_findings (
    sync_id INTEGER NOT NULL, uid TEXT NOT NULL, check_id TEXT, title TEXT, severity_id INTEGER NOT NULL,
    compliance_status TEXT NOT NULL, standards TEXT NOT NULL, resource_type TEXT, resource_uid TEXT,
    resource_name TEXT, data TEXT NOT NULL, PRIMARY KEY (sync_id, uid)
);
CREATE TABLE IF NOT EXISTS staged_relationships (
    sync_id INTEGER NOT NULL, stream TEXT, relation TEXT NOT NULL, from_type TEXT NOT NULL,
    from_uid TEXT NOT NULL, to_type TEXT NOT NULL, to_uid TEXT NOT NULL, attributes TEXT,
    PRIMARY KEY (sync_id, relation, from_type, from_uid, to_type, to_uid)
);
"""
V1_VERSION_ROW = "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1')"
T = 1_700_000_000_000


def write_v1_store(path: Path) -> None:
    """A store as the previous host left it: one integration, one applied sync, an asset and a finding."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_DDL)
    db.execute(V1_VERSION_ROW)
    db.execute(
        "INSERT INTO integrations (id, name, connector, config, interval_minutes, enabled, state, created_at,"
        " updated_at) VALUES (1, 'acme', 'okta', ?, 60, 1, ?, ?, ?)",
        (json.dumps({"url": "https://acme.okta.com"}), json.dumps({"cursor": "c1"}), T, T),
    )
    db.execute(
        "INSERT INTO syncs (id, integration_id, started_at, ended_at, status, sync_mode, trigger, records,"
        " assets_seen, assets_new, findings_seen, findings_new, owner, heartbeat_at)"
        " VALUES (1, 1, ?, ?, 'succeeded', 'full', 'manual', 2, 1, 1, 1, 1, 'old-host:1', ?)",
        (T, T + 5000, T + 5000),
    )
    db.execute(
        "INSERT INTO assets (integration_id, type, uid, name, class_uid, stream, data, first_seen, last_seen,"
        " first_sync_id, last_sync_id) VALUES (1, 'user', '00u1', 'Ada Lovelace', 5003, 'users', ?, ?, ?, 1, 1)",
        (json.dumps({"uid": "00u1", "name": "Ada Lovelace"}), T, T),
    )
    db.execute(
        "INSERT INTO findings (integration_id, uid, check_id, title, severity_id, compliance_status, standards,"
        " resource_type, resource_uid, resource_name, data, first_seen, last_seen, first_sync_id, last_sync_id,"
        " failing_since, new_sync_id) VALUES (1, 'f1', 'okta.mfa', 'MFA is enforced', 4, 'fail', 'CIS',"
        " 'user', '00u1', 'Ada Lovelace', '{}', ?, ?, 1, 1, ?, 1)",
        (T, T, T),
    )
    db.close()


def schema_of(path: Path) -> list[tuple[str, ...]]:
    db = sqlite3.connect(path)
    try:
        sql = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != ? ORDER BY type, name"
        return db.execute(sql, (LEDGER_TABLE,)).fetchall()
    finally:
        db.close()


def ledger_of(path: Path) -> list[tuple[int, str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(f"SELECT version, name FROM {LEDGER_TABLE} ORDER BY version").fetchall()
    finally:
        db.close()


def test_the_migrations_are_a_ladder():
    check_ladder(MIGRATIONS)
    assert SCHEMA_VERSION == len(MIGRATIONS)
    with pytest.raises(ValueError, match="numbered 1..n"):
        check_ladder([Migration(1, "a"), Migration(3, "b")])
    with pytest.raises(ValueError, match="repeat"):
        check_ladder([Migration(1, "a"), Migration(2, "a")])


def test_migration_1_creates_the_frozen_v1_schema(tmp_path):
    frozen = tmp_path / "frozen.db"
    write_v1_store(frozen)
    db = sqlite3.connect(tmp_path / "one.db", isolation_level=None)
    assert migrate(db, "one.db", MIGRATIONS[:1]) == [1]
    db.close()
    assert schema_of(tmp_path / "one.db") == schema_of(frozen)


def test_a_v1_store_opens_migrated_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    write_v1_store(path)
    before = schema_of(path)
    with Store(path) as store:
        integ = store.get_integration("acme")
        assert (integ.id, integ.connector, integ.interval_minutes) == (1, "okta", 60)
        assert integ.config == {"url": "https://acme.okta.com"} and integ.state == {"cursor": "c1"}
        [sync] = store.history("acme")
        assert (sync.id, sync.status, sync.assets_new, sync.findings_new) == (1, "succeeded", 1, 1)
        assert store.last_sync(1, applied=True).id == 1
        page = store.query_assets("acme", search="Lovelace")
        assert [a["uid"] for a in page.items] == ["00u1"] and page.total == 1  # the name index and FTS work
        assert store.asset("00u1")["asset"] == {"uid": "00u1", "name": "Ada Lovelace"}
        [finding] = store.query_findings("acme").items
        assert (finding["uid"], finding["severity"], finding["resource"]["uid"]) == ("f1", "high", "00u1")
        assert store.findings_summary()["failing"] == 1
        assert store.asset_counts("acme") == {"user": 1}
        # and it takes new writes
        sid = store.start_sync(integ.id)
        assert store.finish_sync(sid, "failed").status == "failed"
    assert ledger_of(path) == [(m.version, m.name) for m in MIGRATIONS]
    after = schema_of(path)  # only migration 3 changed a table: syncs gained the lock's columns
    old_tables = {e[2] for e in before}  # later migrations add tables of their own
    staged = {"staged_assets", "staged_findings", "staged_relationships"}  # migration 6: to the staging database
    assert not {e[2] for e in after} & staged
    assert [e for e in after if e[1] != "syncs" and e[2] in old_tables] == [e for e in before if e[1] != "syncs"
                                                                          and e[2] not in staged]
    assert {"finding_exceptions", "sync_posture"} <= {e[2] for e in after}
    db = sqlite3.connect(path)
    assert {"run_id", "owner_start"} <= {r[1] for r in db.execute("PRAGMA table_info(syncs)")}
    db.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT * FROM meta WHERE key = 'schema_version'").fetchall() == []  # the ledger alone
    db.close()


def test_a_store_whose_first_open_was_cut_short_is_completed(tmp_path):
    path = tmp_path / "cut.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")  # its first statement only
    db.close()
    with Store(path) as store:
        assert store.list_integrations() == []
    assert [v for v, _ in ledger_of(path)] == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("how", ["ledger", "legacy meta row"])
def test_a_store_of_a_later_host_is_refused(tmp_path, how):
    path = tmp_path / "new.db"
    if how == "ledger":
        Store(path).close()
        db = sqlite3.connect(path)
        db.execute(f"INSERT INTO {LEDGER_TABLE} VALUES (?, 'from_the_future', 'x')", (SCHEMA_VERSION + 7,))
    else:
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 7),))
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreTooNew) as e:
        Store(path)
    assert isinstance(e.value, StoreError)
    msg = str(e.value)
    assert f"has schema version {SCHEMA_VERSION + 7}" in msg
    assert f"supports versions up to {SCHEMA_VERSION}" in msg
    assert "upgrade connector-host" in msg and str(path) in msg
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content", [os.urandom(8192), b"connector-host store? no: a text file\n" * 50], ids=["random", "text"]
)
def test_a_file_that_is_not_sqlite_is_refused(tmp_path, content):
    path = tmp_path / "store.db"
    path.write_bytes(content)
    with pytest.raises(NotAStore) as e:
        Store(path)
    assert str(e.value).startswith(f"{path} is not a connector-host store: not an SQLite database")
    assert path.read_bytes() == content


def test_a_path_that_cannot_be_opened_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match=f"cannot open the store {tmp_path}: unable to open database file"):
        Store(tmp_path)  # a directory


def test_a_damaged_store_is_refused(tmp_path):
    path = tmp_path / "store.db"
    Store(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page, past the header
    path.write_bytes(bytes(data))
    with pytest.raises(NotAStore, match="not an SQLite database, or a damaged one"):
        Store(path)


def test_another_programs_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.commit()
    db.close()
    with pytest.raises(NotAStore, match=r"an SQLite database of another program \(tables: notes\)"):
        Store(path)
    assert [r[1] for r in schema_of(path)] == ["notes"]


def test_the_cli_reports_a_bad_store_without_a_traceback(tmp_path, registry):
    path = tmp_path / "notes.txt"
    path.write_text("not a store\n" * 100)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--store", str(path), "list"], registry=registry, stdout=out, stderr=err)
    assert code == 2
    assert err.getvalue().startswith(f"error: {path} is not a connector-host store")
    assert "Traceback" not in err.getvalue()


def test_migrating_twice_is_a_no_op(tmp_path):
    path = tmp_path / "store.db"
    write_v1_store(path)
    Store(path).close()
    schema, ledger = schema_of(path), ledger_of(path)
    db = sqlite3.connect(path, isolation_level=None)
    assert stored_version(db, path) == SCHEMA_VERSION
    assert migrate(db, path) == []
    db.close()
    with Store(path) as store:
        assert store.get_integration("acme").name == "acme"
    assert (schema_of(path), ledger_of(path)) == (schema, ledger)


def test_later_migrations_run_in_order_and_all_or_nothing(tmp_path):
    path = tmp_path / "store.db"
    write_v1_store(path)

    def backfill(db, dialect):
        assert dialect == "sqlite"
        db.execute("UPDATE integrations SET notes = 'backfilled by ' || name")

    n = len(MIGRATIONS)
    ladder = [
        *MIGRATIONS,
        Migration(n + 1, "integration_notes", {"sqlite": "ALTER TABLE integrations ADD COLUMN notes TEXT;"}),
        Migration(n + 2, "backfill_notes", run=backfill),
    ]
    broken = [*ladder, Migration(n + 3, "broken", {"sqlite": "CREATE TABLE x (a); SELECT nonsense();"})]
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(StoreError, match=rf"to schema version {n + 3} \(broken\).*left unchanged at version 1"):
        migrate(db, path, broken)
    assert stored_version(db, path) == 1 and "x" not in {r[1] for r in schema_of(path)}  # nothing was kept
    assert migrate(db, path, ladder) == list(range(2, len(ladder) + 1))
    assert db.execute("SELECT notes FROM integrations").fetchall() == [("backfilled by acme",)]
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 0  # restored to what it was (sqlite3's default)
    db.close()
    with pytest.raises(StoreTooNew):  # this host's ladder is shorter than the store's now
        Store(path)


def test_a_migration_rebuilding_a_referenced_table_keeps_the_rows_that_refer_to_it(tmp_path):
    path = tmp_path / "store.db"
    write_v1_store(path)
    n = len(MIGRATIONS)
    lose_the_key = (
        "CREATE TABLE integrations_new AS SELECT * FROM integrations; DROP TABLE integrations;"
        " ALTER TABLE integrations_new RENAME TO integrations;"
    )
    rebuild = (  # SQLite's way to change a table: a new one, the rows copied, the old one dropped
        "CREATE TABLE integrations_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, connector TEXT NOT NULL,"
        " config TEXT NOT NULL, interval_minutes INTEGER, enabled INTEGER NOT NULL DEFAULT 1, state TEXT,"
        " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
        " INSERT INTO integrations_new SELECT * FROM integrations;"
        " DROP TABLE integrations;"
        " ALTER TABLE integrations_new RENAME TO integrations;"
    )
    with Store(path) as store:
        db = store._conn()
        with pytest.raises(StoreError, match=f"broke 1 references.*left unchanged at version {n}$"):
            migrate(db, path, [*MIGRATIONS, Migration(n + 1, "lose_the_key", {"sqlite": lose_the_key})])
        assert migrate(db, path, [*MIGRATIONS, Migration(n + 1, "rebuild", {"sqlite": rebuild})]) == [n + 1]
        assert store._q("SELECT COUNT(*) FROM assets")[0][0] == 1  # no ON DELETE CASCADE while migrating
        assert store._q("PRAGMA foreign_keys")[0][0] == 1
        assert store.get_integration("acme").id == 1
