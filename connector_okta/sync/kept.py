"""The kept phase (:class:`KeptPhase`): the small collections every check reads (org settings, authenticators,
policies, zones, apps, ...) read side by side, then their per-parent sub-collections; each is handed whole to
the check engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import messages
from ..fanout import ERROR, PAGE, parallel_pages
from ..resources import RESOURCES, Resource
from .outcome import Outcome, SyncStopped
from .reader import CollectionReader

# kept-phase collections no check reads (only their relationship records matter), in a rate-limit bucket of their
# own (apps): when the sync is known to be full before it starts, they are read in the stream phase, side by side
# with the large collections, instead of alone before them (issue 8: 40 s of 150 s at 100,000 users)
DEFER_WHEN_FULL = frozenset({"app_groups"})


class KeptPhase(CollectionReader):
    """Reads the kept collections before the mode decision, which compares them with the last sync's."""

    def kept_phase(self) -> Iterator[dict[str, Any]]:
        top = [r for r in RESOURCES if r.phase == "kept" and not r.parent and r.name != "org"]
        yield from self.read_many(top)
        known_full = self.prior_full_reason() is not None
        for res in RESOURCES:
            if res.phase == "kept" and res.parent:
                if known_full and res.name in DEFER_WHEN_FULL:
                    self.deferred.append(res)
                    continue
                self.check_stop()
                yield from self.read(res)

    def read_many(self, todo_all: list[Resource]) -> Iterator[dict[str, Any]]:
        """Read independent top-level collections side by side (bounded by max_concurrency)."""
        todo = []
        for res in todo_all:
            pre = self.precheck(res)
            if pre is not None:
                yield from self.finish_collection(res, pre)
            else:
                todo.append(res)
                yield messages.stream_status(res.name, "STARTED")
        running = {res.name: Outcome("complete") for res in todo}
        stream = parallel_pages(todo, self.pages_of, self.workers)
        try:
            for kind, res, payload in stream:
                self.check_stop()
                outcome = running[res.name]
                if kind == PAGE:
                    for item in payload or ():
                        yield from self.take(res, item, outcome, None)
                    continue
                if kind == ERROR:
                    failed, msgs = self.failure(res, payload, outcome.count)
                    yield from msgs
                    failed.items, failed.count = outcome.items, outcome.count
                    outcome = failed
                del running[res.name]
                yield from self.finish_collection(res, outcome)
        except SyncStopped as stop:
            for name, outcome in running.items():
                self.outcomes[name] = Outcome.stopped(outcome.count, stop)
            raise
        finally:
            stream.close()

    def pages_of(self, res: Resource) -> Iterator[list[Any]]:
        """The pages of a top-level collection, every series in turn (run on a worker thread)."""
        if res.single:
            body = self.client.get(res.path).json
            yield [body] if isinstance(body, dict) else []
            return
        for params in self.series(res):
            yield from self.client.paginate(res.path, params)
