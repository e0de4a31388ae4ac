"""Bounded concurrency for per-parent reads, and the request budget the checks spend.

:func:`parallel_pages` reads many small request series (one per parent object: a policy's rules, an app's
users) on at most ``workers`` threads. Pages travel to the caller through a bounded queue, so a slow consumer
holds the workers back and memory stays flat whatever the org's size. The caller's thread does all the
emitting; workers only fetch.

:class:`BudgetFanout` is the concrete ``Fanout`` of the check API: ``get_json(path)`` spends one request of a
fixed budget and raises ``BudgetExhausted`` when none is left.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

J = TypeVar("J")

PAGE = "page"
DONE = "done"
ERROR = "error"
_EXIT = "exit"


def parallel_pages(
    jobs: Iterable[J],
    pages_of: Callable[[J], Iterable[list[Any]]],
    workers: int,
    *,
    queue_size: int | None = None,
) -> Iterator[tuple[str, J, Any]]:
    """Yield ``("page", job, page)``, then ``("done", job, None)`` or ``("error", job, exc)`` per job.

    Pages of one job arrive in order; jobs interleave. With ``workers <= 1`` everything runs on the caller's
    thread. Closing the iterator stops the workers after their current request.
    """
    if workers <= 1:
        for job in jobs:
            try:
                for page in pages_of(job):
                    yield PAGE, job, page
            except Exception as exc:  # noqa: BLE001 - handed to the caller, who classifies it
                yield ERROR, job, exc
            else:
                yield DONE, job, None
        return

    q: queue.Queue[tuple[str, Any, Any]] = queue.Queue(maxsize=queue_size or workers * 2)
    stop = threading.Event()
    lock = threading.Lock()
    job_iter = iter(jobs)

    def put(msg: tuple[str, Any, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(msg, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            while not stop.is_set():
                with lock:
                    job = next(job_iter, None)
                if job is None:
                    break
                try:
                    for page in pages_of(job):
                        if not put((PAGE, job, page)):
                            return
                except Exception as exc:  # noqa: BLE001
                    if not put((ERROR, job, exc)):
                        return
                else:
                    if not put((DONE, job, None)):
                        return
        finally:
            # the exit marker must arrive even when the queue is full and we are stopping
            while True:
                try:
                    q.put((_EXIT, None, None), timeout=0.1)
                    break
                except queue.Full:
                    if stop.is_set():
                        try:
                            q.get_nowait()
                        except queue.Empty:
                            pass

    threads = [threading.Thread(target=work, name=f"okta-fanout-{i}", daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    alive = len(threads)
    try:
        while alive:
            kind, job, payload = q.get()
            if kind == _EXIT:
                alive -= 1
                continue
            yield kind, job, payload
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)


class BudgetExhaustedFallback(Exception):
    """Used only when the check package does not define ``BudgetExhausted``."""


def budget_exhausted_cls() -> type[Exception]:
    try:
        from .checks.context import BudgetExhausted  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - the checks package ships it
        return BudgetExhaustedFallback
    return BudgetExhausted


class BudgetFanout:
    """A request budget over the client for per-object reads (``ctx.fanout`` of the check API)."""

    def __init__(self, client: Any, budget: int, exhausted: type[Exception] | None = None) -> None:
        self._client = client
        self.budget = max(0, int(budget))
        self.used = 0
        self._lock = threading.Lock()
        self._exhausted = exhausted or budget_exhausted_cls()

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)

    def take(self) -> None:
        """Spend one request, or raise ``BudgetExhausted``."""
        with self._lock:
            if self.used >= self.budget:
                raise self._exhausted(f"fan-out budget of {self.budget} requests spent")
            self.used += 1

    def get_json(self, path: str) -> Any:
        self.take()
        return self._client.get(path).json
