"""The stream phase of a full sync (:class:`StreamPhase`): groups and group roles first, then users, app
assignments, group memberships and devices read side by side on one worker pool, each object emitted and
visited by the check engine, never held."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..resources import RESOURCES, Resource
from .children import interleave
from .reader import CollectionReader


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

    def announce_total(self, res: Resource) -> Iterator[dict[str, Any]]:
        """A PROGRESS with the objects Okta says the collection holds, where it says so (users: the Everyone
        group's ``usersCount``, read with the groups), so the host shows read of total rather than an estimate."""
        if res.name != "users":
            return
        from .delta import everyone_count  # (delta imports the reader too)

        total = everyone_count(self.outcomes.get("groups"))
        if total:
            yield {"type": "PROGRESS", "progress": {"stream": "users", "count": 0, "total": total,
                                                    "message": f"users: {total:,} in the org (the Everyone group)"}}

    def read_together(self, resources: list[Resource]) -> Iterator[dict[str, Any]]:
        """Read several collections on one bounded worker pool, their requests interleaved (issue 8: the
        sync's time is set by the busiest rate-limit bucket, not by the sum of them). Each collection gets
        the outcome :meth:`read` would give it; pages of one series stay in order."""
        readers = yield from self.start_reads(resources, announce=self.announce_total)
        # a queue of one page per worker: a page of 1,000 members parses to a few MB, and memory must stay flat
        yield from self.run_reads(readers, interleave(readers), self.workers, queue_size=self.workers,
                                  finish_early=False)
