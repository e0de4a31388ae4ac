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


def record(db: Any, integration_id: int, sync_id: int, t: int) -> None:
    """Keep the posture an applied sync left (one row per sync, replaced if recorded again)."""
    summary = json.dumps(summarize(db, integration_id, t), separators=(",", ":"), sort_keys=True)
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
