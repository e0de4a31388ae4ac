"""Syncs started from the page run in background threads; their live progress is kept here for polling.

The scheduler of the same process reports its syncs' progress here too (pass :meth:`SyncJobs.progress` as its
progress callback), so the page shows a scheduled sync's progress the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..runner import ProgressEvent, Runner
from ..store import Integration, SyncInProgress
from .store_threads import release_thread_connection

log = logging.getLogger(__name__)


class SyncJobs:
    def __init__(self, runner: Runner):
        self.runner = runner
        self._live: dict[int, dict[str, Any]] = {}  # integration id -> live state
        self._names: dict[str, int] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def is_running(self, integ: Integration) -> bool:
        with self._lock:
            live = self._live.get(integ.id)
        return bool(live and live["running"]) or self.runner.is_running(integ.id)

    def start(self, integ: Integration) -> dict[str, Any]:
        """Start a manual sync in a background thread; :class:`SyncInProgress` when one is running."""
        with self._lock:
            live = self._live.get(integ.id)
            if (live and live["running"]) or self.runner.is_running(integ.id):
                raise SyncInProgress(f"integration {integ.name!r} is syncing already; wait for it to end")
            self._names[integ.name] = integ.id
            self._live[integ.id] = {
                "running": True, "sync_id": None, "counts": {}, "requests": None, "rate_limit_wait_seconds": None,
                "message": "starting", "started_at": int(time.time() * 1000), "error": None,
            }
        t = threading.Thread(target=self._run, args=(integ,), name=f"web-sync-{integ.id}", daemon=True)
        self._threads.append(t)
        t.start()
        return self.status(integ)

    def _run(self, integ: Integration) -> None:
        error = None
        try:
            self.runner.sync(integ.id, trigger="manual", progress=self.progress)
        except SyncInProgress as e:
            error = str(e)
        except Exception as e:  # recorded by the runner when it could; the page says it failed
            log.exception("sync of integration %s could not run", integ.name)
            error = f"the sync could not run ({type(e).__name__}); see the host's log"
        finally:
            release_thread_connection(self.runner.store)
        with self._lock:
            live = self._live.setdefault(integ.id, {})
            live["running"] = False
            live["error"] = error

    def progress(self, event: ProgressEvent) -> None:
        """A runner progress callback (also given to the scheduler)."""
        with self._lock:
            iid = self._names.get(event.integration)
            if iid is None:
                try:
                    iid = self.runner.store.get_integration(event.integration).id
                except Exception:
                    return
                self._names[event.integration] = iid
            live = self._live.setdefault(iid, {"started_at": int(time.time() * 1000), "error": None})
            live.update({
                "running": event.kind != "done", "sync_id": event.sync_id, "counts": dict(event.counts),
                "requests": event.requests, "rate_limit_wait_seconds": event.rate_limit_wait_seconds,
            })
            if event.message:
                live["message"] = event.message

    def status(self, integ: Integration) -> dict[str, Any]:
        with self._lock:
            live = dict(self._live.get(integ.id) or {})
        running = bool(live.get("running")) or self.runner.is_running(integ.id)
        if not running:
            stored = self.runner.store.last_sync(integ.id)
            if stored is not None and stored.status == "running":  # another process syncs it
                running = True
                live.setdefault("sync_id", stored.id)
                live.setdefault("counts", {s: v.get("records", 0) for s, v in stored.counts.items()
                                           if isinstance(v, dict)} if stored.counts else {})
        counts = live.get("counts") or {}
        return {
            "integration_id": integ.id,
            "running": running,
            "sync_id": live.get("sync_id"),
            "counts": counts,
            "records": sum(v for v in counts.values() if isinstance(v, int)),
            "requests": live.get("requests"),
            "rate_limit_wait_seconds": live.get("rate_limit_wait_seconds"),
            "message": live.get("message"),
            "error": live.get("error"),
        }

    def join(self, timeout: float = 30.0) -> None:
        """Wait for the background syncs (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))
