"""Run each integration at its auto sync frequency.

An integration with ``interval_minutes`` set (and enabled) is due when its last sync started at least that
long ago, or when it never synced. Missed runs (the host was down for several intervals) are caught up
**once**: the next run is computed from the last sync's start, not replayed per missed slot. A sync left
``running`` by a crashed host is marked ``interrupted`` when the scheduler starts. No two syncs of one
integration run at once (the runner's lock and the store's running row); different integrations run in
parallel on a thread pool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .runner import ProgressCallback, Runner
from .store import Integration, Store, StoreError, SyncInProgress, SyncRecord

log = logging.getLogger(__name__)


@dataclass
class Due:
    integration: Integration
    trigger: str  # "first", "schedule" or "catch-up"
    due_at: int  # epoch ms


class Scheduler:
    def __init__(
        self,
        store: Store,
        runner: Runner,
        *,
        max_workers: int = 4,
        clock: Callable[[], float] = time.time,
        progress: ProgressCallback | None = None,
    ):
        self.store = store
        self.runner = runner
        self.max_workers = max(1, max_workers)
        self.clock = clock
        self.progress = progress
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[int, Future[SyncRecord | None]] = {}

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def recover(self) -> list[int]:
        """Mark syncs a crashed host left running as interrupted (call once at start)."""
        ids = self.store.recover_interrupted()
        for sid in ids:
            log.warning("sync #%s was interrupted by a crash or kill; marked interrupted", sid)
        return ids

    def due(self, now_ms: int | None = None) -> list[Due]:
        """Integrations due for a sync at ``now_ms``, each once."""
        now = self.now_ms() if now_ms is None else now_ms
        out: list[Due] = []
        for integ in self.store.list_integrations():
            if not integ.enabled or not integ.interval_minutes or integ.interval_minutes <= 0:
                continue
            last = self.store.last_sync(integ.id)
            if last is None:
                out.append(Due(integ, "first", now))
                continue
            if last.status == "running":
                continue
            interval = integ.interval_minutes * 60_000
            due_at = last.started_at + interval
            if now >= due_at:
                out.append(Due(integ, "catch-up" if now >= due_at + interval else "schedule", due_at))
        return out

    def next_due_in(self, now_ms: int | None = None) -> float | None:
        """Seconds until the next integration is due (0 when one is due now), None when none is scheduled."""
        now = self.now_ms() if now_ms is None else now_ms
        best: float | None = None
        for integ in self.store.list_integrations():
            if not integ.enabled or not integ.interval_minutes or integ.interval_minutes <= 0:
                continue
            last = self.store.last_sync(integ.id)
            if last is not None and last.status == "running":
                continue  # running now: not started twice
            wait = 0.0 if last is None else max(0.0, (last.started_at + integ.interval_minutes * 60_000 - now) / 1000)
            best = wait if best is None else min(best, wait)
        return best

    def _run_one(self, item: Due) -> SyncRecord | None:
        try:
            record = self.runner.sync(
                item.integration.id, trigger=item.trigger, progress=self.progress, cancelled=self._stop.is_set
            )
            log.info("integration %s: sync #%s %s", item.integration.name, record.id, record.status)
            return record
        except SyncInProgress as e:
            log.info("integration %s: %s", item.integration.name, e)
        except StoreError as e:
            log.error("integration %s: %s", item.integration.name, e)
        except Exception:
            log.exception("integration %s: the sync could not run", item.integration.name)
        return None

    def run_once(self, now_ms: int | None = None) -> list[SyncRecord]:
        """Run every due integration (in parallel, up to ``max_workers``) and wait for them."""
        items = [d for d in self.due(now_ms) if not self.runner.is_running(d.integration.id)]
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items)), thread_name_prefix="sync") as pool:
            results = list(pool.map(self._run_one, items))
        return [r for r in results if r is not None]

    def run_forever(self, *, poll_seconds: float = 30.0) -> None:
        """Loop until :meth:`stop`: start due syncs as workers free up; running syncs are cancelled on stop."""
        self.recover()
        self._pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="sync")
        try:
            while not self._stop.is_set():
                self._futures = {i: f for i, f in self._futures.items() if not f.done()}
                for item in self.due():
                    iid = item.integration.id
                    if iid in self._futures or self.runner.is_running(iid):
                        continue
                    self._futures[iid] = self._pool.submit(self._run_one, item)
                wait = self.next_due_in()
                wait = poll_seconds if wait is None else min(poll_seconds, max(wait, 0.5))
                self._stop.wait(wait)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def stop(self) -> None:
        self._stop.set()
