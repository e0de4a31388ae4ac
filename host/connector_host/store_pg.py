"""The store on PostgreSQL: a dialect layer under the store's SQL, so :class:`connector_host.store.Store` runs
unchanged on either backend.

:func:`connect` returns a :class:`PgConnection`, which gives a psycopg 3 connection the part of the
``sqlite3.Connection`` API the store uses (``execute`` / ``executemany`` returning a cursor with ``fetchone``,
``fetchall``, iteration, ``rowcount`` and ``lastrowid``; rows readable by index and by column name;
``in_transaction``; ``close``) and translates the SQLite dialect the store speaks:

* placeholders ``?`` and ``:name`` become ``%s`` and ``%(name)s`` (a literal ``%`` is escaped);
* ``BEGIN IMMEDIATE`` opens a transaction holding a transaction-scoped advisory lock of the store, so write
  transactions are serialised as SQLite serialises them (readers never wait: MVCC); a plain ``BEGIN`` takes no
  lock;
* ``INSERT OR IGNORE`` becomes ``ON CONFLICT DO NOTHING``; ``INSERT OR REPLACE`` an upsert on the table's
  primary key; an ``INSERT ... VALUES`` into a table with an ``id`` column returns it (``lastrowid``);
* ``LIKE`` is case-insensitive as in SQLite (``ILIKE``); ``x COLLATE NOCASE`` is ``lower(x)`` (the PostgreSQL
  schema indexes ``lower(name)``); ``INDEXED BY`` hints are dropped; the FTS5 table ``<table>_fts`` reads as
  ``<table>`` itself (PostgreSQL answers ``name ILIKE '%...%'`` with a trigram index); ``json_extract(x,
  '$.a.b')`` is ``x::jsonb #>> '{a,b}'``; ``IFNULL`` is ``COALESCE``; ``sqlite_master`` lists the schema's
  tables and indexes;
* PRAGMAs: ``foreign_keys`` reads 1 (PostgreSQL always enforces them), ``foreign_key_check`` finds nothing
  (nothing can break them), ``table_info(t)`` lists columns, the others are no-ops;
* DDL of a migration without PostgreSQL text (:func:`ddl`): ``INTEGER PRIMARY KEY`` is an identity column,
  ``INTEGER`` is ``BIGINT`` (epoch milliseconds), ``REAL`` is ``DOUBLE PRECISION``.

Errors are raised as subclasses of the matching ``sqlite3`` exceptions (``IntegrityError``,
``OperationalError``, ``DatabaseError``), with psycopg's as their cause, so the store's handling holds for both.
A connection the server dropped is reopened on the next statement outside a transaction; a transaction cut by
the drop is rolled back by the server, and its ``ROLLBACK`` here is a no-op.

A store URL is ``postgresql://user[:password]@host[:port]/database[?schema=NAME&...]``; the store's tables live
in the schema ``NAME`` (default ``connector_host``, created when missing), the other query parameters go to
libpq. The store's :func:`connector_host.store.migrate` applies the migrations through this layer in one
transaction (DDL is transactional in PostgreSQL) under the store's advisory lock, with each migration's
``postgresql`` text, or its SQLite DDL translated (:func:`migration_script`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DEFAULT_SCHEMA = "connector_host"
DIALECT = "postgresql"


# ------------------------------------------------------------------------------------------------ URLs


def is_postgres(location: object) -> bool:
    text = str(location)
    return any(text.startswith(f"{s}://") for s in PG_SCHEMES)


def parse_location(location: object) -> tuple[str, str]:
    """``("sqlite", path)`` or ``("postgresql", url)`` for a store given as a path or a URL.

    A plain path and ``sqlite:///path`` (``sqlite:////abs/path`` or ``sqlite:///rel/path``) are SQLite files;
    ``postgresql://...`` (or ``postgres://``) is PostgreSQL. Another scheme is an error.
    """
    text = str(location)
    if is_postgres(text):
        return DIALECT, text
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://"):]
        if rest.startswith("/"):
            rest = rest[1:]  # sqlite:///rel -> rel, sqlite:////abs -> /abs
        if not rest:
            raise ValueError("a sqlite store URL names a file: sqlite:///path/to/store.db")
        return "sqlite", rest
    scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", text)
    if scheme:
        raise ValueError(
            f"unknown store URL scheme {scheme.group(1)!r}: give a file path, sqlite:///PATH or postgresql://..."
        )
    return "sqlite", text


def split_url(url: str) -> tuple[str, str]:
    """The libpq URL (scheme ``postgresql``, without our ``schema`` parameter) and the schema name."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = DEFAULT_SCHEMA
    rest = []
    for k, v in query:
        if k == "schema":
            schema = v
        else:
            rest.append((k, v))
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
        raise ValueError(f"the store URL's schema must be a plain SQL name (letters, digits, _), not {schema!r}")
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(rest), "")), schema


def mask_url(url: str) -> str:
    """The URL without its password (for messages, logs and ``Store.path``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def lock_key(schema: str) -> int:
    """The advisory lock key of one store (a signed 64-bit integer derived from its schema)."""
    return int.from_bytes(hashlib.blake2b(f"connector_host:{schema}".encode(), digest_size=8).digest(), "big",
                          signed=True)


# ------------------------------------------------------------------------------------------------ errors


class PgDatabaseError(sqlite3.DatabaseError):
    """A PostgreSQL error, as the store's ``sqlite3`` handling expects it."""


class PgIntegrityError(sqlite3.IntegrityError):
    pass


class PgOperationalError(sqlite3.OperationalError):
    pass


def _translate_error(e: Exception) -> sqlite3.Error:
    import psycopg

    text = str(e).strip() or type(e).__name__
    if isinstance(e, psycopg.errors.IntegrityError):
        out: sqlite3.Error = PgIntegrityError(text)
    elif isinstance(e, psycopg.OperationalError | psycopg.errors.OperationalError | psycopg.InterfaceError):
        out = PgOperationalError(text)
    else:
        out = PgDatabaseError(text)
    out.sqlstate = getattr(e, "sqlstate", None)  # type: ignore[attr-defined]
    return out


# ------------------------------------------------------------------------------------------------ rows


class Row(tuple):  # type: ignore[type-arg]
    """A result row readable by index and by column name (like ``sqlite3.Row``)."""

    __slots__ = ()
    _index: dict[str, int] = {}
    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                lowered = {k.lower(): v for k, v in self._index.items()}
                if key.lower() in lowered:
                    return tuple.__getitem__(self, lowered[key.lower()])
                raise IndexError(f"no such column: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


_row_classes: dict[tuple[str, ...], type[Row]] = {}
_row_classes_lock = threading.Lock()


def _row_class(names: tuple[str, ...]) -> type[Row]:
    cls = _row_classes.get(names)
    if cls is None:
        with _row_classes_lock:
            cls = _row_classes.get(names)
            if cls is None:
                cls = type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)},
                                           "_names": names})
                _row_classes[names] = cls
    return cls


def _row_factory(cursor: Any) -> Any:
    desc = cursor.description
    if desc is None:
        return lambda values: values
    cls = _row_class(tuple(c.name for c in desc))
    return lambda values: cls(values)


class Cursor:
    """What ``execute`` returns: rows already fetched, ``rowcount`` and ``lastrowid``."""

    def __init__(self, rows: list[Any] | None = None, rowcount: int = -1, lastrowid: int | None = None,
                 description: Any = None):
        self._rows = rows or []
        self._pos = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.description = description

    def fetchone(self) -> Any:
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return row

    def fetchall(self) -> list[Any]:
        rows = self._rows[self._pos:]
        self._pos = len(self._rows)
        return rows

    def fetchmany(self, size: int = 1) -> list[Any]:
        rows = self._rows[self._pos:self._pos + size]
        self._pos += len(rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def close(self) -> None:
        self._rows = []


# ------------------------------------------------------------------------------------------------ SQL text


_TOKEN = re.compile(r"""('(?:[^']|'')*')|("(?:[^"]|"")*")|(--[^\n]*)|(/\*.*?\*/)""", re.S)


def _split_code(sql: str) -> list[tuple[bool, str]]:
    """``sql`` cut into (is_code, text) pieces: string literals, quoted names and comments are not code."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _TOKEN.finditer(sql):
        if m.start() > pos:
            out.append((True, sql[pos:m.start()]))
        out.append((False, m.group(0)))
        pos = m.end()
    if pos < len(sql):
        out.append((True, sql[pos:]))
    return out


def _map_code(sql: str, fn: Any) -> str:
    return "".join(fn(text) if code else text for code, text in _split_code(sql))


_SQLITE_MASTER = (
    "(SELECT table_name::text AS name, table_name::text AS tbl_name,"
    " CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS type FROM information_schema.tables"
    " WHERE table_schema = current_schema() UNION ALL SELECT indexname::text, tablename::text, 'index'"
    " FROM pg_indexes WHERE schemaname = current_schema()) AS sqlite_master"
)


def _json_extract(sql: str) -> str:
    """``json_extract(expr, '$.a.b')`` -> ``((expr)::jsonb #>> '{a,b}')`` (paths of plain keys and [n])."""
    out = []
    i = 0
    low = sql.lower()
    while True:
        j = low.find("json_extract(", i)
        if j < 0:
            out.append(sql[i:])
            return "".join(out)
        out.append(sql[i:j])
        k = j + len("json_extract(")
        depth, start = 1, k
        comma = -1
        while k < len(sql) and depth:
            ch = sql[k]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 1:
                comma = k
            elif ch == "'":
                k = sql.index("'", k + 1)
            k += 1
        if comma < 0:
            raise ValueError(f"json_extract without a path: {sql[j:k]}")
        expr, path = sql[start:comma], sql[comma + 1:k - 1].strip()
        m = re.fullmatch(r"'\$((?:\.[A-Za-z0-9_]+|\[\d+\])*)'", path)
        if not m:
            raise ValueError(f"json_extract path {path} is not supported on PostgreSQL")
        keys = re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", m.group(1))
        pg_path = ",".join(a or b for a, b in keys)
        out.append(f"(({_json_extract(expr)})::jsonb #>> '{{{pg_path}}}')")
        i = k


def _code_rewrites(text: str) -> str:
    text = re.sub(r"\bINDEXED\s+BY\s+\w+", "", text, flags=re.I)
    text = re.sub(r"\bNOT\s+INDEXED\b", "", text, flags=re.I)
    text = re.sub(r"([\w.]+)\s+COLLATE\s+NOCASE\b", r"lower(\1)", text, flags=re.I)
    text = re.sub(r"\bSELECT\s+rowid\s+FROM\s+(\w+)_fts\b", r"SELECT id FROM \1", text, flags=re.I)
    text = re.sub(r"\bsqlite_master\b|\bsqlite_schema\b", _SQLITE_MASTER, text, flags=re.I)
    text = re.sub(r"(?<![\w.])IFNULL\s*\(", "COALESCE(", text, flags=re.I)
    text = re.sub(r"\bAS\s+INTEGER\s*\)", "AS BIGINT)", text, flags=re.I)
    text = re.sub(r"(?<![\w.])LIKE\b", "ILIKE", text, flags=re.I)
    return text


def _placeholders(text: str) -> str:
    text = text.replace("%", "%%")
    text = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", text)
    return text.replace("?", "%s")


# ------------------------------------------------------------------------------------------------ catalog


class Catalog:
    """The columns and primary keys of the store schema's tables (read once; reread after DDL)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[str]] = {}
        self.primary: dict[str, list[str]] = {}
        self.loaded = False

    def load(self, conn: Any) -> None:
        cols: dict[str, list[str]] = {}
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " ORDER BY table_name, ordinal_position"
        ).fetchall():
            cols.setdefault(table, []).append(column)
        pk: dict[str, list[str]] = {}
        for table, column in conn.execute(
            "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
            " WHERE i.indisprimary AND n.nspname = current_schema() ORDER BY c.relname, k.ord"
        ).fetchall():
            pk.setdefault(table, []).append(column)
        self.columns, self.primary, self.loaded = cols, pk, True


_INSERT = re.compile(
    r"^\s*(?:INSERT\s+OR\s+(?P<or>IGNORE|REPLACE)|(?P<replace>REPLACE)|INSERT)\s+INTO\s+(?P<table>\w+)"
    r"\s*(?P<cols>\([^)]*\))?\s*(?P<rest>.*)$",
    re.I | re.S,
)


class Translation:
    __slots__ = ("sql", "kind", "returning_id", "pragma")

    def __init__(self, sql: str, kind: str = "sql", returning_id: bool = False, pragma: str | None = None):
        self.sql, self.kind, self.returning_id, self.pragma = sql, kind, returning_id, pragma


def translate(sql: str, catalog: Catalog | None = None) -> Translation:
    """The PostgreSQL statement for one SQLite statement of the store (see the module docstring)."""
    stripped = sql.strip().rstrip(";").strip()
    head = stripped[:40].upper()
    words = head.split()
    first = words[0] if words else ""
    if first == "BEGIN":
        mode = words[1] if len(words) > 1 else ""
        return Translation("BEGIN", "begin", pragma="lock" if mode in ("IMMEDIATE", "EXCLUSIVE") else None)
    if first in ("COMMIT", "END"):
        return Translation("COMMIT", "commit")
    if first == "ROLLBACK" and "TO" not in words:
        return Translation("ROLLBACK", "rollback")
    if first == "PRAGMA":
        m = re.match(r"PRAGMA\s+(\w+)\s*(?:\(\s*['\"]?(\w+)['\"]?\s*\)|=\s*(\S+))?", stripped, re.I)
        name = (m.group(1) if m else "").lower()
        arg = (m.group(2) or m.group(3)) if m else None
        return Translation("", "pragma", pragma=f"{name}:{arg or ''}")
    if first == "ANALYZE" and len(words) == 1:
        return Translation("ANALYZE", "sql")
    code = _map_code(stripped, _code_rewrites)
    if "json_extract" in code.lower():
        code = _json_extract(code)
    returning = False
    m = _INSERT.match(code)
    if m:
        table, cols, rest = m.group("table"), m.group("cols"), m.group("rest")
        how = (m.group("or") or m.group("replace") or "").upper()
        body = f"INSERT INTO {table} {cols or ''} {rest}".replace("  ", " ")
        if how == "IGNORE":
            body += " ON CONFLICT DO NOTHING"
        elif how == "REPLACE":
            if catalog is None or table not in catalog.primary:
                raise LookupError(table)
            pk = catalog.primary[table]
            names = ([c.strip().strip('"') for c in cols.strip("()").split(",")] if cols
                     else catalog.columns.get(table, []))
            sets = [c for c in names if c not in pk]
            body += f" ON CONFLICT ({', '.join(pk)}) " + (
                "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in sets) if sets else "DO NOTHING")
        if (re.match(r"\s*VALUES\b", rest, re.I) and " RETURNING " not in rest.upper()
                and catalog is not None and "id" in catalog.columns.get(table, ())):
            body += " RETURNING id"
            returning = True
        code = body
    sql_text = "".join(_placeholders(text) if is_code else text.replace("%", "%%")
                       for is_code, text in _split_code(code))
    return Translation(sql_text, "sql", returning_id=returning)


# DDL of a migration that has no PostgreSQL text of its own.
def ddl(script: str) -> str:
    """A SQLite migration script's DDL in PostgreSQL (tables, columns, indexes; no virtual tables or triggers)."""

    def rewrite(text: str) -> str:
        text = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b",
                      "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", text, flags=re.I)
        text = re.sub(r"\bINTEGER\b", "BIGINT", text, flags=re.I)
        text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", text, flags=re.I)
        text = re.sub(r"\bBLOB\b", "BYTEA", text, flags=re.I)
        text = re.sub(r"\)\s*WITHOUT\s+ROWID\b", ")", text, flags=re.I)
        text = re.sub(r"\)\s*STRICT\b", ")", text, flags=re.I)
        text = re.sub(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b([^;]*)", r"INSERT INTO\1 ON CONFLICT DO NOTHING", text,
                      flags=re.I)
        text = re.sub(r"([\w.]+)\s+COLLATE\s+NOCASE\b", r"lower(\1)", text, flags=re.I)
        if re.search(r"\bCREATE\s+(VIRTUAL\s+TABLE|TRIGGER)\b", text, re.I):
            raise LookupError("virtual tables and triggers need a migration's own postgresql text")
        return text

    return _map_code(script, rewrite)


def statements(script: str) -> list[str]:
    """A PostgreSQL script's statements (``;`` outside literals, comments and ``$$`` bodies ends one)."""
    out, current = [], []
    dollar = False
    for code, text in _split_code(script):
        if not code:
            current.append(text)
            continue
        pieces = re.split(r"(;|\$\$)", text)
        for p in pieces:
            if p == "$$":
                dollar = not dollar
                current.append(p)
            elif p == ";" and not dollar:
                stmt = "".join(current).strip()
                if stmt and _has_code(stmt):
                    out.append(stmt)
                current = []
            else:
                current.append(p)
    stmt = "".join(current).strip()
    if stmt and _has_code(stmt):
        out.append(stmt)
    return out


def _has_code(stmt: str) -> bool:
    return any(code and text.strip() for code, text in _split_code(stmt))


# ------------------------------------------------------------------------------------------------ connection

_catalogs: dict[tuple[str, str], Catalog] = {}
_catalogs_lock = threading.Lock()


class PgConnection:
    """A psycopg connection with the part of the ``sqlite3.Connection`` API the store uses."""

    dialect = DIALECT

    def __init__(self, url: str, *, connect_timeout: float = 10.0):
        self.url = url
        self.libpq_url, self.schema = split_url(url)
        self.lock_key = lock_key(self.schema)
        self.connect_timeout = connect_timeout
        self.row_factory: Any = None  # accepted and ignored (rows are always by index and name)
        with _catalogs_lock:
            self.catalog = _catalogs.setdefault((self.libpq_url, self.schema), Catalog())
        self._translations: dict[str, Translation] = {}
        self._tx = False
        self._pg: Any = None
        self._open()

    # ---- plumbing
    def _open(self) -> None:
        import psycopg

        try:
            conn = psycopg.connect(self.libpq_url, autocommit=True, connect_timeout=int(self.connect_timeout),
                                   application_name="connector-host")
        except psycopg.Error as e:
            raise _translate_error(e) from e
        conn.row_factory = _row_factory
        _register_numeric(conn)
        try:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"') if not _schema_exists(conn, self.schema) \
                else None
            conn.execute(f'SET search_path TO "{self.schema}", public')
        except psycopg.errors.UniqueViolation:  # two processes created it at once
            conn.execute(f'SET search_path TO "{self.schema}", public')
        except psycopg.Error as e:
            conn.close()
            raise _translate_error(e) from e
        self._pg = conn
        self._tx = False

    @property
    def broken(self) -> bool:
        return self._pg is None or self._pg.closed or bool(getattr(self._pg, "broken", False))

    @property
    def in_transaction(self) -> bool:
        return self._tx and not self.broken

    @property
    def total_changes(self) -> int:  # pragma: no cover - sqlite3 API completeness
        return 0

    def close(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()
            except Exception:  # noqa: BLE001 - closing a dead connection
                pass

    def backend_pid(self) -> int | None:
        return None if self.broken else int(self._pg.info.backend_pid)

    def _translation(self, sql: str) -> Translation:
        t = self._translations.get(sql)
        if t is None:
            if not self.catalog.loaded:
                self.catalog.load(self._pg)
            try:
                t = translate(sql, self.catalog)
            except LookupError:
                self.catalog.load(self._pg)
                t = translate(sql, self.catalog)
            if len(self._translations) > 4096:
                self._translations.clear()
            self._translations[sql] = t
        return t

    def _schema_changed(self) -> None:
        self.catalog.loaded = False
        self._translations.clear()

    # ---- sqlite3 API
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
        import psycopg

        if self.broken:
            if self._tx:  # the server rolled the transaction back with the connection
                self._tx = False
                if sql.strip().upper().startswith("ROLLBACK"):
                    return Cursor()
                raise PgOperationalError("the connection to PostgreSQL was lost; the transaction was rolled back")
            self._open()
        t = self._translation(sql)
        try:
            if t.kind == "begin":
                self._pg.execute("BEGIN")
                self._tx = True
                if t.pragma == "lock":
                    self._pg.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))
                return Cursor()
            if t.kind in ("commit", "rollback"):
                self._tx = False
                self._pg.execute(t.sql)
                return Cursor()
            if t.kind == "pragma":
                return self._pragma(t.pragma or ":")
            cur = self._pg.execute(t.sql, _params(params))
            rows = cur.fetchall() if cur.description is not None else []
            lastrowid = None
            if t.returning_id:
                lastrowid = rows[-1][0] if rows else None
                rows = []
            if re.match(r"\s*(CREATE|ALTER|DROP)\b", t.sql, re.I):
                self._schema_changed()
            return Cursor(rows, cur.rowcount, lastrowid, cur.description)
        except psycopg.Error as e:
            if self.broken:
                self._tx = False
            raise _translate_error(e) from e

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | Mapping[str, Any]]) -> Cursor:
        import psycopg

        items = [_params(p) for p in seq]
        if not items:
            return Cursor(rowcount=0)
        if self.broken:
            raise PgOperationalError("the connection to PostgreSQL was lost")
        t = self._translation(sql)
        sql_text = t.sql
        if t.returning_id:
            sql_text = sql_text[: -len(" RETURNING id")]
        try:
            with self._pg.cursor() as cur:
                cur.executemany(sql_text, items)
                return Cursor(rowcount=cur.rowcount)
        except psycopg.Error as e:
            if self.broken:
                self._tx = False
            raise _translate_error(e) from e

    def executescript(self, script: str) -> None:
        for stmt in statements(script):
            self.execute(stmt)

    def commit(self) -> None:
        if self._tx:
            self.execute("COMMIT")

    def rollback(self) -> None:
        if self._tx:
            self.execute("ROLLBACK")

    def _pragma(self, spec: str) -> Cursor:
        name, _, arg = spec.partition(":")
        if name == "foreign_keys" and not arg:
            return Cursor([(1,)])
        if name == "table_info" and arg:
            rows = self._pg.execute(
                "SELECT c.ordinal_position - 1, c.column_name::text, c.data_type::text,"
                " (c.is_nullable = 'NO')::int, c.column_default::text, 0"
                " FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.table_name = %s"
                " ORDER BY c.ordinal_position", (arg,)).fetchall()
            pk = self.catalog.primary.get(arg) if self.catalog.loaded else None
            if pk is None:
                self.catalog.load(self._pg)
                pk = self.catalog.primary.get(arg, [])
            cls = _row_class(("cid", "name", "type", "notnull", "dflt_value", "pk"))
            return Cursor([cls((*r[:5], pk.index(r[1]) + 1 if r[1] in pk else 0)) for r in rows])
        return Cursor()  # journal_mode, synchronous, busy_timeout, analysis_limit, foreign_key_check, ...


def _params(params: Any) -> Any:
    if params is None:
        return ()
    if isinstance(params, Mapping):
        return dict(params)
    return tuple(params)


def _schema_exists(conn: Any, schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


_numeric_loader: Any = None


def _register_numeric(conn: Any) -> None:
    """SUM() and AVG() of integers are ``numeric`` in PostgreSQL: read them as int (or float), as SQLite gives."""
    global _numeric_loader
    if _numeric_loader is None:
        from psycopg.adapt import Loader

        class NumericLoader(Loader):
            def load(self, data: Any) -> Any:
                text = bytes(data).decode()
                try:
                    return int(text)
                except ValueError:
                    return float(text)

        _numeric_loader = NumericLoader
    conn.adapters.register_loader("numeric", _numeric_loader)


def connect(url: str) -> PgConnection:
    return PgConnection(url)


# ------------------------------------------------------------------------------------------------ migrations


def migration_script(m: Any) -> str:
    """A migration's PostgreSQL text: its own, else its SQLite DDL translated (:func:`ddl`)."""
    if DIALECT in m.sql:
        return str(m.sql[DIALECT])
    if not m.sql:
        return ""
    try:
        return ddl(m.script("sqlite"))
    except LookupError as e:
        raise LookupError(f"schema migration {m.version} ({m.name}) has no {DIALECT} SQL: {e}") from None


