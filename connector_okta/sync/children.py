"""What a collection's read is made of: its jobs (one per request series of a top-level collection, one per parent
object of a sub-collection: a policy's rules, an app's users, a group's members), which parents the fan-out budget
covers, and what each job came to (:class:`Reads`). Completeness is tracked per job: a job that fails leaves its
series or its parent's children unknown (a gap), never an empty list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..checks import Gap
from ..client.errors import OktaError
from ..fanout import BudgetFanout
from ..resources import BY_NAME, Resource
from .admin_groups import role_group_plan
from .outcome import Outcome

# a parent whose child read answered 404 is re-read to tell a deleted parent from a failed read; after this many
# parents of one collection turned out to exist, its 404s are taken as failures without asking again (an endpoint
# that answers 404 for every parent must not double the requests)
MAX_ALIVE_REREADS = 3


@dataclass(frozen=True)
class Job:
    """What one worker reads in one go: every request series of a top-level collection in turn (``parent`` None),
    or the reads under one parent."""

    name: str
    parent: str | None = None


@dataclass(frozen=True)
class SeriesEvent:
    """What a top-level job hands the consumer: a page of series ``index``, its end, or its failure (the job goes
    on with the next series)."""

    kind: str  # "page" | "done" | "error"
    index: int
    payload: Any = None


@dataclass
class ChildPlan:
    """The parents of a sub-collection, and those whose reads the budget allows (``jobs``)."""

    parent_ids: list[str]
    jobs: list[str]
    budget_reason: str | None = None  # why some parents are left out
    known_empty: list[str] = field(default_factory=list)  # parents Okta says have none (no request needed)


class NotAsked(Exception):
    """A job dropped before its first request: Okta already refused this collection (403, feature)."""


@dataclass
class Reads:
    """The read of one collection, job by job (filled by the consumer thread only)."""

    res: Resource
    outcome: Outcome = field(default_factory=lambda: Outcome("complete"))
    jobs: list[Job] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)  # the parameter sets of a top-level collection
    parent_ids: list[str] = field(default_factory=list)  # every parent, read or not (sub-collections)
    budget_reason: str | None = None
    pending: int = 0  # jobs not finished yet
    done_parents: set[str] = field(default_factory=set)
    done_series: set[int] = field(default_factory=set)
    series_items: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # kept top-level: served order
    series_errors: list[tuple[int, OktaError]] = field(default_factory=list)
    current_series: int = 0  # the series a top-level job is reading
    refused: OktaError | None = None  # 403 / feature on a per-parent read: the other parents are not asked
    alive_rereads: int = 0

    @property
    def parent_label(self) -> str:
        """How a parent is named ("policy", "user", "group", ...)."""
        parent = BY_NAME[self.res.parent] if self.res.parent else None
        if parent is None:
            return self.res.name
        return self.res.principal or parent.asset_type or parent.name

    def subject(self, job: Job, series: int = 0) -> str:
        if job.parent is not None:
            return f"{self.parent_label} {job.parent}"
        return self.series_key(series) or self.res.name

    def series_key(self, index: int) -> str:
        return self.res.series_key(self.series[index]) if index < len(self.series) else ""

    def gap(self, job: Job, exc: BaseException, request: str | None, series: int = 0) -> Gap:
        subject = self.subject(job, series)
        if isinstance(exc, OktaError):
            return Gap(subject, str(exc), request, exc.kind, exc.status, exc.request_id)
        return Gap(subject, str(exc) or type(exc).__name__, request, "internal")


def role_groups(roles: Outcome | None) -> set[str]:
    """Groups known to hold admin roles: a user's role assigned through a group names it."""
    out: set[str] = set()
    for role in roles.items if roles else ():
        href = ((role.get("_links") or {}).get("assignee") or {}).get("href")
        if role.get("assignmentType") == "GROUP" and isinstance(href, str) and "/groups/" in href:
            out.add(href.rstrip("/").rsplit("/", 1)[-1])
    return out


def parents_of(res: Resource, outcomes: dict[str, Outcome]) -> list[str]:
    """The ids of the parent objects ``res`` is read under, in the order to read them."""
    parent = outcomes[res.parent]
    ids = []
    for item in parent.items:
        pid = item.get("id")
        if not isinstance(pid, str) or not pid:
            continue
        if any(item.get(k) not in allowed for k, allowed in res.parent_where.items()):
            continue
        ids.append(pid)
    ids = list(dict.fromkeys(ids))  # one read per parent, even if a listing served it twice
    if res.fanout and res.parent == "groups":
        # groups known to hold admin roles come first, so a budget smaller than the number of groups still
        # covers them
        known = role_groups(outcomes.get("user_roles"))
        ids = [g for g in ids if g in known] + [g for g in ids if g not in known]
    return ids


def plan_children(res: Resource, outcomes: dict[str, Outcome], fan: BudgetFanout) -> ChildPlan:
    """The parents to read ``res`` under; a fan-out collection spends one request of ``fan`` per parent read."""
    parent_ids = parents_of(res, outcomes)
    plan = ChildPlan(parent_ids, list(parent_ids))
    if res.fanout and res.parent == "groups":  # only the groups Okta flags as holding a role (admin_groups)
        groups = outcomes.get("groups")
        split = role_group_plan(parent_ids, groups.items if groups else (), role_groups(outcomes.get("user_roles")))
        if split is not None:
            plan.jobs, plan.known_empty = split
    if res.fanout:
        if len(plan.jobs) > fan.remaining:
            wanted = len(plan.jobs)
            plan.jobs = plan.jobs[: fan.remaining]
            plan.budget_reason = (f"the fan-out budget ({fan.budget} requests) covers {len(plan.jobs)} of "
                                  f"{wanted} {res.parent}; raise fanout_budget to read them all")
        for _ in plan.jobs:
            fan.take()
    return plan


def interleave(readers: Iterable[Reads]) -> list[Job]:
    """Top-level series first (one worker each, for their whole length), then the per-parent reads of all
    collections spread evenly, so no bucket's jobs bunch up while another bucket idles."""
    order = []
    for k, reads in enumerate(readers):
        n = len(reads.jobs)
        for i, job in enumerate(reads.jobs):
            order.append((0.0 if job.parent is None else (i + 0.5) / n, k, i, job))
    return [job for *_, job in sorted(order, key=lambda t: t[:3])]
