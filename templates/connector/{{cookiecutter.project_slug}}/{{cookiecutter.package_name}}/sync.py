"""One sync: read the tenant and its users, run the checks, stream the messages.

Always ends with exactly one SYNC_STATUS: ``succeeded`` when every collection was read completely,
``partial`` when a collection broke off (what was read is kept), ``failed`` when nothing could be read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from . import checks
from .client import ApiClient, ApiError
from .config import ConfigError, load_config


def _now_ms() -> int:
    return int(time.time() * 1000)


def _record(stream: str, kind: str, org: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": stream, "kind": kind, "org": org, "data": data,
                                         "emitted_at": _now_ms()}}


def _error(kind: str, message: str, stream: str | None, fatal: bool) -> dict[str, Any]:
    return {"type": "ERROR", "error": {"kind": kind, "message": message, "stream": stream, "fatal": fatal}}


def _status(status: str, message: str) -> dict[str, Any]:
    return {"type": "SYNC_STATUS", "sync_status": {"status": status, "message": message, "sync_mode": "full"}}


def run(raw_config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
    started = time.monotonic()
    try:
        config = load_config(raw_config)
    except ConfigError as exc:
        yield _error("config", str(exc), None, True)
        yield _status("failed", str(exc))
        return
    client = ApiClient(config)
    try:
        yield from _collect(client, context)
    except ApiError as exc:  # the tenant could not be read: nothing trustworthy
        yield _error(exc.kind, exc.message, None, True)
        yield _status("failed", exc.message)
    except Exception as exc:  # a bug: say so, never a traceback
        message = f"The connector failed unexpectedly ({type(exc).__name__}); please report it."
        yield _error("internal", message, None, True)
        yield _status("failed", message)
    finally:
        context.logger.debug("sync took %.2f s, %d requests", time.monotonic() - started, client.requests)


def _collect(client: ApiClient, context: Any) -> Iterator[dict[str, Any]]:
    tenant = client.get("/api/v1/tenant")
    org = {"uid": str(tenant["id"]), "name": tenant.get("name")}
    yield {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "STARTED"}}
    count, results, broke_off = 0, [], None
    try:
        for page in client.paginate("/api/v1/users"):
            for user in page:
                count += 1
                yield _record("users", "asset", org, user)
                results.extend(checks.user_mfa(user))
            progress = {"stream": "users", "count": count, "requests": client.requests}
            context.progress(progress)
            yield {"type": "PROGRESS", "progress": progress}
            if context.cancelled():
                broke_off = ApiError("transient", "The sync was cancelled.")
                break
    except ApiError as exc:
        broke_off = exc
    if broke_off is None:
        yield {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "COMPLETE", "count": count}}
    else:
        yield _error(broke_off.kind, broke_off.message, "users", False)
        yield {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "INCOMPLETE", "count": count,
                                                          "reason": broke_off.message, "error_kind": broke_off.kind}}
    for result in results:  # results of the users read; a user never read gets no result (not a pass)
        yield _record("check_results", "check_result", org, result)
    yield {"type": "STATS", "stats": {"requests": client.requests}}
    if broke_off is None:
        yield _status("succeeded", f"Read {count} users; {len(results)} check results.")
    else:
        yield _status("partial", f"Read {count} users before the list broke off: {broke_off.message}")
