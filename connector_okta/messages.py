"""Builders for the sync messages of ``docs/internals.md`` (shape fixed by the host's sync_message schema)."""

from __future__ import annotations

import time
from typing import Any

ERROR_KINDS = ("config", "credentials", "permission", "feature", "network", "transient", "rate_limited", "internal")


def now_ms() -> int:
    return int(time.time() * 1000)


def record(stream: str, kind: str, org: dict[str, Any], data: dict[str, Any],
           parent: dict[str, Any] | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {"stream": stream, "kind": kind, "org": org, "data": data, "emitted_at": now_ms()}
    if parent is not None:
        rec["parent"] = parent
    return {"type": "RECORD", "record": rec}


def stream_status(stream: str, status: str, count: int | None = None, reason: str | None = None,
                  error_kind: str | None = None) -> dict[str, Any]:
    return {"type": "STREAM_STATUS", "stream_status": {"stream": stream, "status": status, "count": count,
                                                         "reason": reason, "error_kind": error_kind}}


def progress(stream: str | None, count: int | None, requests: int | None, wait: float | None,
             message: str | None = None) -> dict[str, Any]:
    return {"type": "PROGRESS", "progress": {"stream": stream, "count": count, "requests": requests,
                                             "rate_limit_wait_seconds": wait, "message": message}}


def log(level: str, message: str) -> dict[str, Any]:
    return {"type": "LOG", "log": {"level": level, "message": message}}


def error(kind: str, message: str, *, stream: str | None = None, request_id: str | None = None,
          fatal: bool = False) -> dict[str, Any]:
    if kind not in ERROR_KINDS:
        kind = "feature" if kind == "not_found" else "internal"
    return {"type": "ERROR", "error": {"kind": kind, "message": message or kind, "stream": stream,
                                       "request_id": request_id, "fatal": fatal}}


def sync_status(status: str, message: str, sync_mode: str | None = None,
                snapshot_streams: list[str] | None = None) -> dict[str, Any]:
    """``snapshot_streams`` (an incremental sync): the streams read in full, and ``check_results`` when every check
    result was emitted; the host treats those as it would on a full sync (what is not seen is gone or resolved)."""
    payload: dict[str, Any] = {"status": status, "message": message}
    if sync_mode:
        payload["sync_mode"] = sync_mode
    if snapshot_streams is not None:
        payload["snapshot_streams"] = list(snapshot_streams)
    return {"type": "SYNC_STATUS", "sync_status": payload}
