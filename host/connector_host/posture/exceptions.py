"""Exceptions as the views show them: their state (in force, expired, revoked), the exception covering a finding,
and a finding's history (first seen, failing since, exceptions made, expired or revoked, resolved).

Writes are :meth:`connector_host.store.Store.add_exception` and :meth:`~connector_host.store.Store.revoke_exception`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..store import Store, StoreError, now_ms

KINDS = {"accepted_risk": "Accepted risk", "false_positive": "False positive", "suppressed": "Suppressed"}
STATES = ("active", "expired", "revoked")


def state_of(e: Mapping[str, Any], at: int | None = None) -> str:
    at = now_ms() if at is None else at
    if e.get("revoked_at") is not None:
        return "revoked"
    if e.get("expires_at") is not None and e["expires_at"] <= at:
        return "expired"
    return "active"


def _out(row: Mapping[str, Any], at: int) -> dict[str, Any]:
    d = {k: row[k] for k in row.keys()} if hasattr(row, "keys") else dict(row)
    d["state"] = state_of(d, at)
    d["kind_label"] = KINDS.get(d["kind"], d["kind"])
    d["scope"] = "object" if d.get("resource_uid") else "check"
    return d


def list_exceptions(
    store: Store, integration: int | None = None, *, state: str | None = None, check: str | None = None,
    at: int | None = None,
) -> list[dict[str, Any]]:
    """Exceptions newest first, with their ``state`` (active, expired, revoked) at ``at`` (default: now)."""
    at = now_ms() if at is None else at
    if state is not None and state not in STATES:
        raise StoreError(f"unknown exception state {state!r}; use one of {', '.join(STATES)}")
    where, params = ["1 = 1"], []
    if integration is not None:
        where.append("e.integration_id = ?")
        params.append(integration)
    if check:
        where.append("e.check_id = ?")
        params.append(check)
    rows = store._q(
        "SELECT e.*, i.name AS integration FROM finding_exceptions e JOIN integrations i ON i.id = e.integration_id"
        f" WHERE {' AND '.join(where)} ORDER BY e.id DESC", params,
    )
    out = [_out(r, at) for r in rows]
    return [e for e in out if state is None or e["state"] == state]


def covering(exceptions: Iterable[Mapping[str, Any]], integration_id: int, check_id: str | None,
             resource_uid: str | None) -> dict[str, Any] | None:
    """The exception in force covering a result: one for its object first, else one for its whole check."""
    best = None
    for e in exceptions:
        if e["state"] != "active" or e["integration_id"] != integration_id or e["check_id"] != check_id:
            continue
        if e.get("resource_uid") and e["resource_uid"] == resource_uid:
            return dict(e)
        if not e.get("resource_uid") and best is None:
            best = dict(e)
    return best


def attach(store: Store, items: list[dict[str, Any]], at: int | None = None) -> None:
    """Give each finding item its ``exception`` (the one in force covering it, or None; passes are never
    excepted)."""
    if not items:
        return
    at = now_ms() if at is None else at
    checks = {(f["integration_id"], f["check_id"]) for f in items if f.get("check_id")}
    found: list[dict[str, Any]] = []
    for integ in sorted({i for i, _c in checks}):
        ids = sorted(c for i, c in checks if i == integ)
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            rows = store._q(
                "SELECT e.*, i.name AS integration FROM finding_exceptions e JOIN integrations i"
                f" ON i.id = e.integration_id WHERE e.integration_id = ? AND e.check_id IN ({','.join('?' * len(chunk))})",
                (integ, *chunk),
            )
            found.extend(_out(r, at) for r in rows)
    for f in items:
        uid = (f.get("resource") or {}).get("uid")
        f["exception"] = (None if f.get("compliance_status") == "pass"
                          else covering(found, f["integration_id"], f.get("check_id"), uid))


def history(store: Store, finding: Mapping[str, Any], at: int | None = None) -> list[dict[str, Any]]:
    """What happened to a finding, oldest first: first seen, failing since, new in a sync, exceptions made for it
    (its object or its check) and their end, resolved."""
    at = now_ms() if at is None else at
    events: list[dict[str, Any]] = []

    def add(when: Any, what: str, detail: str | None = None, kind: str = "finding") -> None:
        if isinstance(when, int | float):
            events.append({"at": int(when), "event": what, "detail": detail, "kind": kind})

    add(finding.get("first_seen"), "first seen", f"sync #{finding.get('first_sync_id')}")
    if finding.get("failing_since"):
        add(finding["failing_since"], "failing", finding.get("compliance_status"))
    if finding.get("resolved_at"):
        add(finding["resolved_at"], "resolved", f"sync #{finding.get('resolved_sync_id')}"
            if finding.get("resolved_sync_id") else None)
    add(finding.get("last_seen"), "last seen", f"sync #{finding.get('last_sync_id')}")
    integ = store.get_integration(finding["integration"]).id if "integration_id" not in finding \
        else finding["integration_id"]
    uid = (finding.get("resource") or {}).get("uid")
    for e in list_exceptions(store, integ, check=finding.get("check_id"), at=at):
        if e.get("resource_uid") and e["resource_uid"] != uid:
            continue
        scope = "this object" if e.get("resource_uid") else "every object of the check"
        expiry = f", until {_day(e['expires_at'])}" if e.get("expires_at") else ""
        add(e["created_at"], f"exception: {e['kind_label'].lower()}",
            f"{scope}, by {e['author']}: {e['reason']}{expiry}", "exception")
        if e.get("revoked_at") is not None:
            add(e["revoked_at"], "exception revoked", f"by {e.get('revoked_by') or 'unknown'}", "exception")
        elif e.get("expires_at") is not None and e["expires_at"] <= at:
            add(e["expires_at"], "exception expired", e["kind_label"], "exception")
    events.sort(key=lambda x: (x["at"], x["event"] != "first seen"))
    return events


def _day(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ms / 1000))


def parse_expiry(text: str | None, *, at: int | None = None) -> int | None:
    """An expiry from a form or the command line: ``YYYY-MM-DD`` (end of that day, UTC), ``YYYY-MM-DDTHH:MM``
    (UTC), or a duration ``30d`` / ``12h`` / ``90m``; empty: none. :class:`StoreError` when unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    at = now_ms() if at is None else at
    units = {"d": 86_400_000, "h": 3_600_000, "m": 60_000}
    if text[:-1].isdigit() and text[-1:].lower() in units:
        return at + int(text[:-1]) * units[text[-1].lower()]
    import calendar

    for fmt, end_of_day in (("%Y-%m-%d", True), ("%Y-%m-%dT%H:%M", False), ("%Y-%m-%d %H:%M", False)):
        try:
            parsed = time.strptime(text, fmt)
        except ValueError:
            continue
        ms = calendar.timegm(parsed) * 1000
        return ms + (86_400_000 - 1 if end_of_day else 0)
    raise StoreError(f"unreadable expiry {text!r}: give YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC) or a duration like 30d")
