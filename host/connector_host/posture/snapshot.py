"""What the store records of an integration's posture when a sync is applied (the Trends view reads it back), and
the SQL condition saying a finding is excepted.

The store calls :func:`record` inside the transaction that applies a sync, so each applied sync keeps the posture
it left: failing results by severity, results by status, excepted results, and the state of every standard
requirement (a STIG Vuln ID, a HealthInsight item) for the share passing. Exceptions count as they stood then.

This module imports nothing of the host (the store imports it); its SQL is portable (``?`` placeholders).
"""

from __future__ import annotations

import json
from typing import Any

FAILING_SQL = "('fail', 'warning')"

#: A finding (alias ``f``) is excepted at time ``?``: an exception of its integration and check, for every object
#: or for its object, not revoked, not expired. One parameter: the time, in epoch milliseconds.
EXCEPTED_SQL = (
    "EXISTS (SELECT 1 FROM finding_exceptions e WHERE e.integration_id = f.integration_id"
    " AND e.check_id = f.check_id AND (e.resource_uid IS NULL OR e.resource_uid = f.resource_uid)"
    " AND e.revoked_at IS NULL AND (e.expires_at IS NULL OR e.expires_at > ?))"
)

#: The requirement states, worst first: what a requirement is when its results disagree.
REQUIREMENT_RANK = {"fail": 5, "unknown": 4, "manual": 3, "excepted": 2, "pass": 1}


def _rows(db: Any, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return list(db.execute(sql, params).fetchall())


def summarize(db: Any, integration_id: int, t: int) -> dict[str, Any]:
    """The posture of ``integration_id``'s active findings at time ``t`` (exceptions as they stand at ``t``)."""
    excepted = f"(f.compliance_status <> 'pass' AND {EXCEPTED_SQL})"
    rows = _rows(  # grouped in an outer query: PostgreSQL cannot group by a correlated subquery
        db,
        "SELECT x.severity_id, x.compliance_status, x.excepted, x.standards, COUNT(*) FROM ("
        f"SELECT f.severity_id, f.compliance_status, f.standards, CASE WHEN {excepted} THEN 1 ELSE 0 END AS excepted"
        " FROM findings f WHERE f.integration_id = ? AND f.status = 'active') x"
        " GROUP BY x.severity_id, x.compliance_status, x.excepted, x.standards",
        (t, integration_id),
    )
    names = {5: "critical", 4: "high", 3: "medium", 2: "low", 1: "informational"}
    failing: dict[str, int] = {}
    by_status: dict[str, int] = {}
    excepted_n = 0
    requirements: dict[str, str] = {}
    for sev, status, is_excepted, standards, n in rows:
        if is_excepted:
            excepted_n += n
            state = "excepted"
        else:
            by_status[status] = by_status.get(status, 0) + n
            if status in ("fail", "warning"):
                name = names.get(sev, "other")
                failing[name] = failing.get(name, 0) + n
            state = "fail" if status in ("fail", "warning") else status
        for req in (standards or "").split("\n"):
            if req and REQUIREMENT_RANK.get(state, 0) > REQUIREMENT_RANK.get(requirements.get(req, ""), 0):
                requirements[req] = state
    return {
        "failing_by_severity": failing,
        "failing": sum(failing.values()),
        "by_status": by_status,
        "excepted": excepted_n,
        "requirements": requirements,  # standard names appear too: harmless, the views pick the rule ids
    }


ORG_TYPES = ("org", "organization", "tenant")  # as posture.findings.ORG_TYPES: a result about the tenant itself


def by_check(db: Any, integration_id: int, sync_id: int, t: int) -> dict[str, Any]:
    """The active results by check as the Finding View groups them (``checks``: one row per check, result, level
    (org or object) and exception state, with the count, the check's title, severity, standards and how many became
    failing in this sync), and each check's own summary (``check_summaries``: the org-level result's message and
    the ``objects_checked`` its evidence states). Recorded with the posture so the page reads one row, not the
    findings (posture.findings.recorded_groups)."""
    excepted = f"(f.compliance_status <> 'pass' AND {EXCEPTED_SQL})"
    marks = ",".join("?" * len(ORG_TYPES))
    rows = _rows(
        db,
        "SELECT x.check_id, MAX(x.title), MAX(x.severity_id), x.compliance_status, x.org_level, x.excepted,"
        " COUNT(*), MAX(x.standards), SUM(x.is_new) FROM ("
        "SELECT f.check_id, f.title, f.severity_id, f.compliance_status, f.standards,"
        f" CASE WHEN f.resource_type IN ({marks}) THEN 1 ELSE 0 END AS org_level,"
        f" CASE WHEN {excepted} THEN 1 ELSE 0 END AS excepted,"
        " CASE WHEN f.new_sync_id = ? AND f.compliance_status IN ('fail', 'warning') THEN 1 ELSE 0 END AS is_new"
        " FROM findings f WHERE f.integration_id = ? AND f.status = 'active') x"
        " GROUP BY x.check_id, x.compliance_status, x.org_level, x.excepted",
        (*ORG_TYPES, t, sync_id, integration_id),
    )
    summaries: dict[str, list[Any]] = {}
    for check, data in _rows(
        db, f"SELECT f.check_id, f.data FROM findings f WHERE f.integration_id = ? AND f.status = 'active'"
            f" AND f.resource_type IN ({marks})", (integration_id, *ORG_TYPES),
    ):
        message, checked = _summary_of(data)
        if check is not None and (message or checked is not None):
            prev = summaries.setdefault(check, [None, None])
            prev[0] = prev[0] or message
            prev[1] = checked if checked is not None else prev[1]
    return {"checks": [list(r) for r in rows], "check_summaries": summaries}


def _summary_of(data: Any) -> tuple[str | None, int | None]:
    """An org-level result's message and the ``objects_checked`` of its evidence (as posture.findings reads
    them: ``message``, else the first status detail; evidence ``data`` merged)."""
    try:
        raw = json.loads(data) if isinstance(data, str) else {}
    except ValueError:
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    message = raw.get("message") if isinstance(raw.get("message"), str) else None
    comp = raw.get("compliance") if isinstance(raw.get("compliance"), dict) else {}
    details = comp.get("status_details") if isinstance(comp.get("status_details"), list) else []
    if not message and details and isinstance(details[0], str):
        message = details[0]
    checked = None
    for e in raw.get("evidences") if isinstance(raw.get("evidences"), list) else []:
        if isinstance(e, dict) and isinstance(e.get("data"), dict) and "objects_checked" in e["data"]:
            value = e["data"]["objects_checked"]
            checked = value if isinstance(value, int) and not isinstance(value, bool) else None
    return message, checked


def record(db: Any, integration_id: int, sync_id: int, t: int) -> None:
    """Keep the posture an applied sync left (one row per sync, replaced if recorded again), with its results by
    check (:func:`by_check`)."""
    summary = json.dumps({**summarize(db, integration_id, t), **by_check(db, integration_id, sync_id, t)},
                         separators=(",", ":"), sort_keys=True)
    db.execute("DELETE FROM sync_posture WHERE sync_id = ?", (sync_id,))
    db.execute(
        "INSERT INTO sync_posture (sync_id, integration_id, recorded_at, summary) VALUES (?, ?, ?, ?)",
        (sync_id, integration_id, t, summary),
    )


def backfill(db: Any, dialect: str, *, now: int | None = None) -> None:
    """Migration step: the last applied sync of each integration gets its posture, so Trends start with a point."""
    import time

    t = now if now is not None else int(time.time() * 1000)
    for integration_id, sync_id in _rows(
        db,
        "SELECT integration_id, MAX(id) FROM syncs WHERE status IN ('succeeded', 'partial') GROUP BY integration_id",
        (),
    ):
        record(db, integration_id, sync_id, t)
