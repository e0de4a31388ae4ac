"""Exports of a view of findings: CSV (one row per result, for a spreadsheet) and OCSF JSON Lines (one Compliance
Finding per line, for a SIEM or a data lake), streamed in batches so memory does not grow with the org.

The OCSF record is the one the connector produced, with what the host knows added as OCSF says a consumer sets it:
``status_id`` 3 Suppressed and a ``comment`` for an excepted result, ``status_id`` 4 Resolved and activity 3 Close
for a resolved one, ``finding_info.first_seen_time``/``last_seen_time``, and the host's own terms at
``unmapped.host`` (integration, state, exception).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ..store import Store
from .findings import FindingFilter, list_findings

CSV_COLUMNS = (
    "integration", "finding_id", "uid", "check_id", "title", "severity", "result", "state", "object_type",
    "object_uid", "object_name", "object_detail", "standards", "requirements", "message", "first_seen", "last_seen",
    "failing_since", "exception_kind", "exception_reason", "exception_author", "exception_expires",
)
FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "jsonl": ("application/x-ndjson", "jsonl")}
BATCH = 500


def iter_items(store: Store, flt: FindingFilter, *, record: bool = False, batch: int = BATCH) -> Iterator[dict]:
    """Every finding of ``flt`` (all its view's sections, in order), with its message, evidence and exception."""
    flt = replace(flt, at=flt.now)  # one instant for every batch: an exception expiring meanwhile does not split it
    offset = 0
    while True:
        page = list_findings(store, flt, limit=batch, offset=offset, detail=True, record=record)
        yield from page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


def iso(ms: Any) -> str:
    if not isinstance(ms, int | float):
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def _cell(value: Any) -> str:
    """A spreadsheet cell: text that would start a formula (=, +, -, @, tab, CR) is quoted with a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_row(f: dict[str, Any]) -> list[str]:
    standards = [s for s in f["standards"] if ":" not in s and not _is_id(s)]
    requirements = [s for s in f["standards"] if s not in standards]
    e = f.get("exception") or {}
    values = [
        f["integration"], f["id"], f["uid"], f["check_id"], f["title"], f["severity"], f["result"], f["status"],
        f["object"]["type"], f["object"]["uid"], f["object"]["name"], f["object"]["detail"], "; ".join(standards),
        "; ".join(requirements), f.get("message"), iso(f["first_seen"]), iso(f["last_seen"]),
        iso(f["failing_since"]), e.get("kind"), e.get("reason"), e.get("author"), iso(e.get("expires_at")),
    ]
    return [_cell(v) for v in values]


def _is_id(text: str) -> bool:
    import re

    return bool(re.match(r"^(V-\d+|[A-Z]+-[A-Z]+-\d+)$", text))


def csv_chunks(store: Store, flt: FindingFilter) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for f in iter_items(store, flt):
        writer.writerow(csv_row(f))
        n += 1
        if n % BATCH == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def ocsf_record(f: dict[str, Any]) -> dict[str, Any]:
    """The finding's OCSF Compliance Finding with the host's knowledge set (see the module docstring)."""
    rec = copy.deepcopy(f.get("finding") or {})
    info = rec.get("finding_info") if isinstance(rec.get("finding_info"), dict) else {}
    if isinstance(f.get("first_seen"), int):
        info["first_seen_time"] = f["first_seen"]
    if isinstance(f.get("last_seen"), int):
        info["last_seen_time"] = f["last_seen"]
    if info:
        rec["finding_info"] = info
    e = f.get("exception")
    host: dict[str, Any] = {"integration": f["integration"], "finding_id": f["id"], "state": f["status"],
                            "result": f["compliance_status"]}
    class_uid = rec.get("class_uid") if isinstance(rec.get("class_uid"), int) else 2003
    if f["status"] == "resolved":
        rec.update(status_id=4, status="Resolved", activity_id=3, activity_name="Close",
                   type_uid=class_uid * 100 + 3, type_name=f"{rec.get('class_name') or 'Compliance Finding'}: Close")
    elif e:
        rec.update(status_id=3, status="Suppressed",
                   comment=f"{e['kind_label']} by {e['author']}: {e['reason']}"[:2000])
        host["exception"] = {k: e.get(k) for k in ("id", "kind", "reason", "author", "created_at", "expires_at",
                                                    "resource_uid")}
    unmapped = rec.get("unmapped") if isinstance(rec.get("unmapped"), dict) else {}
    unmapped["host"] = host
    rec["unmapped"] = unmapped
    return rec


def jsonl_chunks(store: Store, flt: FindingFilter) -> Iterator[str]:
    lines: list[str] = []
    for f in iter_items(store, flt, record=True):
        lines.append(json.dumps(ocsf_record(f), separators=(",", ":"), sort_keys=True, default=str))
        if len(lines) >= BATCH:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def chunks(store: Store, flt: FindingFilter, fmt: str) -> Iterator[str]:
    if fmt == "csv":
        return csv_chunks(store, flt)
    if fmt == "jsonl":
        return jsonl_chunks(store, flt)
    raise ValueError(f"unknown export format {fmt!r}; use csv or jsonl")


def filename(integration: str | None, flt: FindingFilter, ext: str, at: int | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime((at or int(time.time() * 1000)) / 1000))
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in (integration or "all"))
    return f"findings-{name}-{flt.view}-{stamp}.{ext}"
