"""What a sync says of each collection (:class:`Outcome`) and the exception that ends a sync early
(:class:`SyncStopped`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# error kinds that make a sync partial. "budget" (the configured fan-out budget ran out) does not: like
# collections_skip it is the user's choice, the collection says INCOMPLETE and its checks cannot pass.
PARTIAL_KINDS = {"permission", "transient", "network", "rate_limited", "internal", "credentials", "stopped"}


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
    """What happened to one collection."""

    status: str  # complete | incomplete | unavailable | skipped | not_applicable
    count: int = 0
    reason: str | None = None
    error_kind: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    by_parent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    parent_of: dict[str, str] = field(default_factory=dict)  # item id -> parent id

    @property
    def makes_partial(self) -> bool:
        return self.status in ("incomplete", "unavailable") and (self.error_kind in PARTIAL_KINDS)

    @classmethod
    def stopped(cls, count: int, stop: SyncStopped) -> Outcome:
        """A collection whose reading the stop cut short, after ``count`` objects."""
        return cls("incomplete", count, f"stopped: {stop.message}", "stopped")

    def cut_short(self, reason: str | None, error_kind: str | None) -> Outcome:
        """This outcome's objects, marked incomplete for ``reason``."""
        return Outcome("incomplete", self.count, reason, error_kind, self.items, self.by_parent, self.parent_of)
