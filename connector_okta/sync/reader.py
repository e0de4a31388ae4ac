"""Reading one collection (:class:`CollectionReader`): its pages, top-level or once per parent, and each object
read: emitted as records, kept for the checks or shown to them, never held otherwise."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from .. import messages
from ..client.errors import NotFound, OktaError
from ..collect import records_for
from ..fanout import ERROR, PAGE, parallel_pages
from ..resources import Resource
from .children import plan_children, settle_children
from .ledger import CollectionLedger
from .outcome import Outcome, SyncStopped


class CollectionReader(CollectionLedger):
    """Reads a collection into its outcome; ``take`` handles each object read, whichever phase reads it."""

    def read(self, res: Resource) -> Iterator[dict[str, Any]]:
        outcome = self.precheck(res)
        if outcome is not None:
            yield from self.finish_collection(res, outcome)
            return
        yield messages.stream_status(res.name, "STARTED")
        if res.parent:
            outcome = yield from self.read_children(res)
        else:
            outcome = yield from self.read_top(res)
        if res.mode == "streamed" or res.phase == "stream":
            yield from self.progress(res.name, outcome.count, force=True)
        yield from self.finish_collection(res, outcome)

    def read_top(self, res: Resource) -> Generator[dict[str, Any], None, Outcome]:
        outcome = Outcome("complete")
        try:
            if res.single:
                body = self.client.get(res.path).json
                if isinstance(body, dict):
                    yield from self.take(res, body, outcome, None)
                return outcome
            for params in self.series(res):
                for page in self.client.paginate(res.path, params):
                    self.check_stop()
                    for item in page or ():
                        yield from self.take(res, item, outcome, None)
                    if res.mode == "streamed" or res.phase == "stream":
                        yield from self.progress(res.name, outcome.count)
        except SyncStopped as stop:
            self.outcomes[res.name] = Outcome.stopped(outcome.count, stop)
            raise
        except OktaError as exc:
            failed, msgs = self.failure(res, exc, outcome.count)
            yield from msgs
            failed.items, failed.count = outcome.items, outcome.count
            return failed
        return outcome

    def read_children(self, res: Resource) -> Generator[dict[str, Any], None, Outcome]:
        """Read ``res`` under each of its parents on the worker pool; a parent deleted meanwhile is skipped."""
        plan = plan_children(res, self.outcomes, self.role_fanout)
        outcome = Outcome("complete")
        if res.mode == "kept":
            outcome.by_parent = {pid: [] for pid in plan.parent_ids}
        params = self.series(res)[0]

        def pages(pid: str) -> Iterator[list[Any]]:
            return self.client.paginate(self.path_of(res, pid), params)

        first_error: Outcome | None = None
        unavailable = False
        stream = parallel_pages(plan.jobs, pages, self.workers)
        try:
            for kind, pid, payload in stream:
                self.check_stop()
                if kind == PAGE:
                    for item in payload or ():
                        yield from self.take(res, item, outcome, pid)
                    if res.mode == "streamed":
                        yield from self.progress(res.name, outcome.count)
                elif kind == ERROR:
                    if isinstance(payload, NotFound):
                        yield messages.log("DEBUG", f"{res.name}: {res.parent} {pid} vanished during the sync")
                        continue
                    failed, msgs = self.failure(res, payload, outcome.count)
                    if first_error is None:
                        first_error = failed
                        yield from msgs
                    if failed.status == "unavailable":
                        unavailable = True
                        break  # the token cannot read this sub-collection at all: stop asking
        except SyncStopped as stop:
            self.outcomes[res.name] = Outcome.stopped(outcome.count, stop)
            raise
        finally:
            stream.close()
        return (yield from settle_children(res, outcome, first_error, unavailable, plan.budget_reason))

    def take(self, res: Resource, item: Any, outcome: Outcome, parent_id: str | None) -> Iterator[dict[str, Any]]:
        """One object read: emit it, keep or visit it."""
        if not isinstance(item, dict):
            yield messages.log("WARNING", f"{res.name}: skipped an object that is not a JSON object")
            return
        outcome.count += 1
        records = records_for(res, item, self.org_ref, parent_id)
        if res.name == "users":
            self.enrich_user(item, records)
        yield from records
        if res.name in ("users", "groups", "devices"):
            self.high_water.see(res.name, item.get("lastUpdated"))
            if res.name == "groups":
                self.high_water.see("groups_membership", item.get("lastMembershipUpdated"))
        if res.mode == "kept":
            outcome.items.append(item)
            if parent_id is not None:
                outcome.by_parent.setdefault(parent_id, []).append(item)
                if isinstance(item.get("id"), str):
                    outcome.parent_of[item["id"]] = parent_id
        else:
            yield from self.visit(res, item, parent_id)

    def enrich_user(self, user: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """Add what the sync knows of a user to its asset record: an admin (listed by /iam/assignees/users) gets
        ``enrichment.is_admin`` and, when read, its role types. Nothing is claimed of other users: the list may not
        name admins whose role comes through a group, so "not listed" is not "not an admin"."""
        admins = self.outcomes.get("admin_users")
        if admins is None or admins.status != "complete":
            return
        if self.admin_ids is None:
            self.admin_ids = {a.get("id") for a in admins.items if isinstance(a, dict)}
        uid = user.get("id")
        if uid not in self.admin_ids:
            return
        enrichment: dict[str, Any] = {"is_admin": True}
        roles = self.outcomes.get("user_roles")
        if roles is not None and roles.status == "complete":
            enrichment["roles"] = sorted({str(r.get("type")) for r in roles.by_parent.get(uid, [])
                                          if isinstance(r, dict) and r.get("type")})
        for message in records:
            if message["record"]["kind"] == "asset":
                message["record"]["enrichment"] = enrichment
