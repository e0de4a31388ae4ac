"""The host's store (embedded SQLite, or PostgreSQL through :mod:`.store_pg`): integrations, sync history, assets, findings and relationships.

The store knows nothing about any vendor: assets are keyed by (type, uid), findings by their ``uid``; the
runner extracts those columns from normalised records (:mod:`connector_host.records`).

A sync writes its records to staging tables in batches while it runs; :meth:`Store.finish_sync` applies them
in **one transaction** together with the snapshot semantics, so a crash mid-sync leaves the store as it
was before that sync (the sync row then shows ``interrupted``):

* ``succeeded`` + ``full``: upsert what was seen; assets of the streams reported COMPLETE that were not seen
  are marked gone (all assets when the connector reported no stream status); findings not re-emitted are
  resolved; relationships not re-emitted are removed;
* ``partial`` or ``incremental``: upsert what was seen, nothing is marked gone or resolved, and an
  ``unknown`` result does not overwrite an earlier known result; except that a succeeded incremental sync whose
  ``SYNC_STATUS`` names ``snapshot_streams`` (the streams it read in full) is applied as a full sync to those of
  them reported COMPLETE, and, when they include ``check_results``, to findings (not re-emitted: resolved);
* ``failed`` / ``interrupted``: nothing changes.

A finding is *failing* when its compliance status is ``fail`` or ``warning``. ``new`` counts findings that
became failing in a sync; ``resolved`` counts failing findings that passed or were not re-emitted.

Secrets are never stored in clear: integration configs hold references (see :mod:`.config_secrets`).

The schema is a ladder of numbered migrations in :mod:`.store_schema`; opening a store applies those it lacks
(:func:`migrate`) and refuses a store of a later host (:class:`StoreTooNew`) or a file that is not a store
(:class:`NotAStore`).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import socket
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import store_codec, store_pg
from .posture import snapshot as posture_snapshot
from .store_schema import LEDGER_DDL, LEDGER_TABLE, LEGACY_VERSION, MIGRATIONS, Migration, check_ladder

FAILING = ("fail", "warning")
KNOWN = ("pass", "warning", "fail")
SYNC_STATUSES = ("running", "succeeded", "partial", "failed", "interrupted")
SEVERITIES = {0: "unknown", 1: "informational", 2: "low", 3: "medium", 4: "high", 5: "critical", 6: "fatal", 99: "other"}
SEVERITY_IDS = {v: k for k, v in SEVERITIES.items()} | {"info": 1}
# A running sync's row is its lock: ``owner`` (host:pid), ``owner_start`` (when that process started, to tell a
# reused PID), ``run_id`` (this run), and ``heartbeat_at``, renewed every HEARTBEAT_SECONDS by a thread of the
# owner while the sync runs. Silent for STALE_HEARTBEAT_MS (a few beats), the sync is dead.
HEARTBEAT_SECONDS = 10.0
STALE_HEARTBEAT_MS = int(6 * HEARTBEAT_SECONDS * 1000)
LEGACY_STALE_HEARTBEAT_MS = 30 * 60 * 1000  # rows of hosts before the heartbeat thread (no run_id)


class StoreError(Exception):
    """A request the store refuses (unknown integration, duplicate name, ...); the message says why."""


class NotFound(StoreError):
    pass


class SyncInProgress(StoreError):
    """Another sync of the same integration is running."""


class SyncLost(StoreError):
    """The sync was ended meanwhile by someone else (unlocked by hand, or judged dead): nothing more is kept."""


class NotAStore(StoreError):
    """The file is not a connector-host store: not SQLite, damaged, or another program's database."""


class StoreTooNew(StoreError):
    """The store's schema is of a later connector-host than this one."""


def now_ms() -> int:
    return int(time.time() * 1000)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_start(pid: int | None = None) -> str | None:
    """When process ``pid`` (default: this one) started, as ``<boot id>:<start time in clock ticks>``; a PID reused
    by another process gives another value. None where the system does not tell (not Linux, no /proc)."""
    try:
        with open(f"/proc/{pid or os.getpid()}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rpartition(")")[2].split()
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return f"{boot}:{int(fields[19])}"  # field 22 of stat: starttime (fields[0] is field 3)
    except (OSError, ValueError, IndexError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _private_store_file(path: Path) -> None:
    """Create the store's directory (0700) and file (0600) when they do not exist; SQLite gives the ``-wal`` and
    ``-shm`` files the database file's permissions. An existing store of ours readable by others is made private."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return  # a directory, a read-only place...: connecting says what is wrong
    else:
        os.close(fd)
    _tighten(path)


def _tighten(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            st = os.stat(p)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
                os.chmod(p, stat.S_IMODE(st.st_mode) & 0o700)
        except OSError:
            continue


# SQLite: a running sync's records are staged in a database of their own next to the store (``<store>.staging``,
# attached to every connection as ``staging``; the SQL names its tables unqualified, which SQLite resolves there once
# the store has none of its own: migration 6). The store file never holds them, so it is not left with the free pages
# of a large sync's staging (issue 18: 47% of the file at 100,000 users); the staging file frees its pages as
# soon as they are deleted (auto_vacuum FULL) and needs no durability (a crash interrupts the sync anyway).
# The tables are append-only, indexed by sync alone (rows of a sync arrive in order, so its index only grows at the
# end): a unique key kept up to date on every insert made staging ~2.4x the cost (issue 18: the host's ingest).
# A repeated key is settled when the sync is applied: the last row staged wins (:meth:`Store._settle_staged`).
STAGING_DDL = (
    "CREATE TABLE IF NOT EXISTS staging.staged_assets (sync_id INTEGER NOT NULL, type TEXT NOT NULL,"
    " uid TEXT NOT NULL, name TEXT, class_uid INTEGER, stream TEXT, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS staging.staged_findings (sync_id INTEGER NOT NULL, uid TEXT NOT NULL, check_id TEXT,"
    " title TEXT, severity_id INTEGER NOT NULL, compliance_status TEXT NOT NULL, standards TEXT NOT NULL,"
    " resource_type TEXT, resource_uid TEXT, resource_name TEXT, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS staging.staged_relationships (sync_id INTEGER NOT NULL, stream TEXT,"
    " relation TEXT NOT NULL, from_type TEXT NOT NULL, from_uid TEXT NOT NULL, to_type TEXT NOT NULL,"
    " to_uid TEXT NOT NULL, attributes TEXT)",
    "CREATE INDEX IF NOT EXISTS staging.staged_assets_sync ON staged_assets (sync_id)",
    "CREATE INDEX IF NOT EXISTS staging.staged_findings_sync ON staged_findings (sync_id)",
    "CREATE INDEX IF NOT EXISTS staging.staged_relationships_sync ON staged_relationships (sync_id)",
)
STAGED_TABLES = ("staged_assets", "staged_findings", "staged_relationships")
# what makes a staged row the same object as another: the main table's key (relationships need no settling: their
# apply is an upsert in staging order, so the last one wins there and nothing counts them)
_STAGED_KEYS = {"staged_assets": "type, uid", "staged_findings": "uid"}


def staging_path(path: Path) -> str:
    """Where a store's staging database is (``:memory:`` for an in-memory store)."""
    return ":memory:" if str(path) == ":memory:" else f"{path}.staging"


def _check_name(name: str) -> None:
    if not name or not name.strip() or name != name.strip() or len(name) > 100:
        raise StoreError("an integration name must be 1-100 characters without leading or trailing spaces")
    if name.isdigit():
        raise StoreError("an integration name cannot be only digits (numbers are ids)")


def default_store_path() -> Path:
    """``$CONNECTOR_HOST_STORE``, else ``connector-host/store.db`` under the user's data directory (a store URL,
    ``postgresql://...``, is returned as given)."""
    env = os.environ.get("CONNECTOR_HOST_STORE")
    if env:
        return env if store_pg.is_postgres(env) else Path(env).expanduser()  # type: ignore[return-value]
    base = os.environ.get("XDG_DATA_HOME")
    if os.name == "nt":
        base = base or os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif not base:
        base = str(Path.home() / ("Library/Application Support" if os.uname().sysname == "Darwin" else ".local/share"))
    return Path(base) / "connector-host" / "store.db"


# ------------------------------------------------------------------------------------------------- schema


def _statements(script: str) -> Iterator[str]:
    """An SQL script's statements, cut where SQLite says one is complete (a trigger body keeps its ``;``)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece
        if sqlite3.complete_statement(pending + ";"):
            if pending.strip():
                yield pending + ";"
            pending = ""
        else:
            pending += ";"
    if pending.strip(" \t\n;"):
        yield pending


def stored_version(db: sqlite3.Connection, path: object) -> int:
    """The schema version of the database behind ``db`` (0: empty); :class:`NotAStore` for another program's."""
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    tables = {r[0] for r in rows}
    if LEDGER_TABLE in tables:
        return int(db.execute(f"SELECT COALESCE(MAX(version), 0) FROM {LEDGER_TABLE}").fetchone()[0])
    table, key = LEGACY_VERSION
    if table in tables:  # written before the ledger; no version: its first open was cut short
        row = db.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row and str(row[0]).isdigit() else 0
    if tables:
        raise NotAStore(
            f"{path} is an SQLite database of another program (tables: {', '.join(sorted(tables)[:5])}),"
            " not a connector-host store; give a new file or an existing store"
        )
    return 0


def migrate(db: sqlite3.Connection, path: object, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations the store at ``path`` lacks, in order, in one transaction; the versions applied.

    :class:`StoreTooNew` when the store's version is above the last of ``migrations``; :class:`StoreError`
    when a migration fails (nothing of it is kept). Foreign keys are off while migrating (a migration rebuilding a
    table must not cascade deletes) and checked before the commit. The ledger gets a row per version, also for
    those an earlier host applied before the ledger existed.
    """
    check_ladder(migrations)
    latest = migrations[-1].version
    if _known_version(stored_version(db, path), latest, path) == latest:
        return []  # the common case, without taking the write lock
    dialect = getattr(db, "dialect", "sqlite")  # store_pg.PgConnection: "postgresql"
    split = _statements if dialect == "sqlite" else store_pg.statements
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    db.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set before BEGIN
    try:
        db.execute("BEGIN IMMEDIATE")
        current = _known_version(stored_version(db, path), latest, path)  # another process may have migrated
        db.execute(LEDGER_DDL["sqlite"])
        applied = []
        for m in migrations:
            if m.version > current:
                try:
                    script = m.script(dialect) if dialect == "sqlite" else store_pg.migration_script(m)
                    for statement in split(script):
                        db.execute(statement)
                    if m.run:
                        m.run(db, dialect)
                except sqlite3.Error as e:
                    raise StoreError(
                        f"could not migrate the store {path} to schema version {m.version} ({m.name}): {e};"
                        f" it was left unchanged at version {current}"
                    ) from e
                applied.append(m.version)
            db.execute(
                f"INSERT OR IGNORE INTO {LEDGER_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                (m.version, m.name, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            )
        try:
            broken = db.execute("PRAGMA foreign_key_check").fetchall() if applied else []
        except sqlite3.Error as e:  # e.g. a rebuilt table lost the key others refer to
            broken = [(str(e),)]
        if broken:
            raise StoreError(
                f"could not migrate the store {path} to schema version {latest}: the migrations broke"
                f" {len(broken)} references (first: {tuple(broken[0])});"
                f" it was left unchanged at version {current}"
            )
    except BaseException:
        if db.in_transaction:  # SQLite may have rolled back already (disk full, ...)
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")
    finally:
        db.execute(f"PRAGMA foreign_keys={int(foreign_keys)}")
    return applied


def _known_version(version: int, latest: int, path: object) -> int:
    if version > latest:
        raise StoreTooNew(
            f"the store {path} has schema version {version}; this connector-host supports versions up to"
            f" {latest}: upgrade connector-host (pip install -U connector-host) to open it"
        )
    return version


# ------------------------------------------------------------------------------------------------- rows


@dataclass
class Integration:
    id: int
    name: str
    connector: str
    config: dict[str, Any]  # secrets as references, never values
    interval_minutes: int | None
    enabled: bool
    state: dict[str, Any] | None
    created_at: int
    updated_at: int

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("state")
        return d


@dataclass
class SyncRecord:
    id: int
    integration_id: int
    integration: str
    started_at: int
    ended_at: int | None
    status: str
    sync_mode: str
    trigger: str
    message: str | None
    counts: dict[str, Any]
    records: int
    assets_seen: int
    assets_new: int
    assets_gone: int
    findings_seen: int
    findings_new: int
    findings_resolved: int
    api_requests: int | None
    rate_limit_wait_seconds: float | None
    errors: list[dict[str, Any]]
    stats: dict[str, Any] | None = None
    owner: str | None = None
    heartbeat_at: int | None = None

    @property
    def duration_seconds(self) -> float | None:
        return None if self.ended_at is None else round((self.ended_at - self.started_at) / 1000, 3)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("owner")
        d.pop("heartbeat_at")
        d["duration_seconds"] = self.duration_seconds
        return d


@dataclass
class StagedAsset:
    type: str
    uid: str
    name: str | None
    class_uid: int | None
    stream: str | None
    data: Mapping[str, Any]


@dataclass
class StagedFinding:
    uid: str
    check_id: str | None
    title: str | None
    severity_id: int
    compliance_status: str
    standards: Sequence[str]
    resource_type: str | None
    resource_uid: str | None
    resource_name: str | None
    data: Mapping[str, Any]


@dataclass
class StagedRelationship:
    stream: str | None
    relation: str
    from_type: str
    from_uid: str
    to_type: str
    to_uid: str
    attributes: Mapping[str, Any] | None = None


@dataclass
class Page:
    """A page of a view: ``items`` and the ``total`` that matched."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, default=str)


def _dumps_raw(obj: Any) -> str:
    """A staged object's JSON: its own key order (sorting 100,000 objects' keys is time the ingest need not spend)."""
    return store_codec.json_text(obj)


EncodedBatch = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]
Redact = Callable[[Any], Any]


def redaction(redact: Callable[[str], str] | None) -> Redact:
    """``redact`` applied to text values, anything else as it is (the identity without one)."""
    return (lambda t: redact(t) if isinstance(t, str) else t) if redact else (lambda t: t)


def encode_asset(a: StagedAsset, r: Redact) -> tuple[Any, ...]:
    """An asset's staging row without the sync id, its raw object as redacted JSON text."""
    return (a.type, a.uid, r(a.name), a.class_uid, a.stream, r(_dumps_raw(a.data)))


def encode_finding(f: StagedFinding, r: Redact) -> tuple[Any, ...]:
    return (f.uid, f.check_id, r(f.title), int(f.severity_id), f.compliance_status, "\n".join(f.standards),
            f.resource_type, f.resource_uid, r(f.resource_name), r(_dumps_raw(f.data)))


def encode_relationship(x: StagedRelationship, r: Redact) -> tuple[Any, ...]:
    return (x.stream, x.relation, x.from_type, x.from_uid, x.to_type, x.to_uid,
            r(store_codec.json_text(x.attributes, sort_keys=True)) if x.attributes else None)


def encode_staged(
    assets: Iterable[StagedAsset] = (),
    findings: Iterable[StagedFinding] = (),
    relationships: Iterable[StagedRelationship] = (),
    *,
    redact: Callable[[str], str] | None = None,
) -> EncodedBatch:
    """A batch's staging rows (the part of staging that holds the GIL; :meth:`Store.stage_encoded` does the rest).
    The runner encodes each record as it comes instead (:mod:`.runner`), so the normalised objects are freed at once."""
    r = redaction(redact)
    return ([encode_asset(a, r) for a in assets], [encode_finding(f, r) for f in findings],
            [encode_relationship(x, r) for x in relationships])


def _where_in(where: list[str], params: list[Any], col: str, values: set[Any]) -> None:
    """``col IN (?, ...)`` over ``values`` (bound in sorted order)."""
    where.append(f"{col} IN ({','.join('?' * len(values))})")
    params.extend(sorted(values))


def _severity_ids(severity: Iterable[str] | str) -> set[int]:
    """Severity ids from names or numbers, one or many, comma-separated or not."""
    ids = set()
    for s in [severity] if isinstance(severity, str) else list(severity):
        for part in str(s).split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part.isdigit():
                ids.add(int(part))
            elif part in SEVERITY_IDS:
                ids.add(SEVERITY_IDS[part])
            else:
                raise StoreError(f"unknown severity {part!r}; use one of {', '.join(_SEVERITY_CHOICES)}")
    return ids


log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------------- store


class Store:
    """The store. Safe to share between threads (one connection per thread) and processes (SQLite: WAL mode,
    writes are short ``BEGIN IMMEDIATE`` transactions; PostgreSQL: the same transactions under an advisory lock).
    Give it a file path or ``sqlite:///PATH`` (``:memory:`` would be one database per thread), or a
    ``postgresql://`` URL (:mod:`.store_pg`)."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        dialect, location = store_pg.parse_location(path if path is not None else default_store_path())
        self.url = location if dialect == store_pg.DIALECT else None  # PostgreSQL: its URL (path: without password)
        self.dialect = dialect
        self.path = Path(location) if self.url is None else store_pg.mask_url(location)  # type: ignore[assignment]
        if str(self.path) != ":memory:" and self.url is None:
            _private_store_file(self.path)  # 0600 (with its -wal and -shm), its new directory 0700
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._beats: dict[int, threading.Event] = {}  # running syncs of this Store: their heartbeat threads
        self._staging = False  # SQLite: attach the staging database to each connection (once the store is known)
        self._checkpointer: threading.Thread | None = None  # SQLite: the WAL copied into the file after an apply
        try:
            migrate(self._conn(), self.path)  # first: a file that is not a store is refused unchanged
            self._conn().execute("PRAGMA journal_mode=WAL")  # kept in the file: every connection then uses it
            if str(self.path) != ":memory:" and self.url is None:
                _tighten(self.path)
            if self.url is None:
                self._staging = True
                self._attach_staging(self._conn())
                for table in STAGED_TABLES:  # a crash's leftovers
                    self._conn().execute(f"DELETE FROM staging.{table} WHERE sync_id NOT IN"
                                         " (SELECT id FROM main.syncs WHERE status = 'running')")
                self._renew_staging_layout(self._conn())
        except sqlite3.DatabaseError as e:
            self.close()
            if isinstance(e, sqlite3.OperationalError):  # unreadable, a directory, locked too long, ...
                raise StoreError(f"cannot open the store {self.path}: {e}") from e
            raise NotAStore(
                f"{self.path} is not a connector-host store: not an SQLite database, or a damaged one ({e})"
            ) from e
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------------------------------------- plumbing
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None and self.url is not None:  # PostgreSQL, through the dialect layer
            conn = self._local.conn = store_pg.connect(self.url)  # type: ignore[assignment]
            with self._conns_lock:
                self._conns.append(conn)  # type: ignore[arg-type]
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=120, isolation_level=None, check_same_thread=False,
                                   detect_types=sqlite3.PARSE_DECLTYPES)
            conn.row_factory = sqlite3.Row
            store_codec.register(conn)  # compressed raw objects read as text (store_codec)
            conn.execute("PRAGMA synchronous=NORMAL")
            # a large sync's apply updates every index of 100,000s of rows in one transaction: with the default
            # 8 MB page cache it spills and re-reads them (issue 18); the cache grows only as it is used
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=120000")  # writers queue behind a large sync's apply
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
            if getattr(self, "_staging", False):
                self._attach_staging(conn)
        return conn

    def _attach_staging(self, conn: sqlite3.Connection) -> None:
        """Attach the staging database (see :data:`STAGING_DDL`) and make sure its tables exist."""
        if any(row[1] == "staging" for row in conn.execute("PRAGMA database_list")):
            return
        where = staging_path(self.path)
        if where != ":memory:":
            _private_store_file(Path(where))
        conn.execute("ATTACH DATABASE ? AS staging", (where,))
        conn.execute("PRAGMA staging.auto_vacuum=FULL")  # takes effect while the file is new (empty)
        conn.execute("PRAGMA staging.journal_mode=WAL")
        conn.execute("PRAGMA staging.synchronous=OFF")
        for ddl in STAGING_DDL:
            conn.execute(ddl)
        if where != ":memory:":
            _tighten(Path(where))

    @staticmethod
    def _renew_staging_layout(conn: sqlite3.Connection) -> None:
        """A staging table of the earlier layout (a unique key: slower to fill) is made anew when it is empty; one
        holding a running sync's rows stays as it is and works as before."""
        for table in STAGED_TABLES:
            keyed = conn.execute("SELECT 1 FROM staging.sqlite_master WHERE type = 'index' AND tbl_name = ?"
                                 " AND name LIKE 'sqlite_autoindex%'", (table,)).fetchone()
            if keyed and conn.execute(f"SELECT 1 FROM staging.{table} LIMIT 1").fetchone() is None:
                conn.execute(f"DROP TABLE staging.{table}")
        for ddl in STAGING_DDL:
            conn.execute(ddl)

    def close(self) -> None:
        for stop in list(self._beats.values()):
            stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join()
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except sqlite3.ProgrammingError:
                    pass
            self._conns.clear()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE): all or nothing."""
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def _q(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        return self._conn().execute(sql, params).fetchall()

    # ---------------------------------------------------------------------------------------- integrations
    def add_integration(
        self,
        name: str,
        connector: str,
        config: Mapping[str, Any],
        *,
        interval_minutes: int | None = None,
        enabled: bool = True,
    ) -> Integration:
        _check_name(name)
        t = now_ms()
        try:
            with self._tx() as db:
                cur = db.execute(
                    "INSERT INTO integrations (name, connector, config, interval_minutes, enabled, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, connector, _dumps(dict(config)), interval_minutes, int(enabled), t, t),
                )
        except sqlite3.IntegrityError:
            raise StoreError(f"an integration named {name!r} exists already; use `edit` or another name") from None
        return self.get_integration(cur.lastrowid)

    def update_integration(
        self,
        ref: str | int,
        *,
        config: Mapping[str, Any] | None = None,
        interval_minutes: int | None | type[...] = ...,
        enabled: bool | None = None,
        name: str | None = None,
    ) -> Integration:
        integ = self.get_integration(ref)
        sets: list[str] = []
        params: list[Any] = []
        if config is not None:
            sets.append("config = ?")
            params.append(_dumps(dict(config)))
        if interval_minutes is not ...:
            sets.append("interval_minutes = ?")
            params.append(interval_minutes)
        if enabled is not None:
            sets.append("enabled = ?")
            params.append(int(enabled))
        if name is not None and name != integ.name:
            _check_name(name)
            sets.append("name = ?")
            params.append(name)
        if not sets:
            return integ
        sets.append("updated_at = ?")
        params.append(now_ms())
        try:
            with self._tx() as db:
                db.execute(f"UPDATE integrations SET {', '.join(sets)} WHERE id = ?", (*params, integ.id))
        except sqlite3.IntegrityError:
            raise StoreError(f"an integration named {name!r} exists already") from None
        return self.get_integration(integ.id)

    def set_state(self, integration_id: int, state: Mapping[str, Any] | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE integrations SET state = ? WHERE id = ?",
                (None if state is None else _dumps(dict(state)), integration_id),
            )

    def delete_integration(self, ref: str | int) -> None:
        integ = self.get_integration(ref)
        with self._tx() as db:
            db.execute("DELETE FROM integrations WHERE id = ?", (integ.id,))

    @staticmethod
    def _integration(row: sqlite3.Row) -> Integration:
        return Integration(
            id=row["id"],
            name=row["name"],
            connector=row["connector"],
            config=json.loads(row["config"]),
            interval_minutes=row["interval_minutes"],
            enabled=bool(row["enabled"]),
            state=json.loads(row["state"]) if row["state"] else None,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    def get_integration(self, ref: str | int) -> Integration:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            rows = self._q("SELECT * FROM integrations WHERE id = ?", (int(ref),))
        else:
            rows = self._q("SELECT * FROM integrations WHERE name = ?", (ref,))
        if not rows:
            names = ", ".join(i.name for i in self.list_integrations()) or "none yet; add one with `add`"
            raise NotFound(f"no integration {ref!r} (integrations: {names})")
        return self._integration(rows[0])

    def list_integrations(self) -> list[Integration]:
        return [self._integration(r) for r in self._q("SELECT * FROM integrations ORDER BY name")]

    # ---------------------------------------------------------------------------------------- syncs
    def _dead_because(self, row: Any, host: str, t: int, stale_ms: int) -> str | None:
        """Why the running sync in ``row`` is dead, or None while its owner lives.

        On this machine, the owner process decides: gone, or its PID now another process (start time differs),
        means dead; alive with the same start time means alive. Elsewhere (or where the start time is unknown), a
        heartbeat silent for ``stale_ms`` means dead.
        """
        owner = row["owner"] or ""
        o_host, _, o_pid = owner.rpartition(":")
        beat = row["heartbeat_at"] or row["started_at"]
        silent_ms = t - beat
        limit = stale_ms if row["run_id"] else max(stale_ms, LEGACY_STALE_HEARTBEAT_MS)
        if o_host == host and o_pid.isdigit():
            pid = int(o_pid)
            if not _pid_alive(pid):
                return f"its process {pid} is gone"
            started = process_start(pid)
            if row["owner_start"] and started is not None:
                return None if started == row["owner_start"] else f"its process id {pid} now belongs to another process"
        if silent_ms > limit:
            return f"no heartbeat for {silent_ms // 1000} s"
        return None

    def recover_interrupted(self, *, stale_ms: int = STALE_HEARTBEAT_MS) -> list[int]:
        """Mark syncs left ``running`` by a dead owner as ``interrupted``; drop their staged rows.

        Dead (see :meth:`_dead_because`): an owner process of this machine that is gone or whose PID was reused,
        or a heartbeat older than ``stale_ms``. Returns the ids marked.
        """
        host = socket.gethostname()
        t = now_ms()
        dead: dict[int, str] = {}
        for row in self._q("SELECT id, owner, owner_start, run_id, heartbeat_at, started_at FROM syncs"
                           " WHERE status = 'running'"):
            why = self._dead_because(row, host, t, stale_ms)
            if why:
                dead[row["id"]] = why
        if dead:
            with self._tx() as db:
                for sid, why in dead.items():
                    row = db.execute("SELECT id, owner, owner_start, run_id, heartbeat_at, started_at FROM syncs"
                                     " WHERE id = ? AND status = 'running'", (sid,)).fetchone()
                    if row is None or not self._dead_because(row, host, now_ms(), stale_ms):
                        continue  # ended, or beat again, while this transaction waited for the lock
                    db.execute(
                        "UPDATE syncs SET status = 'interrupted', ended_at = COALESCE(heartbeat_at, started_at),"
                        " message = ? WHERE id = ? AND status = 'running'",
                        (f"the host stopped during this sync (crash or kill: {why}); nothing of it was applied", sid),
                    )
                    self._drop_staged(db, sid)
        return list(dead)

    def unlock(self, integration: str | int) -> list[dict[str, Any]]:
        """Mark every running sync of ``integration`` as ``interrupted`` whatever its owner's state (``connector-host
        unlock`` / ``sync --force-unlock``); its staged rows are dropped and, should its process still run, what
        it sends later is refused. Returns the syncs unlocked: id, owner, started_at, and ``alive``, whether
        the owner looked alive."""
        integ = self.get_integration(integration)
        host = socket.gethostname()
        out = []
        with self._tx() as db:
            rows = db.execute("SELECT id, owner, owner_start, run_id, heartbeat_at, started_at FROM syncs"
                              " WHERE integration_id = ? AND status = 'running'", (integ.id,)).fetchall()
            for row in rows:
                alive = self._dead_because(row, host, now_ms(), STALE_HEARTBEAT_MS) is None
                db.execute(
                    "UPDATE syncs SET status = 'interrupted', ended_at = ?, message = ? WHERE id = ?",
                    (now_ms(), "unlocked by hand (connector-host unlock or sync --force-unlock); nothing of it was "
                               "applied", row["id"]),
                )
                self._drop_staged(db, row["id"])
                out.append({"id": row["id"], "owner": row["owner"], "started_at": row["started_at"], "alive": alive})
        return out

    def start_sync(self, integration_id: int, *, sync_mode: str = "full", trigger: str = "manual") -> int:
        """Record a running sync; :class:`SyncInProgress` when one of this integration is running already.

        The row is the integration's lock across processes: owner (host:pid), the owner's start time, a run id,
        and a heartbeat a thread of this process renews until :meth:`finish_sync`.
        """
        self.recover_interrupted()
        t = now_ms()
        run_id = secrets.token_hex(16)
        with self._tx() as db:
            running = db.execute(
                "SELECT id, started_at, owner FROM syncs WHERE integration_id = ? AND status = 'running'",
                (integration_id,),
            ).fetchone()
            if running:
                raise SyncInProgress(
                    f"sync #{running['id']} of this integration is still running (since "
                    f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(running['started_at'] / 1000))} UTC, by "
                    f"{running['owner']}); wait for it to end, or if it is stuck, `connector-host sync NAME "
                    "--force-unlock` (or `connector-host unlock NAME`)"
                )
            cur = db.execute(
                "INSERT INTO syncs (integration_id, started_at, status, sync_mode, trigger, owner, heartbeat_at,"
                " run_id, owner_start) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (integration_id, t, sync_mode, trigger, _owner(), t, run_id, process_start()),
            )
            sync_id = int(cur.lastrowid)
        self._start_heartbeat(sync_id, run_id)
        return sync_id

    def _start_heartbeat(self, sync_id: int, run_id: str) -> None:
        stop = threading.Event()
        self._beats[sync_id] = stop

        def beat() -> None:
            try:
                while not stop.wait(HEARTBEAT_SECONDS):
                    db = self._conn()
                    cur = db.execute("UPDATE syncs SET heartbeat_at = ? WHERE id = ? AND run_id = ?"
                                     " AND status = 'running'", (now_ms(), sync_id, run_id))
                    if cur.rowcount == 0:
                        break  # ended, or unlocked by hand
            except (sqlite3.Error, ValueError):  # the store was closed
                pass
            finally:
                self._beats.pop(sync_id, None)
                self._release_thread_connection()

        threading.Thread(target=beat, name=f"sync-{sync_id}-heartbeat", daemon=True).start()

    def _release_thread_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._conns_lock:
            if conn in self._conns:
                self._conns.remove(conn)
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def heartbeat(self, sync_id: int, *, counts: Mapping[str, Any] | None = None) -> None:
        with self._tx() as db:
            if counts is None:
                cur = db.execute("UPDATE syncs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
                                 (now_ms(), sync_id))
            else:
                cur = db.execute(
                    "UPDATE syncs SET heartbeat_at = ?, counts = ? WHERE id = ? AND status = 'running'",
                    (now_ms(), _dumps(counts), sync_id),
                )
            if cur.rowcount == 0:
                raise SyncLost(self._lost(db, sync_id))

    @staticmethod
    def _lost(db: sqlite3.Connection, sync_id: int) -> str:
        row = db.execute("SELECT status, message FROM syncs WHERE id = ?", (sync_id,)).fetchone()
        if row is None:
            return f"sync #{sync_id} no longer exists (its integration was removed); nothing of it is kept"
        return (f"sync #{sync_id} is no longer running ({row['status']}: {row['message'] or 'no message'}); "
                "nothing more of it is recorded")

    def stage(
        self,
        sync_id: int,
        assets: Iterable[StagedAsset] = (),
        findings: Iterable[StagedFinding] = (),
        relationships: Iterable[StagedRelationship] = (),
        *,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        """Write one batch of a running sync's records to the staging tables (a later duplicate wins).

        ``redact`` (e.g. :meth:`Redactor.text`) is applied to every stored text, so a secret a connector
        wrongly put in a record never reaches the store.
        """
        self.stage_encoded(sync_id, encode_staged(assets, findings, relationships, redact=redact))

    def stage_encoded(self, sync_id: int, batch: EncodedBatch) -> None:
        """Write a batch :func:`encode_staged` made: deflate the raw objects (SQLite; PostgreSQL compresses large
        values itself) and insert. Deflating and SQLite's own work run without the GIL, so the runner's staging
        thread does this part while its reading thread goes on (issue 18: the host's ingest)."""
        assets, findings, relationships = batch
        z: Callable[[str], Any] = store_codec.pack if self.url is None else (lambda t: t)
        with self._tx() as db:
            self._insert_rows(db, "staged_assets", [(sync_id, *row[:5], z(row[5])) for row in assets])
            self._insert_rows(db, "staged_findings", [(sync_id, *row[:9], z(row[9])) for row in findings])
            self._insert_rows(db, "staged_relationships", [(sync_id, *row) for row in relationships])
            cur = db.execute("UPDATE syncs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
                             (now_ms(), sync_id))
            if cur.rowcount == 0:  # unlocked by hand or judged dead meanwhile: keep nothing of it
                raise SyncLost(self._lost(db, sync_id))

    def _insert_rows(self, db: sqlite3.Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert staged rows (a later duplicate wins: PostgreSQL's staging tables replace on their key, SQLite's
        are settled at the apply). SQLite: many rows per statement, up to its limit of parameters. Its module
        releases the GIL around each statement's step and takes it back after: row by row, 100,000s of
        round trips fought over with the connector's threads (issue 18: the host's ingest)."""
        if not rows:
            return
        width = len(rows[0])
        if self.url is not None:
            db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * width)})", rows)
            return
        per = max(1, min(500, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
        one = f"({','.join('?' * width)})"
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            db.execute(f"INSERT INTO {table} VALUES {','.join([one] * len(chunk))}",
                       list(itertools.chain.from_iterable(chunk)))

    @staticmethod
    def _drop_staged(db: sqlite3.Connection, sync_id: int) -> None:
        """Drop a sync's staged rows. SQLite (whose write transaction keeps every other writer out): the whole
        table at once when they are all it holds (it frees the pages without visiting each row: ~1 s of a
        100,000-user apply otherwise), else row by row."""
        for table in STAGED_TABLES:
            if not isinstance(db, sqlite3.Connection):
                db.execute(f"DELETE FROM {table} WHERE sync_id = ?", (sync_id,))
                continue
            low, high = db.execute(f"SELECT MIN(sync_id), MAX(sync_id) FROM {table}").fetchone()
            if low is None:
                continue
            if low == high == sync_id:
                db.execute(f"DELETE FROM {table}")
            else:
                db.execute(f"DELETE FROM {table} WHERE sync_id = ?", (sync_id,))

    def _settle_staged(self, db: sqlite3.Connection, sync_id: int) -> None:
        """SQLite: of staged rows with one key, keep the last staged (as a unique key replacing on insert would
        have; PostgreSQL's staging tables have that key)."""
        if self.url is not None:
            return
        for table, key in _STAGED_KEYS.items():
            db.execute(f"DELETE FROM {table} WHERE sync_id = :s AND rowid NOT IN"
                       f" (SELECT MAX(rowid) FROM {table} WHERE sync_id = :s GROUP BY {key})", {"s": sync_id})

    def finish_sync(
        self,
        sync_id: int,
        status: str,
        *,
        message: str | None = None,
        complete_streams: Iterable[str] | None = None,
        counts: Mapping[str, Any] | None = None,
        records: int = 0,
        errors: Sequence[Mapping[str, Any]] = (),
        stats: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None | type[...] = ...,
        sync_mode: str | None = None,
        snapshot_streams: Iterable[str] | None = None,
    ) -> SyncRecord:
        """End a sync and apply it (see the module docstring), all in one transaction.

        ``complete_streams``: the streams reported COMPLETE; ``None`` means the connector reported none, so
        a succeeded full sync is a snapshot of everything. ``snapshot_streams`` (a succeeded incremental sync): the
        streams the connector read in full, treated as on a full sync when also COMPLETE, and ``check_results``
        when it emitted every result (findings not re-emitted are resolved). ``state`` (when given) is saved for
        the next sync, only when the sync is applied.
        """
        with self._checkpoint_after():
            if status not in ("succeeded", "partial", "failed", "interrupted"):
                raise ValueError(f"not a final sync status: {status!r}")
            beat = self._beats.pop(sync_id, None)
            if beat is not None:
                beat.set()
            t = now_ms()
            with self._tx() as db:
                row = db.execute("SELECT * FROM syncs WHERE id = ?", (sync_id,)).fetchone()
                if row is None:
                    raise NotFound(f"no sync #{sync_id}")
                if row["status"] != "running":
                    raise SyncLost(self._lost(db, sync_id))
                integ = row["integration_id"]
                mode = sync_mode or row["sync_mode"]
                result: dict[str, int] = dict.fromkeys(
                    ("assets_seen", "assets_new", "assets_gone", "findings_seen", "findings_new", "findings_resolved"), 0
                )
                if status in ("succeeded", "partial"):
                    snapshot = status == "succeeded" and mode == "full"
                    partly = set(snapshot_streams or ()) if status == "succeeded" and not snapshot else set()
                    self._settle_staged(db, sync_id)
                    result = self._apply(db, integ, sync_id, t, snapshot=snapshot, complete_streams=complete_streams,
                                         snapshot_streams=partly)
                    posture_snapshot.record(db, integ, sync_id, t)  # the posture it left (Trends)
                    if state is not ...:
                        db.execute(
                            "UPDATE integrations SET state = ? WHERE id = ?",
                            (None if state is None else _dumps(dict(state)), integ),
                        )
                self._drop_staged(db, sync_id)
                stats = dict(stats or {})
                db.execute(
                    "UPDATE syncs SET ended_at = ?, status = ?, sync_mode = ?, message = ?, counts = ?, records = ?,"
                    " assets_seen = ?, assets_new = ?, assets_gone = ?, findings_seen = ?, findings_new = ?,"
                    " findings_resolved = ?, api_requests = ?, rate_limit_wait_seconds = ?, errors = ?, stats = ?,"
                    " heartbeat_at = ? WHERE id = ?",
                    (
                        t, status, mode, message, _dumps(dict(counts or {})), records,
                        result["assets_seen"], result["assets_new"], result["assets_gone"],
                        result["findings_seen"], result["findings_new"], result["findings_resolved"],
                        stats.get("requests"), stats.get("rate_limit_wait_seconds"),
                        _dumps(list(errors)), _dumps(stats) if stats else None, t, sync_id,
                    ),
                )
            if result["assets_seen"] + result["findings_seen"] >= 1000:
                self._conn().execute("PRAGMA analysis_limit = 1000")
                self._conn().execute("ANALYZE")  # keeps the planner on the right indexes as the store grows
            return self.get_sync(sync_id)

    @contextmanager
    def _checkpoint_after(self) -> Iterator[None]:
        """SQLite: the apply's pages are copied from the WAL into the store file (a checkpoint, ~1.5 s of a
        100,000-user sync) on a thread of its own afterwards, not by the apply's commit (issue 18: the host's
        ingest); the sync is whole and visible at that commit either way."""
        if self.url is not None:
            yield
            return
        conn = self._conn()
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        try:
            yield
        finally:
            conn.execute("PRAGMA wal_autocheckpoint = 1000")
            self._checkpoint_soon()

    def _checkpoint_soon(self) -> None:
        """Copy the WAL into the store file on a thread of its own (PASSIVE: readers and writers go on meanwhile);
        :meth:`close` waits for it. A process ending first leaves the WAL to the next checkpoint, as SQLite does
        after a crash."""
        if str(self.path) == ":memory:":
            return
        previous = self._checkpointer

        def run() -> None:
            if previous is not None:  # one at a time
                previous.join()
            try:
                conn = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=rw", uri=True, timeout=120,
                                       isolation_level=None)  # never creates a file
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    conn.close()
            except sqlite3.Error:  # busy or closed meanwhile: a later commit checkpoints instead
                log.debug("background checkpoint of %s failed", self.path, exc_info=True)

        self._checkpointer = threading.Thread(target=run, name="connector-host-checkpoint", daemon=True)
        self._checkpointer.start()

    def _apply(
        self,
        db: sqlite3.Connection,
        integ: int,
        sid: int,
        t: int,
        *,
        snapshot: bool,
        complete_streams: Iterable[str] | None,
        snapshot_streams: set[str] | None = None,
    ) -> dict[str, int]:
        p = {"i": integ, "s": sid, "t": t}
        # an incremental sync's streams read in full (and reported COMPLETE) are applied as on a full sync
        partly = sorted((snapshot_streams or set()) & set(complete_streams or ())) if not snapshot else []
        findings_snapshot = snapshot or "check_results" in (snapshot_streams or set())
        one = lambda sql: db.execute(sql, p).fetchone()[0]  # noqa: E731

        # ---- assets
        assets_seen = one("SELECT COUNT(*) FROM staged_assets WHERE sync_id = :s")
        assets_new = one(
            "SELECT COUNT(*) FROM staged_assets s WHERE s.sync_id = :s AND NOT EXISTS (SELECT 1 FROM assets a"
            " WHERE a.integration_id = :i AND a.type = s.type AND a.uid = s.uid AND a.gone_at IS NULL)"
        )
        db.execute(
            "INSERT INTO assets (integration_id, type, uid, name, class_uid, stream, data, first_seen, last_seen,"
            " first_sync_id, last_sync_id) SELECT :i, type, uid, name, class_uid, stream, data, :t, :t, :s, :s"
            " FROM staged_assets WHERE sync_id = :s AND true"
            " ON CONFLICT (integration_id, type, uid) DO UPDATE SET name = excluded.name,"
            " class_uid = excluded.class_uid, stream = excluded.stream, data = excluded.data,"
            " last_seen = excluded.last_seen, last_sync_id = excluded.last_sync_id, gone_at = NULL,"
            " gone_sync_id = NULL",
            p,
        )
        assets_gone = 0
        if snapshot:
            where = "integration_id = ? AND gone_at IS NULL AND last_sync_id != ?"
            args: list[Any] = [t, sid, integ, sid]
            if complete_streams is not None:
                streams = sorted(set(complete_streams))
                where += f" AND stream IN ({','.join('?' * len(streams)) or 'NULL'})"
                args.extend(streams)
            assets_gone = db.execute(f"UPDATE assets SET gone_at = ?, gone_sync_id = ? WHERE {where}", args).rowcount
        elif partly:
            assets_gone = db.execute(
                "UPDATE assets SET gone_at = ?, gone_sync_id = ? WHERE integration_id = ? AND gone_at IS NULL"
                f" AND last_sync_id != ? AND stream IN ({','.join('?' * len(partly))})", [t, sid, integ, sid, *partly]
            ).rowcount

        # ---- relationships
        db.execute(
            "INSERT INTO relationships (integration_id, stream, relation, from_type, from_uid, to_type, to_uid,"
            " attributes, first_sync_id, last_sync_id) SELECT :i, stream, relation, from_type, from_uid, to_type,"
            " to_uid, attributes, :s, :s FROM staged_relationships WHERE sync_id = :s AND true"
            " ON CONFLICT (integration_id, relation, from_type, from_uid, to_type, to_uid) DO UPDATE SET"
            " stream = excluded.stream, attributes = excluded.attributes, last_sync_id = excluded.last_sync_id",
            p,
        )
        if snapshot:
            if complete_streams is None:
                db.execute("DELETE FROM relationships WHERE integration_id = :i AND last_sync_id != :s", p)
            else:
                streams = sorted(set(complete_streams))
                if streams:
                    marks = ",".join("?" * len(streams))
                    db.execute(
                        f"DELETE FROM relationships WHERE integration_id = ? AND last_sync_id != ?"
                        f" AND stream IN ({marks})",
                        (integ, sid, *streams),
                    )
        elif partly:
            db.execute(
                "DELETE FROM relationships WHERE integration_id = ? AND last_sync_id != ?"
                f" AND stream IN ({','.join('?' * len(partly))})", (integ, sid, *partly)
            )

        # ---- findings
        if not findings_snapshot:
            # a partial or incremental sync never replaces a known result with 'unknown'
            db.execute(
                "DELETE FROM staged_findings WHERE sync_id = :s AND compliance_status NOT IN ('pass','warning','fail')"
                " AND uid IN (SELECT uid FROM findings WHERE integration_id = :i AND status = 'active'"
                " AND compliance_status IN ('pass','warning','fail'))",
                p,
            )
        findings_seen = one("SELECT COUNT(*) FROM staged_findings WHERE sync_id = :s")
        failing = "('fail','warning')"
        findings_new = one(
            "SELECT COUNT(*) FROM staged_findings s LEFT JOIN findings f ON f.integration_id = :i AND f.uid = s.uid"
            f" WHERE s.sync_id = :s AND s.compliance_status IN {failing} AND (f.id IS NULL OR f.status = 'resolved'"
            f" OR f.compliance_status NOT IN {failing})"
        )
        resolved_by_pass = one(
            "SELECT COUNT(*) FROM staged_findings s JOIN findings f ON f.integration_id = :i AND f.uid = s.uid"
            f" WHERE s.sync_id = :s AND s.compliance_status = 'pass' AND f.status = 'active'"
            f" AND f.compliance_status IN {failing}"
        )
        was_failing = f"(findings.status = 'active' AND findings.compliance_status IN {failing})"
        now_failing = f"excluded.compliance_status IN {failing}"
        db.execute(
            "INSERT INTO findings (integration_id, uid, check_id, title, severity_id, compliance_status, standards,"
            " resource_type, resource_uid, resource_name, data, first_seen, last_seen, first_sync_id, last_sync_id,"
            " status, failing_since, new_sync_id)"
            " SELECT :i, uid, check_id, title, severity_id, compliance_status, standards, resource_type, resource_uid,"
            " resource_name, data, :t, :t, :s, :s, 'active',"
            f" CASE WHEN compliance_status IN {failing} THEN :t END,"
            f" CASE WHEN compliance_status IN {failing} THEN :s END"
            " FROM staged_findings WHERE sync_id = :s AND true"
            " ON CONFLICT (integration_id, uid) DO UPDATE SET check_id = excluded.check_id, title = excluded.title,"
            " severity_id = excluded.severity_id, compliance_status = excluded.compliance_status,"
            " standards = excluded.standards, resource_type = excluded.resource_type,"
            " resource_uid = excluded.resource_uid, resource_name = excluded.resource_name, data = excluded.data,"
            " last_seen = excluded.last_seen, last_sync_id = excluded.last_sync_id, status = 'active',"
            " resolved_at = NULL,"
            f" resolved_sync_id = CASE WHEN {was_failing} AND excluded.compliance_status = 'pass' THEN :s"
            f"   WHEN {now_failing} THEN NULL ELSE findings.resolved_sync_id END,"
            f" failing_since = CASE WHEN {now_failing} THEN CASE WHEN {was_failing} THEN findings.failing_since"
            "   ELSE :t END ELSE NULL END,"
            f" new_sync_id = CASE WHEN {now_failing} AND NOT {was_failing} THEN :s ELSE findings.new_sync_id END",
            p,
        )
        findings_resolved = resolved_by_pass
        if findings_snapshot:
            # a finding about an asset this sync did not re-read (its stream was not COMPLETE) is not resolved
            # by its absence: nothing was judged, so it stays as it was
            unread = (" AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.integration_id = :i"
                      " AND a.uid = findings.resource_uid AND a.gone_at IS NULL AND a.last_sync_id != :s)")
            findings_resolved += one(
                "SELECT COUNT(*) FROM findings WHERE integration_id = :i AND status = 'active'"
                f" AND last_sync_id != :s AND compliance_status IN {failing}" + unread
            )
            db.execute(
                "UPDATE findings SET status = 'resolved', resolved_at = :t,"
                f" resolved_sync_id = CASE WHEN compliance_status IN {failing} THEN :s ELSE resolved_sync_id END"
                " WHERE integration_id = :i AND status = 'active' AND last_sync_id != :s" + unread,
                p,
            )
        return {
            "assets_seen": assets_seen,
            "assets_new": assets_new,
            "assets_gone": assets_gone,
            "findings_seen": findings_seen,
            "findings_new": findings_new,
            "findings_resolved": findings_resolved,
        }

    def _sync_record(self, row: sqlite3.Row) -> SyncRecord:
        return SyncRecord(
            id=row["id"],
            integration_id=row["integration_id"],
            integration=row["integration"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            status=row["status"],
            sync_mode=row["sync_mode"],
            trigger=row["trigger"],
            message=row["message"],
            counts=json.loads(row["counts"] or "{}"),
            records=row["records"],
            assets_seen=row["assets_seen"],
            assets_new=row["assets_new"],
            assets_gone=row["assets_gone"],
            findings_seen=row["findings_seen"],
            findings_new=row["findings_new"],
            findings_resolved=row["findings_resolved"],
            api_requests=row["api_requests"],
            rate_limit_wait_seconds=row["rate_limit_wait_seconds"],
            errors=json.loads(row["errors"] or "[]"),
            stats=json.loads(row["stats"]) if row["stats"] else None,
            owner=row["owner"],
            heartbeat_at=row["heartbeat_at"],
        )

    _SYNC_SELECT = "SELECT s.*, i.name AS integration FROM syncs s JOIN integrations i ON i.id = s.integration_id"

    def get_sync(self, sync_id: int) -> SyncRecord:
        rows = self._q(f"{self._SYNC_SELECT} WHERE s.id = ?", (sync_id,))
        if not rows:
            raise NotFound(f"no sync #{sync_id}")
        return self._sync_record(rows[0])

    def history(self, ref: str | int | None = None, *, limit: int = 50) -> list[SyncRecord]:
        """Syncs newest first (of one integration, or of all)."""
        if ref is None:
            rows = self._q(f"{self._SYNC_SELECT} ORDER BY s.id DESC LIMIT ?", (limit,))
        else:
            integ = self.get_integration(ref)
            rows = self._q(f"{self._SYNC_SELECT} WHERE s.integration_id = ? ORDER BY s.id DESC LIMIT ?", (integ.id, limit))
        return [self._sync_record(r) for r in rows]

    def last_sync(self, integration_id: int, *, applied: bool = False) -> SyncRecord | None:
        cond = " AND s.status IN ('succeeded','partial')" if applied else ""
        rows = self._q(
            f"{self._SYNC_SELECT} WHERE s.integration_id = ?{cond} ORDER BY s.id DESC LIMIT 1", (integration_id,)
        )
        return self._sync_record(rows[0]) if rows else None

    def running_syncs(self) -> list[SyncRecord]:
        return [self._sync_record(r) for r in self._q(f"{self._SYNC_SELECT} WHERE s.status = 'running'")]

    # ---------------------------------------------------------------------------------------- views
    def _integration_filter(self, ref: str | int | None, col: str, where: list[str], params: list[Any]) -> None:
        if ref is not None:
            where.append(f"{col} = ?")
            params.append(self.get_integration(ref).id)

    def _latest_applied(self, ref: str | int | None) -> list[int]:
        integs = [self.get_integration(ref)] if ref is not None else self.list_integrations()
        out = []
        for i in integs:
            last = self.last_sync(i.id, applied=True)
            if last:
                out.append(last.id)
        return out

    def query_findings(
        self,
        integration: str | int | None = None,
        *,
        severity: Iterable[str] | str | None = None,
        status: Iterable[str] | str | None = None,
        check: str | None = None,
        standard: str | None = None,
        new: bool = False,
        resolved: bool = False,
        search: str | None = None,
        limit: int = 100,
        offset: int = 0,
        order: str = "severity",
    ) -> Page:
        """Findings matching the filters.

        ``status``: compliance statuses (pass, warning, fail, manual, unknown) and/or lifecycle (active,
        resolved); default: active findings. ``new``: became failing in the latest applied sync; ``resolved``:
        stopped failing in it (both per integration).
        """
        where: list[str] = []
        params: list[Any] = []
        self._integration_filter(integration, "f.integration_id", where, params)
        statuses = {status} if isinstance(status, str) else set(status or ())
        statuses = {s.strip().lower() for st in statuses for s in st.split(",") if s.strip()}
        lifecycle = statuses & {"active", "resolved"}
        compliance = statuses - lifecycle
        if resolved:
            lifecycle = set()
        elif not lifecycle:
            lifecycle = {"active"}
        if lifecycle and lifecycle != {"active", "resolved"}:
            _where_in(where, params, "f.status", lifecycle)
        if compliance:
            _where_in(where, params, "f.compliance_status", compliance)
        if severity:
            _where_in(where, params, "f.severity_id", _severity_ids(severity))
        if check:
            where.append("f.check_id = ?")
            params.append(check)
        if standard:
            where.append("f.standards LIKE ?")
            params.append(f"%{standard}%")
        if search:
            where.append("(f.title LIKE ? OR f.resource_name LIKE ? OR f.resource_uid = ?)")
            params.extend([f"%{search}%", f"%{search}%", search])
        if new or resolved:
            latest = self._latest_applied(integration)
            marks = ",".join("?" * len(latest)) or "NULL"
            if new:
                where.append(f"f.new_sync_id IN ({marks}) AND f.status = 'active' AND f.compliance_status IN {_FAILING_SQL}")
                params.extend(latest)
            if resolved:
                where.append(f"f.resolved_sync_id IN ({marks})")
                params.extend(latest)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        orders = {
            "severity": "f.severity_id DESC, f.compliance_status = 'pass', f.check_id, f.resource_name, f.id",
            "last_seen": "f.last_seen DESC, f.id",
            "first_seen": "f.first_seen DESC, f.id",
            "check": "f.check_id, f.id",
        }
        if order not in orders:
            raise StoreError(f"unknown order {order!r}; use one of {', '.join(orders)}")
        # Filter, count and order on the covering index alone, then read the page's rows (without the raw
        # finding, which the list does not show).
        base = f"FROM findings f INDEXED BY findings_view{clause}"
        total = self._q(f"SELECT COUNT(*) {base}", params)[0][0]
        rows = self._q(
            f"SELECT {_FINDING_LIST_COLUMNS}, i.name AS integration FROM findings f"
            f" JOIN integrations i ON i.id = f.integration_id"
            f" WHERE f.id IN (SELECT f.id {base} ORDER BY {orders[order]} LIMIT ? OFFSET ?) ORDER BY {orders[order]}",
            (*params, limit, offset),
        )
        return Page([self._finding_row(r, full=False) for r in rows], total, limit, offset)

    @staticmethod
    def _finding_row(row: sqlite3.Row, *, full: bool) -> dict[str, Any]:
        d = {
            "id": row["id"],
            "integration": row["integration"],
            "uid": row["uid"],
            "check_id": row["check_id"],
            "title": row["title"],
            "severity_id": row["severity_id"],
            "severity": SEVERITIES.get(row["severity_id"], "other"),
            "compliance_status": row["compliance_status"],
            "status": row["status"],
            "standards": [s for s in (row["standards"] or "").split("\n") if s],
            "resource": {"type": row["resource_type"], "uid": row["resource_uid"], "name": row["resource_name"]},
            "first_seen": row["first_seen"],
            "last_seen": row["last_seen"],
            "first_sync_id": row["first_sync_id"],
            "last_sync_id": row["last_sync_id"],
            "failing_since": row["failing_since"],
            "new_sync_id": row["new_sync_id"],
            "resolved_at": row["resolved_at"],
            "resolved_sync_id": row["resolved_sync_id"],
        }
        if full:
            d["finding"] = json.loads(row["data"])
        return d

    def _by_ref(self, table: str, ref: int | str, uid_order: str) -> sqlite3.Row:
        """One row of ``findings`` or ``assets`` (alias: its initial) with its integration's name: by row id
        when ``ref`` is all digits and such a row exists, otherwise the first by uid in ``uid_order``."""
        a = table[0]
        sel = (f"SELECT {a}.*, i.name AS integration FROM {table} {a}"
               f" JOIN integrations i ON i.id = {a}.integration_id")
        rows = self._q(f"{sel} WHERE {a}.id = ?", (int(ref),)) if str(ref).isdigit() else []
        rows = rows or self._q(f"{sel} WHERE {a}.uid = ? ORDER BY {uid_order} LIMIT 1", (str(ref),))
        if not rows:
            raise NotFound(f"no {table[:-1]} {ref!r}")
        return rows[0]

    def finding(self, ref: int | str) -> dict[str, Any]:
        """One finding in full, by row id or by ``finding_info.uid``."""
        return self._finding_row(self._by_ref("findings", ref, "f.id"), full=True)

    def findings_summary(self, integration: str | int | None = None) -> dict[str, Any]:
        """Counts of active findings by compliance status and, for failing ones, by severity."""
        where = ["f.status = 'active'"]
        params: list[Any] = []
        self._integration_filter(integration, "f.integration_id", where, params)
        clause = " AND ".join(where)
        by_status = {
            r[0]: r[1]
            for r in self._q(f"SELECT compliance_status, COUNT(*) FROM findings f INDEXED BY findings_view WHERE {clause} GROUP BY 1", params)
        }
        by_sev = {
            SEVERITIES.get(r[0], "other"): r[1]
            for r in self._q(
                f"SELECT severity_id, COUNT(*) FROM findings f INDEXED BY findings_view WHERE {clause}"
                f" AND compliance_status IN {_FAILING_SQL}"
                " GROUP BY 1 ORDER BY 1 DESC",
                params,
            )
        }
        return {"by_status": by_status, "failing_by_severity": by_sev, "failing": sum(by_sev.values())}

    def query_assets(
        self,
        integration: str | int | None = None,
        *,
        type: str | None = None,
        search: str | None = None,
        include_gone: bool = False,
        gone: bool = False,
        limit: int = 100,
        offset: int = 0,
        count: bool = True,
    ) -> Page:
        """Assets by type and name (``search`` matches name or uid, case-insensitive substring)."""
        where: list[str] = []
        params: list[Any] = []
        self._integration_filter(integration, "a.integration_id", where, params)
        if gone:
            where.append("a.gone_at IS NOT NULL")
        elif not include_gone:
            where.append("a.gone_at IS NULL")
        if type:
            where.append("a.type = ?")
            params.append(type)
        if search:
            if len(search) >= 3:  # the trigram index answers substring searches of 3+ characters
                where.append("a.id IN (SELECT rowid FROM assets_fts WHERE name LIKE ? UNION"
                             " SELECT id FROM assets WHERE uid = ?)")
            else:
                where.append("(a.name LIKE ? OR a.uid = ?)")
            params.extend([f"%{search}%", search])
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        # Filter, count and order on an index alone (assets_live, assets_by_type_name or the name search), then
        # read the page's rows: their columns after ``data`` would otherwise cost every raw object's pages.
        order_by = "ORDER BY a.type, a.name COLLATE NOCASE, a.id"
        rows = self._q(
            f"SELECT a.id, a.type, a.uid, a.name, a.class_uid, a.stream, a.first_seen, a.last_seen, a.gone_at,"
            f" a.first_sync_id, a.last_sync_id, i.name AS integration"
            f" FROM assets a JOIN integrations i ON i.id = a.integration_id"
            f" WHERE a.id IN (SELECT a.id FROM assets a{clause} {order_by} LIMIT ? OFFSET ?) {order_by}",
            (*params, limit, offset),
        )
        total = self._q(f"SELECT COUNT(*) FROM assets a{clause}", params)[0][0] if count else -1
        return Page([self._asset_row(r, full=False) for r in rows], total, limit, offset)

    @staticmethod
    def _asset_row(row: sqlite3.Row, *, full: bool) -> dict[str, Any]:
        d = {
            "id": row["id"],
            "integration": row["integration"],
            "type": row["type"],
            "uid": row["uid"],
            "name": row["name"],
            "class_uid": row["class_uid"],
            "stream": row["stream"],
            "first_seen": row["first_seen"],
            "last_seen": row["last_seen"],
            "gone": row["gone_at"] is not None,
            "gone_at": row["gone_at"],
            "first_sync_id": row["first_sync_id"],
            "last_sync_id": row["last_sync_id"],
        }
        if full:
            d["asset"] = json.loads(row["data"])
        return d

    def asset(self, ref: int | str) -> dict[str, Any]:
        """One asset in full (by row id or uid) with its relationships and the active findings on it."""
        row = self._by_ref("assets", ref, "a.gone_at IS NOT NULL, a.id")
        d = self._asset_row(row, full=True)
        integ, uid = row["integration_id"], row["uid"]
        rels = self._q(
            "SELECT r.relation, r.from_type, r.from_uid, r.to_type, r.to_uid, r.attributes,"
            " (SELECT name FROM assets x WHERE x.integration_id = r.integration_id AND x.uid = r.from_uid LIMIT 1)"
            " AS from_name,"
            " (SELECT name FROM assets x WHERE x.integration_id = r.integration_id AND x.uid = r.to_uid LIMIT 1)"
            " AS to_name FROM relationships r WHERE r.id IN (SELECT id FROM relationships WHERE from_uid = ?"
            " AND integration_id = ? UNION SELECT id FROM relationships WHERE to_uid = ? AND integration_id = ?)"
            " ORDER BY r.relation, r.id LIMIT 1000",
            (uid, integ, uid, integ),
        )
        d["relationships"] = [
            {
                "relation": r["relation"],
                "direction": "out" if r["from_uid"] == uid else "in",
                "from": {"type": r["from_type"], "uid": r["from_uid"], "name": r["from_name"]},
                "to": {"type": r["to_type"], "uid": r["to_uid"], "name": r["to_name"]},
                "attributes": json.loads(r["attributes"]) if r["attributes"] else None,
            }
            for r in rels
        ]
        d["findings"] = [
            {"id": r["id"], "title": r["title"], "severity": SEVERITIES.get(r["severity_id"], "other"),
             "compliance_status": r["compliance_status"], "check_id": r["check_id"]}
            for r in self._q(
                "SELECT id, title, severity_id, compliance_status, check_id FROM findings INDEXED BY findings_by_resource"
                " WHERE resource_uid = ? AND integration_id = ? AND status = 'active' ORDER BY severity_id DESC, id",
                (uid, integ),
            )
        ]
        return d

    def asset_counts(self, integration: str | int | None = None, *, include_gone: bool = False) -> dict[str, int]:
        where: list[str] = []
        params: list[Any] = []
        self._integration_filter(integration, "integration_id", where, params)
        if not include_gone:
            where.append("gone_at IS NULL")
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        return {r[0]: r[1] for r in self._q(f"SELECT type, COUNT(*) FROM assets{clause} GROUP BY type ORDER BY type", params)}

    # ---------------------------------------------------------------------------------------- exceptions (issue 16)
    # Exceptions to findings: accept a risk, call a result a false positive, or suppress a check, for one check of an
    # integration (every object, or one). They are kept apart from the findings, so re-syncs never touch them; an
    # exception is revoked, never deleted, and stops applying by itself at its expiry. The views (connector_host
    # .posture) leave excepted results out of the counts and list them under their own filter.

    EXCEPTION_KINDS = ("accepted_risk", "false_positive", "suppressed")

    def add_exception(
        self,
        integration: str | int,
        check_id: str,
        *,
        kind: str,
        reason: str,
        author: str,
        resource_uid: str | None = None,
        resource_name: str | None = None,
        expires_at: int | None = None,
    ) -> dict[str, Any]:
        """Record an exception; :class:`StoreError` when a field is missing or the expiry is past."""
        integ = self.get_integration(integration)
        problems = []
        if kind not in self.EXCEPTION_KINDS:
            problems.append(f"kind must be one of {', '.join(self.EXCEPTION_KINDS)}")
        if not (check_id or "").strip():
            problems.append("a check is required")
        if not (reason or "").strip():
            problems.append("a reason is required")
        if not (author or "").strip():
            problems.append("an author is required")
        t = now_ms()
        if expires_at is not None and expires_at <= t:
            problems.append("the expiry must be in the future")
        if problems:
            raise StoreError("cannot record the exception: " + "; ".join(problems))
        with self._tx() as db:
            db.execute(
                "INSERT INTO finding_exceptions (integration_id, check_id, resource_uid, resource_name, kind, reason,"
                " author, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (integ.id, check_id.strip(), resource_uid or None, resource_name or None, kind, reason.strip(),
                 author.strip(), t, expires_at),
            )
            row = db.execute(
                "SELECT MAX(id) FROM finding_exceptions WHERE integration_id = ? AND created_at = ?", (integ.id, t)
            ).fetchone()
        return self.get_exception(int(row[0]))

    def get_exception(self, exception_id: int) -> dict[str, Any]:
        rows = self._q(
            "SELECT e.*, i.name AS integration FROM finding_exceptions e JOIN integrations i ON i.id = e.integration_id"
            " WHERE e.id = ?", (exception_id,),
        )
        if not rows:
            raise NotFound(f"no exception #{exception_id}")
        return {k: rows[0][k] for k in rows[0].keys()}

    def revoke_exception(self, exception_id: int, *, by: str) -> dict[str, Any]:
        """End an exception now (kept, with who ended it, for the findings' history)."""
        current = self.get_exception(exception_id)
        if current["revoked_at"] is not None:
            raise StoreError(f"exception #{exception_id} was revoked already")
        with self._tx() as db:
            db.execute("UPDATE finding_exceptions SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                       (now_ms(), (by or "").strip() or "unknown", exception_id))
        return self.get_exception(exception_id)


_FAILING_SQL = "('fail','warning')"
_FINDING_LIST_COLUMNS = ", ".join(
    f"f.{c}" for c in (
        "id", "uid", "check_id", "title", "severity_id", "compliance_status", "status", "standards", "resource_type",
        "resource_uid", "resource_name", "first_seen", "last_seen", "first_sync_id", "last_sync_id",
        "failing_since", "new_sync_id", "resolved_at", "resolved_sync_id",
    )
)


_SEVERITY_CHOICES = ("critical", "high", "medium", "low", "informational", "unknown")
