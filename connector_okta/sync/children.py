"""Sub-collections read once per parent object (policy rules, app users, group members, ...): which parents,
how many of them the fan-out budget covers, and the outcome once every parent's pages are in."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from .. import messages
from ..fanout import BudgetFanout
from ..resources import Resource
from .outcome import Outcome


@dataclass
class ChildPlan:
    """The parents of a sub-collection, and those whose reads the budget allows (``jobs``)."""

    parent_ids: list[str]
    jobs: list[str]
    budget_reason: str | None = None  # why some parents are left out


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
    if res.fanout:
        if len(parent_ids) > fan.remaining:
            plan.jobs = parent_ids[: fan.remaining]
            plan.budget_reason = (f"the fan-out budget ({fan.budget} requests) covers {len(plan.jobs)} of "
                                  f"{len(parent_ids)} {res.parent}; raise fanout_budget to read them all")
        for _ in plan.jobs:
            fan.take()
    return plan


def settle_children(res: Resource, outcome: Outcome, first_error: Outcome | None, unavailable: bool,
                    budget_reason: str | None) -> Generator[dict[str, Any], None, Outcome]:
    """The outcome of a read once every page is in: the first error, the budget or, failing both, ``outcome``.

    A kept collection's items are put in served order per parent, parents in their own order, whatever the
    threads did."""
    if res.mode == "kept" and res.parent:
        outcome.items = [item for pid in outcome.by_parent for item in outcome.by_parent[pid]]
    if first_error is not None:
        if unavailable and outcome.count == 0:
            return first_error
        return outcome.cut_short(first_error.reason, first_error.error_kind)
    if budget_reason:
        yield messages.log("WARNING", f"{res.name}: {budget_reason}")
        return outcome.cut_short(budget_reason, "budget")
    return outcome
