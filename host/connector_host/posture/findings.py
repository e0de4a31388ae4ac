"""Findings as an admin works them: what fails first, then what could not be evaluated; passed results on their own.

A *view* is a tab of the Finding View and a ``--view`` of ``connector-host findings``: the default, ``open``,
lists failing results (``fail``, ``warning``) first, then those not evaluated (``unknown``: the data could not
be read; ``manual``: the API cannot answer, look by hand). ``passed`` holds the passes; ``resolved`` what
stopped failing; ``all`` everything active.

The SQL is portable (``?`` placeholders, standard SQL): the PostgreSQL backend runs the same text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..store import SEVERITIES, SEVERITY_IDS, Page, Store, StoreError, now_ms
from .assets import display_name
from .exceptions import attach as attach_exceptions
from .snapshot import EXCEPTED_SQL

FAILING = ("fail", "warning")
NOT_EVALUATED = ("unknown", "manual")
RESULTS = ("fail", "warning", "unknown", "manual", "pass")
RESULT_LABELS = {"fail": "fail", "warning": "warning", "unknown": "not evaluated", "manual": "manual",
                 "pass": "pass", "excepted": "excepted"}
EXCEPTABLE = ("fail", "warning", "unknown", "manual")  # a pass is never excepted: it passes
RESULT_RANK = {"fail": 6, "warning": 5, "unknown": 4, "manual": 3, "excepted": 2, "pass": 1}
SEVERITY_NAMES = ("critical", "high", "medium", "low", "informational")
# Resource types naming the whole tenant: a check's aggregate result (e.g. "26 of 39 admins ...") is about it.
ORG_TYPES = ("org", "organization", "tenant")


@dataclass(frozen=True)
class View:
    key: str
    label: str
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, result statuses), listed in this order
    lifecycle: str = "active"  # "active", "resolved" or "any"
    help: str = ""
    excepted: bool | None = False  # False: leave excepted results out; True: only them; None: both


VIEWS: dict[str, View] = {
    v.key: v
    for v in (
        View("open", "Needs attention", (("Failing", FAILING), ("Not evaluated", NOT_EVALUATED)),
             help="failing results (fail, warning) first, then those not evaluated (unknown, manual)"),
        View("failing", "Failing", (("Failing", FAILING),), help="fail and warning"),
        View("not_evaluated", "Not evaluated", (("Not evaluated", NOT_EVALUATED),),
             help="unknown (the data could not be read) and manual (look in the Admin Console)"),
        View("passed", "Passed", (("Passed", ("pass",)),), help="passing results", excepted=None),
        View("excepted", "Excepted", (("Excepted", EXCEPTABLE),), excepted=True,
             help="results under an exception (accepted risk, false positive, suppressed): out of the counts"),
        View("resolved", "Resolved", (("Resolved", RESULTS),), lifecycle="resolved", excepted=None,
             help="stopped failing, or no longer reported by a complete sync"),
        View("all", "All results", (("", RESULTS),), help="every active result, passes included", excepted=None),
    )
}
DEFAULT_VIEW = "open"
ORDERS = {
    "severity": "f.severity_id DESC, f.check_id, f.resource_name, f.id",
    "check": "f.check_id, f.severity_id DESC, f.resource_name, f.id",
    "first_seen": "f.first_seen DESC, f.id",
    "last_seen": "f.last_seen DESC, f.id",
}


@dataclass(frozen=True)
class FindingFilter:
    """What the Finding View, ``connector-host findings`` and the exports select."""

    integration: int | None = None
    view: str = DEFAULT_VIEW
    results: tuple[str, ...] = ()  # explicit result statuses: override the view's sections (one section)
    severity: tuple[int, ...] = ()
    check: str | None = None
    standard: str | None = None  # a standard or requirement, as a substring
    requirement: str | None = None  # exactly one requirement (a Vuln ID, a HealthInsight item)
    search: str | None = None
    new: bool = False  # became failing in the last applied sync
    resolved_last: bool = False  # stopped failing in the last applied sync
    objects_only: bool = False  # leave out results about the org as a whole (a per-object check's summary)
    order: str = "severity"
    at: int | None = None  # the time exceptions are judged at (default: now)

    def sections(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if self.results:
            return (("", tuple(r for r in RESULTS if r in self.results)),)
        if self.resolved_last:  # they pass now, or were not reported again
            return (("Resolved in the last sync", RESULTS),)
        return VIEWS[self.view].sections

    @property
    def lifecycle(self) -> str:
        if self.resolved_last:
            return "any"
        return VIEWS[self.view].lifecycle

    @property
    def excepted(self) -> bool | None:
        if self.resolved_last:
            return None
        if self.results and self.view != "excepted":
            return False if self.view in ("open", "failing", "not_evaluated") else None
        return VIEWS[self.view].excepted

    @property
    def now(self) -> int:
        return self.at if self.at is not None else now_ms()


def parse_view(value: str | None) -> str:
    value = (value or DEFAULT_VIEW).strip().lower().replace("-", "_")
    if value not in VIEWS:
        raise StoreError(f"unknown view {value!r}; use one of {', '.join(VIEWS)}")
    return value


def parse_results(values: Iterable[str] | None) -> tuple[str, ...]:
    """Result statuses from names (``not_evaluated`` and ``failing`` expand), comma-separated or repeated."""
    out: list[str] = []
    for v in values or ():
        for part in str(v).split(","):
            part = part.strip().lower().replace("-", "_").replace(" ", "_")
            if not part:
                continue
            expanded = {"failing": FAILING, "not_evaluated": NOT_EVALUATED, "passed": ("pass",)}.get(part, (part,))
            for p in expanded:
                if p not in RESULTS:
                    raise StoreError(f"unknown result {part!r}; use one of {', '.join(RESULTS)}, failing,"
                                     " not_evaluated")
                if p not in out:
                    out.append(p)
    return tuple(out)


def parse_severities(values: Iterable[str] | None) -> tuple[int, ...]:
    ids: set[int] = set()
    for v in values or ():
        for part in str(v).split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in SEVERITY_IDS or part.isdigit():
                raise StoreError(f"unknown severity {part!r}; use one of {', '.join(SEVERITY_NAMES)}")
            ids.add(SEVERITY_IDS[part])
    return tuple(sorted(ids, reverse=True))


# ------------------------------------------------------------------------------------------------- queries


def exceptions_exist(store: Store, integration: int | None, at: int) -> bool:
    """Whether any exception is in force at ``at`` (for the integration): when none is, no query pays for them."""
    sql = ("SELECT COUNT(*) FROM finding_exceptions WHERE revoked_at IS NULL AND (expires_at IS NULL"
           " OR expires_at > ?)")
    params: list[Any] = [at]
    if integration is not None:
        sql += " AND integration_id = ?"
        params.append(integration)
    return bool(store._q(sql, params)[0][0])


def latest_applied_syncs(store: Store, integration: int | None = None) -> dict[int, int]:
    """Integration id -> id of its last applied (succeeded or partial) sync."""
    sql = "SELECT integration_id, MAX(id) FROM syncs WHERE status IN ('succeeded', 'partial')"
    params: list[Any] = []
    if integration is not None:
        sql += " AND integration_id = ?"
        params.append(integration)
    return {r[0]: r[1] for r in store._q(sql + " GROUP BY integration_id", params)}


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def where_clause(
    store: Store, flt: FindingFilter, results: Sequence[str], *, alias: str = "f", excepted: Any = ...
) -> tuple[str, list[Any]]:
    """The SQL condition (without WHERE) and its parameters selecting ``flt``'s findings with these results
    (``excepted``: override ``flt.excepted``)."""
    a = alias
    where: list[str] = []
    params: list[Any] = []
    if flt.integration is not None:
        where.append(f"{a}.integration_id = ?")
        params.append(flt.integration)
    if flt.lifecycle != "any":
        where.append(f"{a}.status = ?")
        params.append(flt.lifecycle)
    if results and set(results) != set(RESULTS):
        where.append(f"{a}.compliance_status IN ({_marks(results)})")
        params.extend(results)
    if flt.severity:
        where.append(f"{a}.severity_id IN ({_marks(flt.severity)})")
        params.extend(flt.severity)
    if flt.check:
        where.append(f"{a}.check_id = ?")
        params.append(flt.check)
    if flt.requirement:
        # the standards column holds one standard or requirement per line: match a whole line
        escaped = flt.requirement.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        where.append(f"(? || {a}.standards || ?) LIKE ? ESCAPE '!'")
        params.extend(["\n", "\n", f"%\n{escaped}\n%"])
    if flt.objects_only:
        where.append(f"({a}.resource_type IS NULL OR {a}.resource_type NOT IN ({_marks(ORG_TYPES)}))")
        params.extend(ORG_TYPES)
    if flt.standard:
        where.append(f"{a}.standards LIKE ?")
        params.append(f"%{flt.standard}%")
    if flt.search:
        # the object's own name too: a finding may name a user by id only (its asset holds the login)
        like = f"%{flt.search}%"
        where.append(f"({a}.title LIKE ? OR {a}.check_id LIKE ? OR {a}.resource_name LIKE ? OR {a}.resource_uid = ?"
                     f" OR {a}.resource_uid IN (SELECT x.uid FROM assets x WHERE x.name LIKE ?"
                     + (" AND x.integration_id = ?)" if flt.integration is not None else ")") + ")")
        params.extend([like, like, like, flt.search, like])
        if flt.integration is not None:
            params.append(flt.integration)
    if excepted is ...:
        excepted = flt.excepted
    if excepted is not None:
        if exceptions_exist(store, flt.integration, flt.now):
            cond = EXCEPTED_SQL.replace("f.", f"{a}.") if a != "f" else EXCEPTED_SQL
            if excepted:
                where.append(f"{a}.compliance_status <> 'pass' AND {cond}")
            else:
                where.append(f"({a}.compliance_status = 'pass' OR NOT {cond})")
            params.append(flt.now)
        elif excepted:
            where.append("1 = 0")
    if flt.new or flt.resolved_last:
        latest = list(latest_applied_syncs(store, flt.integration).values())
        if flt.new:
            where.append(f"{a}.new_sync_id IN ({_marks(latest)}) AND {a}.status = 'active'"
                         f" AND {a}.compliance_status IN ('fail', 'warning')")
            params.extend(latest)
        if flt.resolved_last:
            where.append(f"{a}.resolved_sync_id IN ({_marks(latest)})")
            params.extend(latest)
    return " AND ".join(where) or "1 = 1", params


_LIST_COLUMNS = (
    "f.id, f.integration_id, i.name AS integration, f.uid, f.check_id, f.title, f.severity_id, f.compliance_status,"
    " f.status, f.standards, f.resource_type, f.resource_uid, f.resource_name, f.first_seen, f.last_seen,"
    " f.first_sync_id, f.last_sync_id, f.failing_since, f.new_sync_id, f.resolved_at, f.resolved_sync_id"
)


def list_findings(
    store: Store, flt: FindingFilter, *, limit: int = 50, offset: int = 0, detail: bool = False,
    record: bool = False,
) -> Page:
    """Findings of ``flt``, its view's sections one after the other (failing, then not evaluated), each ordered by
    ``flt.order``. Every item carries its ``section`` and a readable ``object`` (see :func:`object_label`);
    with ``detail``, also the result's ``message`` and ``evidence`` (the values read); with ``record``, the stored
    OCSF record (``finding``)."""
    if flt.order not in ORDERS:
        raise StoreError(f"unknown order {flt.order!r}; use one of {', '.join(ORDERS)}")
    sections = []
    total = 0
    for heading, results in flt.sections():
        clause, params = where_clause(store, flt, results)
        n = store._q(f"SELECT COUNT(*) FROM findings f WHERE {clause}", params)[0][0]
        sections.append((heading, clause, params, n))
        total += n
    items: list[dict[str, Any]] = []
    skip, want = offset, limit
    for heading, clause, params, n in sections:
        if want <= 0:
            break
        if skip >= n:
            skip -= n
            continue
        rows = store._q(
            f"SELECT {_LIST_COLUMNS}{', f.data' if detail or record else ''} FROM findings f"
            " JOIN integrations i ON i.id = f.integration_id"
            f" WHERE {clause} ORDER BY {ORDERS[flt.order]} LIMIT ? OFFSET ?",
            (*params, want, skip),
        )
        for r in rows:
            item = finding_item(r)
            item["section"] = heading
            if detail or record:
                raw = _loads(r["data"])
                if detail:
                    item.update(result_detail(raw))
                if record:
                    item["finding"] = raw
            items.append(item)
        want -= len(rows)
        skip = 0
    attach_objects(store, items)
    attach_exceptions(store, items, flt.now)
    counts = {heading: n for heading, _c, _p, n in sections}
    return Page(items, total, limit, offset, extra={"sections": counts})


def finding_item(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "integration_id": r["integration_id"],
        "integration": r["integration"],
        "uid": r["uid"],
        "check_id": r["check_id"],
        "title": r["title"],
        "severity_id": r["severity_id"],
        "severity": SEVERITIES.get(r["severity_id"], "other"),
        "compliance_status": r["compliance_status"],
        "result": RESULT_LABELS.get(r["compliance_status"], r["compliance_status"]),
        "status": r["status"],
        "standards": [s for s in (r["standards"] or "").split("\n") if s],
        "resource": {"type": r["resource_type"], "uid": r["resource_uid"], "name": r["resource_name"]},
        "first_seen": r["first_seen"],
        "last_seen": r["last_seen"],
        "first_sync_id": r["first_sync_id"],
        "last_sync_id": r["last_sync_id"],
        "failing_since": r["failing_since"],
        "new_sync_id": r["new_sync_id"],
        "resolved_at": r["resolved_at"],
        "resolved_sync_id": r["resolved_sync_id"],
    }


def _loads(data: str | None) -> dict[str, Any]:
    try:
        value = json.loads(data) if data else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def result_detail(data: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored finding's ``message`` (why it passes or fails) and ``evidence`` (the values read, merged)."""
    try:
        raw = json.loads(data) if isinstance(data, str) else dict(data or {})
    except ValueError:
        raw = {}
    comp = raw.get("compliance") if isinstance(raw.get("compliance"), Mapping) else {}
    message = raw.get("message") if isinstance(raw.get("message"), str) else None
    details = comp.get("status_details") if isinstance(comp.get("status_details"), list) else []
    if not message and details and isinstance(details[0], str):
        message = details[0]
    evidence: dict[str, Any] = {}
    for e in raw.get("evidences") or [] if isinstance(raw.get("evidences"), list) else []:
        if isinstance(e, Mapping) and isinstance(e.get("data"), Mapping):
            evidence.update(e["data"])
    return {"message": message, "evidence": evidence}


# ------------------------------------------------------------------------------------------------- by check


@dataclass
class CheckGroup:
    """One check's results in one integration: its worst result, and how many objects it failed on of those it
    checked (per-object results; a check judged on the org as a whole counts the org)."""

    integration_id: int
    integration: str
    check_id: str
    title: str
    severity_id: int
    standards: list[str]
    counts: dict[str, int] = field(default_factory=dict)  # per-object results by status (not excepted)
    org_counts: dict[str, int] = field(default_factory=dict)  # results about the org itself (not excepted)
    excepted_objects: dict[str, int] = field(default_factory=dict)  # excepted per-object results by status
    excepted_org: dict[str, int] = field(default_factory=dict)
    new_objects: int = 0  # per-object results that became failing in the last sync
    new_org: int = 0
    summary: str | None = None  # the org-level result's message ("26 of 39 administrators ...")
    objects_checked: int | None = None  # what the connector says it checked, when it says so

    @property
    def per_object(self) -> bool:
        return bool(self.counts or self.excepted_objects)

    @property
    def _base(self) -> dict[str, int]:
        return self.counts if self.per_object else self.org_counts

    @property
    def excepted(self) -> int:
        return sum((self.excepted_objects if self.per_object else self.excepted_org).values())

    @property
    def status(self) -> str:
        """The worst result of the check, per object or about the org."""
        present = {s for s, n in self.counts.items() if n} | {s for s, n in self.org_counts.items() if n}
        if present:
            worst = max(present, key=lambda s: RESULT_RANK.get(s, 0))
            # the other objects pass and the failing ones are all excepted: an accepted risk, not a pass
            return "excepted" if worst == "pass" and self.excepted else worst
        return "excepted" if self.excepted else "unknown"

    @property
    def new(self) -> int:
        return self.new_objects if self.per_object else self.new_org

    @property
    def affected(self) -> int:
        return sum(self._base.get(s, 0) for s in FAILING)

    @property
    def passing(self) -> int:
        return self._base.get("pass", 0)

    @property
    def not_evaluated(self) -> int:
        return sum(self._base.get(s, 0) for s in NOT_EVALUATED)

    @property
    def checked(self) -> int | None:
        """Objects judged; None when unknown: a check that reports failing objects only (the connector keeps
        no per-object pass of 100,000 users) says how many it checked in its summary, not in a count."""
        if self.objects_checked is not None:
            return self.objects_checked
        if self.per_object and not self.counts.get("pass") and (self.org_counts or self.excepted_org):
            return None
        excepted = self.excepted_objects if self.per_object else self.excepted_org
        return sum(self._base.get(s, 0) + excepted.get(s, 0) for s in ("pass", "warning", "fail"))

    def count(self, results: Iterable[str]) -> int:
        return sum(self._base.get(s, 0) for s in results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "integration_id": self.integration_id, "integration": self.integration, "check_id": self.check_id,
            "title": self.title, "severity_id": self.severity_id,
            "severity": SEVERITIES.get(self.severity_id, "other"), "status": self.status,
            "result": RESULT_LABELS.get(self.status, self.status), "affected": self.affected,
            "checked": self.checked, "passing": self.passing, "not_evaluated": self.not_evaluated,
            "per_object": self.per_object, "counts": dict(self.counts), "org_counts": dict(self.org_counts),
            "excepted": self.excepted,
            "new": self.new, "summary": self.summary, "standards": self.standards,
            "vuln_ids": [s for s in self.standards if s.startswith("V-") and s[2:].isdigit()],
        }


def _fold(groups: dict[tuple[int, str], CheckGroup], integ: int, name: str, row: Sequence[Any]) -> None:
    """Add one (check, result, level, exception state) count to its check's group, made on first sight; the row is
    (check, title, severity, status, org_level, excepted, count, standards, new), from the findings or from the
    per-sync record of them."""
    check, title, sev, status, org_level, is_excepted, n, standards, new = row
    check = check or ""  # results without a check id: one group, listed with the others
    g = groups.get((integ, check))
    if g is None:
        g = groups[(integ, check)] = CheckGroup(
            integ, name, check, title or check or "(no check id)", sev or 0,
            [s for s in (standards or "").split("\n") if s])
    g.title = g.title if g.title != check else (title or check)
    g.severity_id = max(g.severity_id, sev or 0)
    if is_excepted:
        target = g.excepted_org if org_level else g.excepted_objects
    else:
        target = g.org_counts if org_level else g.counts
    target[status] = target.get(status, 0) + n
    if is_excepted:
        return
    if org_level:
        g.new_org += new or 0
    else:
        g.new_objects += new or 0


def check_groups(store: Store, flt: FindingFilter) -> list[CheckGroup]:
    """One row per (integration, check) among ``flt``'s findings, those with a result in ``flt``'s view, worst
    first: failing before not evaluated before passing, then by severity and by how many objects fail. Excepted
    results are counted apart (``excepted``), never as failing."""
    if _recordable(flt):
        recorded = recorded_groups(store, flt.integration, flt.now)
        if recorded is not None:
            if flt.standard:
                recorded = [g for g in recorded if flt.standard in "\n".join(g.standards)]
            return _select(recorded, flt)
    clause, params = where_clause(store, replace(flt, new=False, results=()), RESULTS, excepted=None)
    latest = list(latest_applied_syncs(store, flt.integration).values())
    at = flt.now
    has_exceptions = exceptions_exist(store, flt.integration, at)
    excepted = (f"CASE WHEN f.compliance_status <> 'pass' AND {EXCEPTED_SQL} THEN 1 ELSE 0 END"
                if has_exceptions else "0")
    # grouped in an outer query: PostgreSQL cannot group by expressions holding parameters or subqueries
    rows = store._q(
        "SELECT x.integration_id, x.integration, x.check_id, MAX(x.title), MAX(x.severity_id), x.compliance_status,"
        " x.org_level, x.excepted, COUNT(*), MAX(x.standards), SUM(x.is_new) FROM ("
        "SELECT f.integration_id, i.name AS integration, f.check_id, f.title, f.severity_id, f.compliance_status,"
        f" f.standards, CASE WHEN f.resource_type IN ({_marks(ORG_TYPES)}) THEN 1 ELSE 0 END AS org_level,"
        f" {excepted} AS excepted,"
        f" CASE WHEN f.new_sync_id IN ({_marks(latest)}) AND f.compliance_status IN ('fail', 'warning')"
        " THEN 1 ELSE 0 END AS is_new"
        f" FROM findings f JOIN integrations i ON i.id = f.integration_id WHERE {clause}) x"
        " GROUP BY x.integration_id, x.integration, x.check_id, x.compliance_status, x.org_level, x.excepted",
        (*ORG_TYPES, *([at] if has_exceptions else []), *latest, *params),
    )
    groups: dict[tuple[int, str], CheckGroup] = {}
    for integ, name, *row in rows:
        _fold(groups, integ, name, row)
    _attach_summaries(store, flt, groups)
    return _select(list(groups.values()), flt)


def _select(groups: list[CheckGroup], flt: FindingFilter) -> list[CheckGroup]:
    """The groups of ``flt``'s view, worst first."""
    if flt.excepted:  # the Excepted view
        out = [g for g in groups if g.excepted]
    else:
        wanted = {s for _h, results in flt.sections() for s in results}
        out = [g for g in groups if any(g.counts.get(s) or g.org_counts.get(s) for s in wanted)
               or (flt.excepted is None and g.excepted)]
    if flt.new:
        out = [g for g in out if g.new]
    out.sort(key=lambda g: (-RESULT_RANK.get(g.status, 0), -g.severity_id, -g.affected, g.title.lower(),
                            g.integration))
    return out


def _recordable(flt: FindingFilter) -> bool:
    """Whether ``flt``'s groups can come from the posture recorded with the last sync (active results, no filter
    the record cannot apply)."""
    return (flt.lifecycle == "active" and not (flt.severity or flt.check or flt.requirement or flt.search
                                               or flt.objects_only or flt.resolved_last))


def _records(store: Store, integration: int | None, at: int) -> list[tuple[int, str, dict[str, Any]]] | None:
    """The posture of each integration's active results at ``at``, by check, as :mod:`.snapshot` records it with
    each applied sync (``sync_posture``). Findings change only when a sync is applied, so the record of the last
    one holds them while no exception was made or revoked since, nor expired between then and ``at``. Otherwise
    (or for a record written before it held the results by check) the same posture is summarized from the findings
    once and kept in this process for as long as the last sync and the exceptions stay as they are (a fingerprint
    of them, read each time, decides). ``None`` when no sync was applied."""
    from .snapshot import by_check, summarize

    latest = latest_applied_syncs(store, integration)
    if not latest:
        return None
    names = dict(store._q("SELECT id, name FROM integrations"))
    marks = _marks(list(latest.values()))
    rows = {r[0]: r for r in store._q(
        "SELECT sync_id, integration_id, recorded_at, LENGTH(summary) FROM sync_posture"
        f" WHERE sync_id IN ({marks})", list(latest.values()))}
    out = []
    for iid, sync_id in sorted(latest.items()):
        if iid not in names:
            return None
        row = rows.get(sync_id)
        summary = None
        if row is not None and row[1] == iid and at >= row[2]:
            t = row[2]
            changed = store._q(
                "SELECT COUNT(*) FROM finding_exceptions WHERE integration_id = ? AND (created_at > ? OR revoked_at > ?"
                " OR (expires_at > ? AND expires_at <= ?))", (iid, t, t, t, at))[0][0]
            if not changed:
                key = (id(store), str(store.path), sync_id, t, row[3])
                summary = _RECORDS.get(key)
                if summary is None:  # a record never changes once written (a rewrite has another time or length)
                    summary = _loads(store._q("SELECT summary FROM sync_posture WHERE sync_id = ?", (sync_id,))[0][0])
                    _keep(key, summary)
                if not isinstance(summary.get("checks"), list):
                    summary = None
        if summary is None:  # the posture now: summarized from the findings, kept while nothing changes
            n, last_id, last_revoked, expired = store._q(
                "SELECT COUNT(*), MAX(id), MAX(revoked_at), SUM(CASE WHEN expires_at <= ? THEN 1 ELSE 0 END)"
                " FROM finding_exceptions WHERE integration_id = ?", (at, iid))[0]
            key = (id(store), str(store.path), "now", iid, sync_id, n, last_id, last_revoked, expired or 0)
            summary = _RECORDS.get(key)
            if summary is None:
                db = store._conn()
                summary = {**summarize(db, iid, at), **by_check(db, iid, sync_id, at)}
                _keep(key, summary)
        out.append((iid, names[iid], summary))
    return out


def _keep(key: tuple[Any, ...], summary: dict[str, Any]) -> None:
    if len(_RECORDS) >= 64:
        _RECORDS.clear()
    _RECORDS[key] = summary


_RECORDS: dict[tuple[Any, ...], dict[str, Any]] = {}  # parsed posture records (read-only to callers)


def recorded_groups(store: Store, integration: int | None, at: int) -> list[CheckGroup] | None:
    """Every check's group of active results, read from the posture recorded with the last applied sync(s) (one
    row each, instead of a scan of the findings: the Finding View at 100,000 users); ``None`` when no record tells
    the truth now (:func:`_records`)."""
    records = _records(store, integration, at)
    if records is None:
        return None
    groups: dict[tuple[int, str], CheckGroup] = {}
    for iid, name, summary in records:
        for row in summary["checks"]:
            _fold(groups, iid, name, row)
        for check, (message, checked) in (summary.get("check_summaries") or {}).items():
            g = groups.get((iid, check))
            if g is not None:
                g.summary = g.summary or message
                if isinstance(checked, int) and not isinstance(checked, bool):
                    g.objects_checked = checked
    return list(groups.values())


def _attach_summaries(store: Store, flt: FindingFilter, groups: Mapping[tuple[int, str], CheckGroup]) -> None:
    """The org-level result's message of each group (the check's own summary), and its count of objects checked
    when the connector states one (``objects_checked`` in the evidence)."""
    if not groups:
        return
    where = ["f.resource_type IN (" + _marks(ORG_TYPES) + ")", "f.status = ?"]
    params: list[Any] = [*ORG_TYPES, "resolved" if flt.lifecycle == "resolved" else "active"]
    if flt.integration is not None:
        where.append("f.integration_id = ?")
        params.append(flt.integration)
    checks = sorted({c for _i, c in groups})
    where.append(f"f.check_id IN ({_marks(checks)})")
    params.extend(checks)
    for integ, check, data in store._q(
        f"SELECT f.integration_id, f.check_id, f.data FROM findings f WHERE {' AND '.join(where)}", params
    ):
        g = groups.get((integ, check))
        if g is None:
            continue
        d = result_detail(data)
        g.summary = g.summary or d["message"]
        checked = d["evidence"].get("objects_checked")
        if isinstance(checked, int) and not isinstance(checked, bool):
            g.objects_checked = checked


# ------------------------------------------------------------------------------------------------- objects


@dataclass
class ObjectLabel:
    """How a finding's resource is shown: by name (a user by login and full name), never by a bare id when the
    asset is known."""

    type: str | None
    uid: str | None
    name: str
    detail: str | None = None  # a user's full name, ...
    asset_id: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "uid": self.uid, "name": self.name, "detail": self.detail,
                "asset_id": self.asset_id}

    @property
    def text(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail and self.detail != self.name else self.name


def _user_detail(data: Mapping[str, Any]) -> str | None:
    user = data.get("user") if isinstance(data.get("user"), Mapping) else {}
    full = user.get("full_name") if isinstance(user, Mapping) else None
    return full if isinstance(full, str) and full.strip() else None


def asset_index(store: Store, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """(integration id, uid) -> the asset's id, type, name and (users only) full name; present assets first."""
    wanted: dict[int, set[str]] = {}
    for integ, uid in keys:
        if uid:
            wanted.setdefault(integ, set()).add(uid)
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for integ, uids in wanted.items():
        ordered = sorted(uids)
        for i in range(0, len(ordered), 500):
            chunk = ordered[i:i + 500]
            rows = store._q(
                f"SELECT id, uid, type, name, gone_at, class_uid FROM assets WHERE integration_id = ?"
                f" AND uid IN ({_marks(chunk)}) ORDER BY gone_at IS NOT NULL, id",
                (integ, *chunk),
            )
            read = []  # users (their full name) and assets named by their id only (their label)
            for r in rows:
                key = (integ, r["uid"])
                if key not in out:
                    out[key] = {"id": r["id"], "type": r["type"], "name": r["name"], "gone": r["gone_at"] is not None}
                    if r["type"] == "user" or r["class_uid"] == 5003 or not r["name"] or r["name"] == r["uid"]:
                        read.append(r["id"])
            if read:
                for r in store._q(f"SELECT id, uid, name, data FROM assets WHERE id IN ({_marks(read)})", read):
                    data = _loads(r["data"])
                    entry = out[(integ, r["uid"])]
                    entry["detail"] = _user_detail(data)
                    entry["name"] = display_name(r["name"], r["uid"], data)
    return out


def object_label(resource: Mapping[str, Any], asset: Mapping[str, Any] | None) -> ObjectLabel:
    rtype, uid, name = resource.get("type"), resource.get("uid"), resource.get("name")
    if asset:
        shown = asset.get("name") if asset.get("name") and asset.get("name") != uid else (name or asset.get("name"))
        return ObjectLabel(asset.get("type") or rtype, uid, str(shown or uid or "-"), asset.get("detail"), asset.get("id"))
    return ObjectLabel(rtype, uid, str(name or uid or "-"))


def attach_objects(store: Store, items: list[dict[str, Any]]) -> None:
    """Give each finding item an ``object``: its resource by name (login and full name for a user)."""
    index = asset_index(store, ((f["integration_id"], f["resource"].get("uid")) for f in items))
    for f in items:
        label = object_label(f["resource"], index.get((f["integration_id"], f["resource"].get("uid") or "")))
        f["object"] = label.as_dict()
        f["object"]["text"] = label.text


def with_filter(flt: FindingFilter, **changes: Any) -> FindingFilter:
    return replace(flt, **changes)


# ------------------------------------------------------------------------------------------------- counts


def tab_counts(store: Store, integration: int | None = None, at: int | None = None) -> dict[str, int]:
    """How many results each view holds (excepted results count in ``excepted`` alone); from the posture recorded
    with the last sync when it still holds (:func:`_records`), else from the findings."""
    at = now_ms() if at is None else at
    records = _records(store, integration, at)
    if records is not None:
        counts = {"excepted": 0, "resolved": 0}
        active: dict[str, int] = {}
        for iid, _name, summary in records:
            for row in summary["checks"]:
                if row[5]:
                    counts["excepted"] += row[6]
                else:
                    active[row[3]] = active.get(row[3], 0) + row[6]
            counts["resolved"] += store._q(  # the resolved ones: an index range (integration, status)
                "SELECT COUNT(*) FROM findings WHERE integration_id = ? AND status = 'resolved'", (iid,))[0][0]
        return _tab_counts(counts, active)
    has = exceptions_exist(store, integration, at)
    excepted = f"CASE WHEN f.compliance_status <> 'pass' AND {EXCEPTED_SQL} THEN 1 ELSE 0 END" if has else "0"
    where, params = ("f.integration_id = ?", [integration]) if integration is not None else ("1 = 1", [])
    rows = store._q(
        "SELECT x.status, x.compliance_status, x.excepted, COUNT(*) FROM ("
        f"SELECT f.status, f.compliance_status, {excepted} AS excepted FROM findings f WHERE {where}) x"
        " GROUP BY x.status, x.compliance_status, x.excepted",
        ([at] if has else []) + params,
    )
    active: dict[str, int] = {}
    counts = {"excepted": 0, "resolved": 0}
    for status, result, is_excepted, n in rows:
        if status != "active":
            counts["resolved"] += n
        elif is_excepted:
            counts["excepted"] += n
        else:
            active[result] = active.get(result, 0) + n
    return _tab_counts(counts, active)


def _tab_counts(counts: dict[str, int], active: Mapping[str, int]) -> dict[str, int]:
    failing = sum(active.get(s, 0) for s in FAILING)
    not_evaluated = sum(active.get(s, 0) for s in NOT_EVALUATED)
    counts.update(open=failing + not_evaluated, failing=failing, not_evaluated=not_evaluated,
                  passed=active.get("pass", 0), all=sum(active.values()) + counts["excepted"])
    return counts


def posture_summary(store: Store, integration: int | None = None, at: int | None = None) -> dict[str, Any]:
    """Failing results by severity and results by status, excepted results apart (as the Trends record them): the
    posture recorded with the last sync when it still holds (:func:`_records`), else summarized from the findings."""
    from .snapshot import summarize

    at = now_ms() if at is None else at
    ids = [integration] if integration is not None else [i.id for i in store.list_integrations()]
    total: dict[str, Any] = {"failing_by_severity": {}, "by_status": {}, "failing": 0, "excepted": 0}
    records = _records(store, integration, at) or []
    done = {r[0] for r in records}  # the others: no record that holds (or no applied sync, so no findings)
    summaries = [r[2] for r in records] + [summarize(store._conn(), iid, at) for iid in ids if iid not in done]
    for s in summaries:
        for key in ("failing_by_severity", "by_status"):
            for k, v in s[key].items():
                total[key][k] = total[key].get(k, 0) + v
        total["failing"] += s["failing"]
        total["excepted"] += s["excepted"]
    return total
