"""What a sync says of each collection (:class:`Outcome`) and the exception that ends a sync early
(:class:`SyncStopped`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..checks import Gap

# error kinds that make a sync partial. "budget" (the configured fan-out budget ran out) does not: like
# collections_skip it is the user's choice, the collection says INCOMPLETE and its checks cannot pass. "feature"
# (the org does not have it) does not either. "not_found": a read under an object that still exists answered 404.
PARTIAL_KINDS = {"permission", "transient", "network", "rate_limited", "internal", "credentials", "stopped",
                 "not_found"}
GAPS_NAMED = 20  # parents or series a STREAM_STATUS reason names one by one; the rest are counted
# a collection that needs more than the least role the connector asks for (resources.beyond_least_role), refused:
# not in scope for this credential. Not an error: it does not make the sync partial (not in PARTIAL_KINDS)
OUT_OF_SCOPE = "out_of_scope"


def out_of_scope_reason(name: str, role: str, status: int | None, request_id: str | None) -> str:
    """The STREAM_STATUS reason of a collection out of the credential's scope (its checks say it as they are
    ``unknown``)."""
    from ..resources import ROLE_LABELS

    who = ROLE_LABELS.get(role, role)
    refusal = ", ".join(x for x in (f"HTTP {status}" if status else "", f"request id {request_id}" if request_id
                                    else "") if x)
    return (f"not in scope for this credential: Okta serves {name} to {who} only"
            + (f" ({refusal})" if refusal else "") + "; its checks are not evaluated (grant the role only to have them)")


class SyncStopped(Exception):
    """The sync cannot go on (credentials revoked, cancelled, out of time)."""

    def __init__(self, kind: str, message: str, *, request_id: str | None = None, error: bool = True) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.request_id = request_id
        self.error = error  # emit an ERROR message (False for a host cancellation)


@dataclass
class Outcome:
    """What happened to one collection.

    Completeness is per parent and per series: ``gaps`` (parent id -> :class:`~connector_okta.checks.Gap`: the
    children of that parent are unknown), ``series_gaps`` (series key -> Gap: that request series failed),
    ``deleted`` (object id -> why: confirmed deleted during the sync, dropped from judgement). ``described`` is False
    when the collection is incomplete for a reason no gap names (stopped, a pagination loop)."""

    status: str  # complete | incomplete | unavailable | skipped | not_applicable
    count: int = 0
    reason: str | None = None
    error_kind: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    by_parent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    parent_of: dict[str, str] = field(default_factory=dict)  # item id -> parent id
    gaps: dict[str, Gap] = field(default_factory=dict)
    series_gaps: dict[str, Gap] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)
    described: bool = True  # False once something no gap names made it incomplete

    @property
    def makes_partial(self) -> bool:
        if self.status not in ("incomplete", "unavailable"):
            return False
        kinds = {self.error_kind} | {g.kind for g in (*self.gaps.values(), *self.series_gaps.values())}
        return bool(kinds & PARTIAL_KINDS)

    @classmethod
    def stopped(cls, count: int, stop: SyncStopped) -> Outcome:
        """A collection whose reading the stop cut short, after ``count`` objects."""
        return cls("incomplete", count, f"stopped: {stop.message}", "stopped", described=False)

    def cut_short(self, reason: str | None, error_kind: str | None) -> Outcome:
        """This outcome's objects, marked incomplete for a reason no gap names (nothing of it is trusted per
        parent)."""
        return Outcome("incomplete", self.count, reason, error_kind, self.items, self.by_parent, self.parent_of,
                       dict(self.gaps), dict(self.series_gaps), dict(self.deleted), described=False)

    def settle_gaps(self, name: str, parent_label: str | None = None) -> None:
        """Mark a complete outcome incomplete when it has gaps, with a reason naming them (``name``: the
        collection; ``parent_label``: what its parents are, for a sub-collection) and the most telling error kind
        (one that makes the sync partial first)."""
        absent = [g for g in self.series_gaps.values() if g.kind == "feature"]
        if absent and self.status == "complete":  # a series the org does not have (E0000015): nothing is missing
            self.reason = "not on this org: " + "; ".join(f"{g.subject} ({g.sentence()})" for g in absent)
        series = [g for g in self.series_gaps.values() if g.kind != "feature"]
        gaps = series + list(self.gaps.values())
        if not gaps:
            return
        named = "; ".join(f"{g.subject}: {g.sentence()}" for g in gaps[:GAPS_NAMED])
        more = f"; and {len(gaps) - GAPS_NAMED} more" if len(gaps) > GAPS_NAMED else ""
        if self.gaps:
            text = f"{name} not read under {len(self.gaps)} {parent_label or 'parent'}(s): {named}{more}"
        else:
            text = f"{len(series)} request series of {name} failed: {named}{more}"
        kinds = [g.kind for g in gaps]
        kind = next((k for k in kinds if k in PARTIAL_KINDS), kinds[0])
        if self.status == "complete":
            self.status, self.reason, self.error_kind = "incomplete", text, kind
        else:  # already incomplete for another reason: both are said
            self.reason = f"{self.reason}; {text}" if self.reason else text
            if self.error_kind not in PARTIAL_KINDS and kind in PARTIAL_KINDS:
                self.error_kind = kind
