"""The kept phase (:class:`KeptPhase`): the small collections every check reads (org settings, authenticators,
policies, zones, apps, ...) read side by side, then their per-parent sub-collections; each is handed whole to
the check engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..resources import BY_NAME, RESOURCES, Resource
from .children import interleave
from .reader import CollectionReader

# kept-phase collections no check reads (only their relationship records matter), in a rate-limit bucket of their
# own (apps): read after the mode decision, on a full sync side by side with the large collections instead of alone
# before them (issue 8: 40 s of 150 s at 100,000 users), on a re-sync only under the apps that changed (issue 18)
DEFER_WHEN_FULL = frozenset({"app_groups"})


class KeptPhase(CollectionReader):
    """Reads the kept collections before the mode decision, which compares them with the last sync's."""

    def kept_phase(self) -> Iterator[dict[str, Any]]:
        top = [r for r in RESOURCES if r.phase == "kept" and not r.parent and r.name != "org"]
        yield from self.read_many(top)
        subs = []
        for res in RESOURCES:
            if res.phase == "kept" and res.parent:
                if res.name in DEFER_WHEN_FULL:
                    self.deferred.append(res)
                else:
                    subs.append(res)
        # the sub-collections of the top-level ones side by side on one pool (a policy's rules, an admin's roles
        # and factors, ...: issue 18), then those of sub-collections (an authorization server policy's rules)
        for wave in ([r for r in subs if not BY_NAME[r.parent].parent], [r for r in subs if BY_NAME[r.parent].parent]):
            self.check_stop()
            yield from self.read_side_by_side(wave)

    def read_side_by_side(self, resources: list[Resource]) -> Iterator[dict[str, Any]]:
        readers = yield from self.start_reads(resources)
        yield from self.run_reads(readers, interleave(readers), self.workers)

    def read_many(self, todo_all: list[Resource]) -> Iterator[dict[str, Any]]:
        """Read independent top-level collections side by side (bounded by max_concurrency), one job per request
        series: a series that fails leaves the others read."""
        readers = yield from self.start_reads(todo_all)
        yield from self.run_reads(readers, [job for reads in readers for job in reads.jobs], self.workers)
