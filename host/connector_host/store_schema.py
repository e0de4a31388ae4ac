"""The store's schema: numbered migrations, in order, and the ledger that records which a store has.

This module is the one place the store's DDL lives. A store's schema version is the highest version in its
ledger table ``schema_migrations``; opening a store (:class:`connector_host.store.Store`, through
:func:`connector_host.store.migrate`) applies the migrations it lacks in order, in one transaction, and
refuses a store of a version above :data:`SCHEMA_VERSION`.

To change the schema, append one :class:`Migration` with the next number: its SQL per dialect and, for a data
change SQL cannot express, a ``run`` function. Never edit a migration that has shipped: stores out there have
applied it. The SQL is kept per dialect so a second backend (PostgreSQL) adds its text to each entry and
applies the same list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .posture.snapshot import backfill as posture_backfill


@dataclass(frozen=True)
class Migration:
    """One step of the schema: ``sql`` (per dialect, a script of ``;``-separated statements) then ``run``."""

    version: int
    name: str
    sql: Mapping[str, str] = field(default_factory=dict)
    run: Callable[[Any, str], None] | None = None  # (connection, dialect): same transaction, after the SQL

    def script(self, dialect: str) -> str:
        if dialect in self.sql:
            return self.sql[dialect]
        if not self.sql:  # a Python-only step
            return ""
        raise LookupError(f"schema migration {self.version} ({self.name}) has no {dialect} SQL")


def check_ladder(migrations: Sequence[Migration]) -> None:
    """Versions must be 1, 2, 3, ... in order, with distinct names."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise ValueError(f"schema migrations must be numbered 1..n in order, not {versions}")
    names = [m.name for m in migrations]
    if len(set(names)) != len(names):
        raise ValueError(f"schema migration names repeat: {names}")


LEDGER_TABLE = "schema_migrations"
LEDGER_DDL = {
    "sqlite": f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)",
    "postgresql": f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)",
}
# Stores written before the ledger existed (schema version 1) hold their version in this table and key.
LEGACY_VERSION = ("meta", "schema_version")


# ---- 1: the schema as the host created it before the ledger existed, verbatim (its IF NOT EXISTS and
# DROP INDEX tidied stores of earlier, unversioned builds).
_V1_SQLITE = """\
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
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
"""

# ---- 1 on PostgreSQL (connector_host.store_pg): the same tables with BIGINT for INTEGER (epoch milliseconds) and
# identity ids; lower(name) for SQLite's COLLATE NOCASE; trigram indexes (pg_trgm, where the server has it) answer
# the substring searches SQLite's FTS5 table answers; no triggers. Tables of later migrations without their own
# postgresql text are translated from their SQLite DDL (store_pg.ddl).
_V1_POSTGRESQL = """\
DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm is not available: name searches scan the table'; END $$;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS integrations (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    connector TEXT NOT NULL,
    config TEXT NOT NULL,
    interval_minutes BIGINT,
    enabled BIGINT NOT NULL DEFAULT 1,
    state TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS syncs (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    integration_id BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    status TEXT NOT NULL,
    sync_mode TEXT NOT NULL DEFAULT 'full',
    trigger TEXT NOT NULL DEFAULT 'manual',
    message TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    records BIGINT NOT NULL DEFAULT 0,
    assets_seen BIGINT NOT NULL DEFAULT 0,
    assets_new BIGINT NOT NULL DEFAULT 0,
    assets_gone BIGINT NOT NULL DEFAULT 0,
    findings_seen BIGINT NOT NULL DEFAULT 0,
    findings_new BIGINT NOT NULL DEFAULT 0,
    findings_resolved BIGINT NOT NULL DEFAULT 0,
    api_requests BIGINT,
    rate_limit_wait_seconds DOUBLE PRECISION,
    errors TEXT NOT NULL DEFAULT '[]',
    stats TEXT,
    owner TEXT,
    heartbeat_at BIGINT
);
CREATE INDEX IF NOT EXISTS syncs_by_integration ON syncs (integration_id, id);
CREATE INDEX IF NOT EXISTS syncs_running ON syncs (status) WHERE status = 'running';

CREATE TABLE IF NOT EXISTS assets (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    integration_id BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    uid TEXT NOT NULL,
    name TEXT,
    class_uid BIGINT,
    stream TEXT,
    data TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    first_sync_id BIGINT NOT NULL,
    last_sync_id BIGINT NOT NULL,
    gone_at BIGINT,
    gone_sync_id BIGINT,
    UNIQUE (integration_id, type, uid)
);
-- the views order by lower(name) (SQLite's COLLATE NOCASE) and search names with a trigram index
CREATE INDEX IF NOT EXISTS assets_live ON assets (integration_id, gone_at, type, lower(name), id);
CREATE INDEX IF NOT EXISTS assets_by_type_name ON assets (integration_id, type, lower(name), id);
CREATE INDEX IF NOT EXISTS assets_by_uid ON assets (uid, integration_id);

CREATE TABLE IF NOT EXISTS findings (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    integration_id BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    check_id TEXT,
    title TEXT,
    severity_id BIGINT NOT NULL DEFAULT 0,
    compliance_status TEXT NOT NULL DEFAULT 'unknown',
    standards TEXT NOT NULL DEFAULT '',
    resource_type TEXT,
    resource_uid TEXT,
    resource_name TEXT,
    data TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    first_sync_id BIGINT NOT NULL,
    last_sync_id BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    resolved_at BIGINT,
    resolved_sync_id BIGINT,
    failing_since BIGINT,
    new_sync_id BIGINT,
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
    first_seen, last_seen);

CREATE TABLE IF NOT EXISTS relationships (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    integration_id BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    stream TEXT,
    relation TEXT NOT NULL,
    from_type TEXT NOT NULL,
    from_uid TEXT NOT NULL,
    to_type TEXT NOT NULL,
    to_uid TEXT NOT NULL,
    attributes TEXT,
    first_sync_id BIGINT NOT NULL,
    last_sync_id BIGINT NOT NULL,
    UNIQUE (integration_id, relation, from_type, from_uid, to_type, to_uid)
);
CREATE INDEX IF NOT EXISTS relationships_from ON relationships (from_uid, integration_id);
CREATE INDEX IF NOT EXISTS relationships_to ON relationships (to_uid, integration_id);

CREATE TABLE IF NOT EXISTS staged_assets (
    sync_id BIGINT NOT NULL, type TEXT NOT NULL, uid TEXT NOT NULL, name TEXT, class_uid BIGINT,
    stream TEXT, data TEXT NOT NULL, PRIMARY KEY (sync_id, type, uid)
);
CREATE TABLE IF NOT EXISTS staged_findings (
    sync_id BIGINT NOT NULL, uid TEXT NOT NULL, check_id TEXT, title TEXT, severity_id BIGINT NOT NULL,
    compliance_status TEXT NOT NULL, standards TEXT NOT NULL, resource_type TEXT, resource_uid TEXT,
    resource_name TEXT, data TEXT NOT NULL, PRIMARY KEY (sync_id, uid)
);
CREATE TABLE IF NOT EXISTS staged_relationships (
    sync_id BIGINT NOT NULL, stream TEXT, relation TEXT NOT NULL, from_type TEXT NOT NULL,
    from_uid TEXT NOT NULL, to_type TEXT NOT NULL, to_uid TEXT NOT NULL, attributes TEXT,
    PRIMARY KEY (sync_id, relation, from_type, from_uid, to_type, to_uid)
);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX IF NOT EXISTS assets_name_trgm ON assets USING gin (name public.gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS findings_title_trgm ON findings USING gin (title public.gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS findings_resource_name_trgm ON findings USING gin (resource_name public.gin_trgm_ops);
END IF; END $$;
INSERT INTO meta (key, value) VALUES ('schema_version', '1') ON CONFLICT DO NOTHING;
"""

_V3_SYNC_OWNER = """\
ALTER TABLE syncs ADD COLUMN run_id TEXT;
ALTER TABLE syncs ADD COLUMN owner_start TEXT;
"""

# ---- 4 (issue 16): an exception (accepted risk, false positive, suppressed) covers one check of an integration,
# for every object (resource_uid NULL) or one; it is revoked, never deleted, so a finding's history keeps it. Portable
# DDL: PostgreSQL takes it translated (store_pg.ddl).
_V4_EXCEPTIONS_POSTURE = """\
CREATE TABLE IF NOT EXISTS finding_exceptions (
    id INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    resource_uid TEXT,
    resource_name TEXT,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    revoked_by TEXT
);
CREATE INDEX IF NOT EXISTS finding_exceptions_by_check ON finding_exceptions (integration_id, check_id, resource_uid);
CREATE TABLE IF NOT EXISTS sync_posture (
    sync_id INTEGER PRIMARY KEY REFERENCES syncs(id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    recorded_at INTEGER NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_posture_by_integration ON sync_posture (integration_id, sync_id);
"""

# ---- 5 (issue 17): sync jobs on the job queue (connector_host.leases, job_queue): one row per job, its lease
# (worker, lease_until) while it runs, at most one running per integration; named leases (the scheduler's leader).
# Portable DDL: PostgreSQL takes it translated (store_pg.ddl).
_V5_SYNC_JOBS = """\
CREATE TABLE IF NOT EXISTS sync_jobs (
    id TEXT PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'full',
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    dedupe_key TEXT UNIQUE,
    enqueued_at INTEGER NOT NULL,
    published_at INTEGER,
    started_at INTEGER,
    ended_at INTEGER,
    worker TEXT,
    heartbeat_at INTEGER,
    lease_until INTEGER,
    sync_id INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT,
    message TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS sync_jobs_one_running ON sync_jobs (integration_id) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS sync_jobs_active ON sync_jobs (state, lease_until) WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS sync_jobs_by_integration ON sync_jobs (integration_id, enqueued_at);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
"""

_V6_STAGING_OUT = """\
DROP TABLE IF EXISTS main.staged_assets;
DROP TABLE IF EXISTS main.staged_findings;
DROP TABLE IF EXISTS main.staged_relationships;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", {"sqlite": _V1_SQLITE, "postgresql": _V1_POSTGRESQL}),
    # the version lives in the ledger alone now; meta keeps other keys
    Migration(2, "version_in_ledger", {"sqlite": "DELETE FROM meta WHERE key = 'schema_version';"}),
    # a running sync's lock: its run, and when its owner process started (a reused PID is not its owner)
    Migration(3, "sync_run_owner", dict.fromkeys(("sqlite", "postgresql"), _V3_SYNC_OWNER)),
    # exceptions to findings, and the posture each applied sync left (Trends); the last applied syncs get theirs
    Migration(4, "finding_exceptions_sync_posture", {"sqlite": _V4_EXCEPTIONS_POSTURE}, run=posture_backfill),
    # sync jobs of the job queue (workers on many machines) and leases (scheduler leadership)
    Migration(5, "sync_jobs_leases", {"sqlite": _V5_SYNC_JOBS}),
    # SQLite: staged records live in the attached staging database (store.STAGING_DDL), not in the store file; the
    # store's own staging tables go (unqualified names then resolve to staging). Raw objects written from now on are
    # deflated (store_codec), with no schema change. PostgreSQL keeps its staging tables.
    Migration(6, "staging_database", {"sqlite": _V6_STAGING_OUT, "postgresql": ""}),
)
check_ladder(MIGRATIONS)
SCHEMA_VERSION = MIGRATIONS[-1].version
