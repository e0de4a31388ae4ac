"""Syncs started from the page run in background threads; their live progress is kept here for polling.

The scheduler of the same process reports its syncs' progress here too (pass :meth:`SyncJobs.progress` as its
progress callback), so the page shows a scheduled sync's progress the same way.

With a job queue (``CONNECTOR_HOST_BROKER`` in the host's environment, or ``queue=``), Sync Now enqueues the sync
for the workers (:mod:`connector_host.job_queue`), and the progress shown is the one the worker running it keeps
in the store; Cancel sets the job's flag in the store, which that worker reads within seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from .. import leases
from ..job_queue import JobQueue, broker_url
from ..runner import ProgressEvent, Runner
from ..store import Integration, SyncInProgress
from .store_threads import release_thread_connection

log = logging.getLogger(__name__)


class SyncJobs:
    def __init__(self, runner: Runner, queue: JobQueue | None = None):
        self.runner = runner
        url = None if queue is not None else broker_url(None, runner.env if runner.env is not None else os.environ)
        self.queue = queue if queue is not None else (JobQueue(runner.store, url) if url else None)
        self._cancel: dict[int, threading.Event] = {}  # in-process syncs: Cancel sets it, the runner polls it
        self._live: dict[int, dict[str, Any]] = {}  # integration id -> live state
        self._names: dict[str, int] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def is_running(self, integ: Integration) -> bool:
        if self.queue is not None and leases.pending(self.runner.store, integ.id) is not None:
            return True
        with self._lock:
            live = self._live.get(integ.id)
        return bool(live and live["running"]) or self.runner.is_running(integ.id)

    def start(self, integ: Integration, mode: str | None = None) -> dict[str, Any]:
        """Start a manual sync in a background thread (or queue it for the workers); :class:`SyncInProgress` when
        one is running. ``mode``: ``full`` for the page's Full sync, None to let the connector choose."""
        if mode not in ("full", "incremental"):
            mode = None
        if self.queue is not None:
            self.queue.enqueue(integ, trigger="manual", mode=mode)
            return self.status(integ)
        with self._lock:
            live = self._live.get(integ.id)
            if (live and live["running"]) or self.runner.is_running(integ.id):
                raise SyncInProgress(f"integration {integ.name!r} is syncing already; wait for it to end")
            self._names[integ.name] = integ.id
            self._cancel[integ.id] = threading.Event()
            self._live[integ.id] = {
                "running": True, "sync_id": None, "counts": {}, "requests": None, "rate_limit_wait_seconds": None,
                "message": "starting", "started_at": int(time.time() * 1000), "error": None,
            }
        t = threading.Thread(target=self._run, args=(integ, mode), name=f"web-sync-{integ.id}", daemon=True)
        self._threads.append(t)
        t.start()
        return self.status(integ)

    def _run(self, integ: Integration, mode: str | None = None) -> None:
        error = None
        try:
            self.runner.sync(integ.id, trigger="manual", mode=mode, progress=self.progress,
                             cancelled=self._cancel.setdefault(integ.id, threading.Event()).is_set)
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
                "totals": dict(getattr(event, "totals", None) or {}), "waiting": getattr(event, "waiting", None),
                "eta_seconds": getattr(event, "eta_seconds", None),
            })
            if event.message:
                live["message"] = event.message

    def cancel(self, integ: Integration) -> bool:
        """Ask the integration's running (or queued) sync to stop; False when there is none this host can reach."""
        asked = bool(self.queue is not None and leases.request_cancel(self.runner.store, integ.id))
        with self._lock:
            event = self._cancel.get(integ.id)
            live = self._live.get(integ.id)
        if event is not None and live and live.get("running"):
            event.set()
            asked = True
        return asked

    def _queued_status(self, integ: Integration) -> dict[str, Any]:
        job = leases.pending(self.runner.store, integ.id)
        if job is None:
            ended = leases.jobs(self.runner.store, integ.id, limit=1)
            job = ended[0] if ended else None
        p = (job.progress if job else None) or {}
        counts = p.get("counts") or {}
        running = bool(job and job.state in leases.ACTIVE)
        message = p.get("message") if job and job.state == "running" else None
        if job and job.state == "queued":  # with why, when it was queued again (dead worker, lost message)
            message = "queued: waiting for a worker" + (f" ({job.message})" if job.message else "")
        if job and job.cancel_requested and running:
            message = "cancel requested"
        error = job.message if job and job.state in ("skipped", "failed") else None
        return {
            "integration_id": integ.id, "running": running, "sync_id": (job.sync_id or p.get("sync_id")) if job else None,
            "counts": counts, "records": sum(v for v in counts.values() if isinstance(v, int)),
            "requests": p.get("requests"), "rate_limit_wait_seconds": p.get("rate_limit_wait_seconds"),
            "message": message, "error": error, "job": job.as_dict() if job else None,
            "totals": p.get("totals") or {}, "waiting": p.get("waiting") if running else None,
            "eta_seconds": p.get("eta_seconds") if running else None,
        }

    def status(self, integ: Integration) -> dict[str, Any]:
        if self.queue is not None:
            return self._queued_status(integ)
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
            # per collection the objects expected (Okta's total, else the last sync's count), the rate-limit wait
            # under way and the time left, for the progress panel
            "totals": live.get("totals") or {},
            "waiting": live.get("waiting") if running else None,
            "eta_seconds": live.get("eta_seconds") if running else None,
        }

    def join(self, timeout: float = 30.0) -> None:
        """Wait for the background syncs (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))
