"""The stream phase of a full sync (:class:`StreamPhase`): groups and group roles first, then users, app
assignments, group memberships and devices read side by side on one worker pool, each object emitted and
visited by the check engine, never held."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import messages
from ..client.errors import NotFound
from ..fanout import ERROR, PAGE, parallel_pages
from ..resources import RESOURCES, Resource
from .children import plan_children, settle_children
from .outcome import Outcome, SyncStopped
from .reader import CollectionReader

Job = tuple[str, str | None]  # (collection name, parent id or None for a top-level series)


@dataclass
class Lane:
    """One collection read by :meth:`StreamPhase.read_together`."""

    res: Resource
    outcome: Outcome = field(default_factory=lambda: Outcome("complete"))
    jobs: list[str | None] = field(default_factory=list)
    budget_reason: str | None = None
    first_error: Outcome | None = None
    unavailable: bool = False


def interleave(lanes: dict[str, Lane]) -> list[Job]:
    """Top-level series first (one worker each, for their whole length), then the per-parent reads of all
    collections spread evenly, so no bucket's jobs bunch up while another bucket idles."""
    order = sorted(((0.0 if pid is None else (i + 0.5) / len(lane.jobs), k, i) for k, lane in
                    enumerate(lanes.values()) for i, pid in enumerate(lane.jobs)))
    names = list(lanes)
    return [(names[k], lanes[names[k]].jobs[i]) for _, k, i in order]


class StreamPhase(CollectionReader):
    """Reads the large collections of a full sync; the deferred kept ones (DEFER_WHEN_FULL) join them."""

    def stream_phase(self) -> Iterator[dict[str, Any]]:
        todo = [res for res in RESOURCES if res.phase == "stream"]
        # first, in order, what other reads or the streamed checks' visits depend on: the parents (groups) and the
        # kept collections (group roles: okta-admin-group-size looks them up while it visits memberships)
        first = [res for res in todo if res.mode == "kept" or any(other.parent == res.name for other in todo)]
        for res in first:
            self.check_stop()
            yield from self.read(res)
        # then the streamed ones side by side: their requests fall in different rate-limit buckets (app users in
        # apps, users in users, memberships in groups), so each bucket's quota is used while the others wait
        self.check_stop()
        yield from self.read_together(self.deferred + [res for res in todo if res not in first])

    def read_together(self, resources: list[Resource]) -> Iterator[dict[str, Any]]:
        """Read several collections on one bounded worker pool, their requests interleaved (issue 8: the
        sync's time is set by the busiest rate-limit bucket, not by the sum of them). Each collection gets
        the outcome :meth:`read` would give it; pages of one series stay in order."""
        lanes = yield from self.open_lanes(resources)

        def pages(job: Job) -> Iterator[list[Any]]:
            return self.lane_pages(lanes[job[0]], job[1])

        # a queue of one page per worker: a page of 1,000 members parses to a few MB, and memory must stay flat
        stream = parallel_pages(interleave(lanes), pages, self.workers, queue_size=self.workers)
        try:
            yield from self.drain(stream, lanes)
        except SyncStopped as stop:
            for lane in lanes.values():
                self.outcomes[lane.res.name] = Outcome.stopped(lane.outcome.count, stop)
            raise
        finally:
            stream.close()
        for lane in lanes.values():
            outcome = yield from settle_children(lane.res, lane.outcome, lane.first_error, lane.unavailable,
                                                 lane.budget_reason)
            yield from self.progress(lane.res.name, outcome.count, force=True)
            yield from self.finish_collection(lane.res, outcome)

    def open_lanes(self, resources: list[Resource]) -> Generator[dict[str, Any], None, dict[str, Lane]]:
        """A lane per collection to read (and its fan-out budget spent); the others get their outcome now."""
        lanes: dict[str, Lane] = {}
        for res in resources:
            pre = self.precheck(res)
            if pre is not None:
                yield from self.finish_collection(res, pre)
                continue
            yield messages.stream_status(res.name, "STARTED")
            lane = lanes[res.name] = Lane(res)
            if res.parent:
                plan = plan_children(res, self.outcomes, self.role_fanout)
                if res.mode == "kept":
                    lane.outcome.by_parent = {pid: [] for pid in plan.parent_ids}
                lane.jobs, lane.budget_reason = list(plan.jobs), plan.budget_reason
            else:
                lane.jobs = [None]
        return lanes

    def lane_pages(self, lane: Lane, pid: str | None) -> Iterator[list[Any]]:
        """The pages of one job (run on a worker thread): a top-level series, or the reads under one parent."""
        if lane.unavailable:
            return
        if pid is None:
            for params in self.series(lane.res):
                yield from self.client.paginate(lane.res.path, params)
        else:
            yield from self.client.paginate(self.path_of(lane.res, pid), self.series(lane.res)[0])

    def drain(self, stream: Iterable[tuple[str, Job, Any]], lanes: dict[str, Lane]) -> Iterator[dict[str, Any]]:
        """Take the pages and errors of every lane as the workers deliver them."""
        for kind, (name, pid), payload in stream:
            self.check_stop()
            lane = lanes[name]
            res, outcome = lane.res, lane.outcome
            if kind == PAGE:
                for item in payload or ():
                    yield from self.take(res, item, outcome, pid)
                yield from self.progress(res.name, outcome.count)
            elif kind == ERROR:
                if isinstance(payload, NotFound) and pid is not None:
                    yield messages.log("DEBUG", f"{res.name}: {res.parent} {pid} vanished during the sync")
                    continue
                failed, msgs = self.failure(res, payload, outcome.count)
                if lane.first_error is None:
                    lane.first_error = failed
                    yield from msgs
                if failed.status == "unavailable":
                    lane.unavailable = True  # the token cannot read this collection: stop asking
