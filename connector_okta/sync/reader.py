"""Reading collections (:class:`CollectionReader`): their jobs (request series, or the reads under each parent) on
the worker pool, each object read (emitted as records, kept for the checks or shown to them, never held
otherwise), and what each job came to.

Never a failed read taken for an empty one: a job that fails (any status, a timeout, a malformed body, the budget)
leaves its series or its parent's children unknown, named in the outcome's gaps, and the collection INCOMPLETE. A
per-parent read answered 404 re-reads the parent itself: only a 404 there too makes the parent deleted (dropped from
judgement and reported); otherwise the 404 is a failed read like any other."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

from .. import messages
from ..checks import Gap
from ..client.errors import NotFound, OktaError, ResponseError
from ..collect import records_for
from ..fanout import DONE, ERROR, PAGE, parallel_pages
from ..resources import BY_NAME, Resource, beyond_least_role
from .children import MAX_ALIVE_REREADS, Job, NotAsked, Reads, SeriesEvent, plan_children
from .ledger import CollectionLedger
from .outcome import Outcome, SyncStopped

REFUSALS = ("permission", "feature")  # Okta will not serve this collection to this token or org: stop asking
ABSENT = ("permission", "feature", "not_found")  # a top-level collection refused before anything was read


class CollectionReader(CollectionLedger):
    """Reads collections into their outcomes; ``take`` handles each object read, whichever phase reads it."""

    def read(self, res: Resource) -> Iterator[dict[str, Any]]:
        """One collection: its series in turn, or its parents on the worker pool."""
        readers = yield from self.start_reads([res])
        for reads in readers:
            yield from self.run_reads([reads], reads.jobs, self.workers if res.parent else 1)

    def start_reads(self, resources: Iterable[Resource], *,
                    announce: Callable[[Resource], Iterator[dict[str, Any]]] | None = None,
                    ) -> Generator[dict[str, Any], None, list[Reads]]:
        """Each collection's outcome when its precheck settles it (disabled, not applicable, ...), else its
        ``STARTED`` (and what ``announce`` tells of it); returns the reads of the collections to read."""
        readers = []
        for res in resources:
            outcome = self.precheck(res)
            if outcome is not None:
                yield from self.finish_collection(res, outcome)
                continue
            yield messages.stream_status(res.name, "STARTED")
            if announce is not None:
                yield from announce(res)
            readers.append(self.open_reads(res))
        return readers

    # ------------------------------------------------------------------------------------------ the jobs

    def open_reads(self, res: Resource) -> Reads:
        """The jobs of one collection (and its fan-out budget spent)."""
        reads = Reads(res)
        if res.parent:
            # the admins' factors are the checks' reads, on the checks' budget (resources.py: user_factors)
            fan = self.check_fanout if res.name == "user_factors" else self.role_fanout
            plan = plan_children(res, self.outcomes, fan)
            reads.parent_ids, reads.budget_reason = plan.parent_ids, plan.budget_reason
            reads.done_parents.update(plan.known_empty)  # Okta says they have none: read, with no request
            reads.series = self.series(res)[:1]
            reads.jobs = [Job(res.name, parent=pid) for pid in plan.jobs]
        else:
            reads.series = [{}] if res.single else self.series(res)
            reads.jobs = [Job(res.name)]
        reads.pending = len(reads.jobs)
        return reads

    def job_pages(self, reads: Reads, job: Job) -> Iterator[Any]:
        """The pages of one job (run on a worker thread): the reads under one parent, or every series of a
        top-level collection in order, each one's end or failure told by a :class:`SeriesEvent`."""
        if reads.refused is not None:
            raise NotAsked()
        res = reads.res
        if job.parent is not None:
            try:
                yield from self.client.paginate(self.path_of(res, job.parent), reads.series[0])
            except OktaError as exc:
                if exc.kind in REFUSALS and reads.refused is None:
                    reads.refused = exc  # the other workers stop asking now, not when the consumer gets here
                raise
            return
        for index, params in enumerate(reads.series):
            try:
                if res.single:
                    body = self.client.get(res.path).json
                    if not isinstance(body, dict):
                        raise ResponseError(f"GET {res.path}: expected a JSON object, got {type(body).__name__}; "
                                            "this read is incomplete", kind="internal")
                    yield SeriesEvent(PAGE, index, [body])
                else:
                    for page in self.client.paginate(res.path, params):
                        yield SeriesEvent(PAGE, index, page)
            except OktaError as exc:
                if exc.kind in ("credentials", "config"):
                    raise  # nothing more can be read: the consumer stops the sync
                yield SeriesEvent(ERROR, index, exc)
            else:
                yield SeriesEvent(DONE, index)

    def run_reads(self, readers: list[Reads], jobs: list[Job], workers: int, *, queue_size: int | None = None,
                  finish_early: bool = True) -> Iterator[dict[str, Any]]:
        """Run the jobs of several collections on one bounded pool; each collection is settled and finished when
        its last job is (or, ``finish_early=False``, all of them at the end, in order)."""
        by_name = {r.res.name: r for r in readers}
        finished: set[str] = set()
        stream = parallel_pages(jobs, lambda job: self.job_pages(by_name[job.name], job), workers,
                                queue_size=queue_size)
        try:
            for reads in readers:
                if reads.pending == 0 and finish_early:
                    finished.add(reads.res.name)
                    yield from self.settle_and_finish(reads)
            for kind, job, payload in stream:
                self.check_stop()
                reads = by_name[job.name]
                yield from self.on_job_event(reads, kind, job, payload)
                if kind != PAGE:
                    reads.pending -= 1
                    if reads.pending == 0 and finish_early:
                        finished.add(reads.res.name)
                        yield from self.settle_and_finish(reads)
        except SyncStopped as stop:
            for reads in readers:
                if reads.res.name not in finished:
                    self.outcomes[reads.res.name] = Outcome.stopped(reads.outcome.count, stop)
            raise
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        for reads in readers:
            if reads.res.name not in finished:
                yield from self.settle_and_finish(reads)

    def settle_and_finish(self, reads: Reads) -> Iterator[dict[str, Any]]:
        outcome = yield from self.settle(reads)
        if reads.res.mode == "streamed" or reads.res.phase == "stream":
            yield from self.progress(reads.res.name, outcome.count, force=True)
        yield from self.finish_collection(reads.res, outcome)

    def on_job_event(self, reads: Reads, kind: str, job: Job, payload: Any) -> Iterator[dict[str, Any]]:
        res, outcome = reads.res, reads.outcome
        if kind == PAGE and isinstance(payload, SeriesEvent):
            reads.current_series = payload.index
            if payload.kind == DONE:
                reads.done_series.add(payload.index)
            elif payload.kind == ERROR:
                yield from self.job_failed(reads, job, payload.payload)
            else:
                target = outcome
                if res.mode == "kept" and len(reads.series) > 1:  # kept in series order, whatever the timing
                    target = Outcome("complete", items=reads.series_items.setdefault(payload.index, []))
                self.unreadable(reads, job, payload.payload)
                for item in payload.payload or ():
                    yield from self.take(res, item, target, None)
                if res.mode == "streamed" or res.phase == "stream":
                    yield from self.progress(res.name, outcome.count)
        elif kind == PAGE:
            self.unreadable(reads, job, payload)
            for item in payload or ():
                yield from self.take(res, item, outcome, job.parent)
            if res.mode == "streamed":
                yield from self.progress(res.name, outcome.count)
        elif kind == DONE and job.parent is not None:
            reads.done_parents.add(job.parent)
            if res.mode == "kept":
                outcome.by_parent.setdefault(job.parent, [])
        elif kind == ERROR:
            yield from self.job_failed(reads, job, payload)

    def unreadable(self, reads: Reads, job: Job, page: Any) -> None:
        """A page with elements that are not objects: the others are read, but the listing is not complete (its
        series, or its parent's children, becomes a gap)."""
        bad = sum(1 for item in page or () if not isinstance(item, dict))
        if not bad:
            return
        res = reads.res
        what = f"{bad} element(s) of a page are not JSON objects and could not be read"
        if job.parent is not None:
            request = f"GET {self.path_of(res, job.parent)}"
            reads.outcome.gaps.setdefault(job.parent, Gap(reads.subject(job), what, request, "internal"))
        else:
            key = reads.series_key(reads.current_series)
            request = f"GET {res.path}" + (f"?{key}" if key else "")
            reads.outcome.series_gaps.setdefault(key, Gap(reads.subject(job, reads.current_series), what, request,
                                                          "internal"))

    def job_failed(self, reads: Reads, job: Job, exc: BaseException) -> Iterator[dict[str, Any]]:
        """A job that did not finish: its series or its parent's children become a gap (or its parent is confirmed
        deleted); a refusal stops the collection's other jobs."""
        res, outcome = reads.res, reads.outcome
        if isinstance(exc, NotAsked):
            return  # settled with the refusal that stopped it
        if not isinstance(exc, OktaError):
            raise exc  # a bug: let the sync's guard report it
        self.stop_if_fatal(exc)
        if job.parent is None:
            index = reads.current_series
            reads.series_errors.append((index, exc))
            reads.series_items.pop(index, None)
            key = reads.series_key(index)
            outcome.series_gaps[key] = reads.gap(job, exc, f"GET {res.path}" + (f"?{key}" if key else ""), index)
            return
        outcome.by_parent.pop(job.parent, None)  # a part of its children is not its children
        request = f"GET {self.path_of(res, job.parent)}"
        if isinstance(exc, NotFound):
            deleted = yield from self.confirm_deleted(reads, job.parent, request)
            if deleted:
                return
        outcome.gaps[job.parent] = reads.gap(job, exc, request)

    def confirm_deleted(self, reads: Reads, pid: str, request: str) -> Generator[dict[str, Any], None, bool]:
        """Re-read the parent ``pid`` whose children answered 404: deleted (True) only if it answers 404 too."""
        parent = BY_NAME[reads.res.parent] if reads.res.parent else None
        if parent is None or not parent.item_path or reads.alive_rereads >= MAX_ALIVE_REREADS:
            return False
        grandparent = self.outcomes[parent.name].parent_of.get(pid) if parent.parent else None
        path = parent.item_path.format(id=pid, parent_id=grandparent)
        try:
            self.client.get(path)
        except NotFound:
            reason = (f"{reads.parent_label} {pid} was deleted during the sync: {request} and GET {path} both "
                      "answered 404; it is not judged")
            reads.outcome.deleted[pid] = reason
            yield messages.log("INFO", f"{reads.res.name}: {reason}")
            yield from self.drop_deleted(parent, pid, reason)
            return True
        except OktaError as exc:
            self.stop_if_fatal(exc)
            return False
        reads.alive_rereads += 1
        return False

    def drop_deleted(self, parent: Resource, pid: str, reason: str) -> Iterator[dict[str, Any]]:
        """Drop a deleted object from its (already read) collection and hand the collection to the checks again."""
        outcome = self.outcomes.get(parent.name)
        if outcome is None:
            return
        outcome.deleted[pid] = reason
        outcome.items[:] = [i for i in outcome.items if not (isinstance(i, dict) and i.get("id") == pid)]
        for kids in outcome.by_parent.values():
            kids[:] = [i for i in kids if not (isinstance(i, dict) and i.get("id") == pid)]
        yield from self.give_engine(parent.name, outcome)

    def settle(self, reads: Reads) -> Generator[dict[str, Any], None, Outcome]:
        """What the collection came to once every job is in: complete, incomplete with its gaps named, or
        unavailable when Okta refused it before anything was read."""
        res, outcome = reads.res, reads.outcome
        if res.parent:
            yield from self.settle_parents(reads)
            if self.refused_whole(reads):
                return (yield from self.refused_outcome(res, reads.refused))
        else:
            if res.mode == "kept" and len(reads.series) > 1:
                outcome.items = [i for k in sorted(reads.series_items) for i in reads.series_items[k]]
                outcome.count = len(outcome.items)
            if reads.series_errors and not reads.done_series and outcome.count == 0 \
                    and reads.series_errors[0][1].kind in ABSENT:
                return (yield from self.refused_outcome(res, reads.series_errors[0][1]))
            for _, exc in reads.series_errors:
                if exc.kind != "feature":
                    yield messages.error(error_kind(exc.kind), str(exc), stream=res.name,
                                         request_id=exc.request_id, fatal=False)
        outcome.settle_gaps(res.name, reads.parent_label if res.parent else None)
        return outcome

    def settle_parents(self, reads: Reads) -> Iterator[dict[str, Any]]:
        """Name a gap for every parent not read (budget, refusal), keep only the complete parents' children, and
        report the first failure."""
        res, outcome = reads.res, reads.outcome
        planned = {job.parent for job in reads.jobs}
        for pid in reads.parent_ids:
            if pid in reads.done_parents or pid in outcome.gaps or pid in outcome.deleted:
                continue
            subject = f"{reads.parent_label} {pid}"
            if pid not in planned:
                outcome.gaps[pid] = Gap(subject, reads.budget_reason or "not read (fan-out budget)", kind="budget")
            else:
                refused = reads.refused
                why = f"not read: Okta refused this collection ({refused})" if refused else "not read"
                outcome.gaps[pid] = Gap(subject, why, f"GET {self.path_of(res, pid)}",
                                        refused.kind if refused else "internal",
                                        refused.status if refused else None)
        if res.mode == "kept":
            outcome.by_parent = {pid: outcome.by_parent.get(pid, []) for pid in reads.parent_ids
                                 if pid in reads.done_parents and pid not in outcome.gaps}
            outcome.items = [item for pid in outcome.by_parent for item in outcome.by_parent[pid]]
            outcome.parent_of = {k: v for k, v in outcome.parent_of.items() if v in outcome.by_parent}
        failed = [g for g in outcome.gaps.values() if g.kind not in ("budget", "feature")]
        if failed and not self.refused_whole(reads):
            first = failed[0]
            more = f" ({len(failed) - 1} more {reads.parent_label}s could not be read either)" if len(failed) > 1 \
                else ""
            yield messages.error(error_kind(first.kind), f"{first.sentence()}{more}", stream=res.name,
                                 request_id=first.request_id, fatal=False)
        if reads.budget_reason:
            yield messages.log("WARNING", f"{res.name}: {reads.budget_reason}")

    @staticmethod
    def refused_whole(reads: Reads) -> bool:
        """Whether Okta refused the whole sub-collection: before any parent was read, or, for one that needs a role
        this credential lacks (Super Administrator only), before anything was read (the parents Okta says have
        none, read without a request, change nothing: it is out of scope)."""
        if reads.refused is None:
            return False
        return not reads.done_parents or (reads.refused.kind == "permission" and beyond_least_role(reads.res)
                                          and reads.outcome.count == 0)

    def refused_outcome(self, res: Resource, exc: OktaError) -> Generator[dict[str, Any], None, Outcome]:
        """Okta would not serve the collection at all (403, feature not enabled, an absent endpoint's 404)."""
        if exc.kind == "permission" and beyond_least_role(res):  # Super Administrator only: out of scope
            outcome, msgs = self.out_of_scope(res, exc)
            yield from msgs
            return outcome
        kind = "feature" if exc.kind == "not_found" else exc.kind
        if kind != "feature":
            yield messages.error(exc.kind, str(exc), stream=res.name, request_id=exc.request_id, fatal=False)
        return Outcome("unavailable", reason=str(exc), error_kind=kind)

    # ------------------------------------------------------------------------------------------ each object

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
        kids = roles.by_parent.get(uid) if roles is not None and roles.status == "complete" else None
        if kids is not None:
            enrichment["roles"] = sorted({str(r.get("type")) for r in kids if isinstance(r, dict) and r.get("type")})
        for message in records:
            if message["record"]["kind"] == "asset":
                message["record"]["enrichment"] = enrichment


def error_kind(kind: str | None) -> str:
    """The ERROR message kind of a failed read: a 404 under an object that exists (or in a series that should) is
    no missing feature, and may well pass on a later sync (``transient``)."""
    return "transient" if kind == "not_found" else kind or "internal"


def gaps_of(outcomes: Iterable[Outcome]) -> list[Gap]:
    """Every gap of some outcomes (for tests and reports)."""
    return [g for o in outcomes for g in (*o.series_gaps.values(), *o.gaps.values())]
