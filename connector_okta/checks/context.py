"""What a check sees: the collections the sync read, the org, the profile, thresholds and a fan-out budget.

The sync engine builds :class:`Collection` objects from what it read (or could not read) and hands them to the
:class:`~connector_okta.checks.engine.CheckEngine`; checks never call Okta except through ``ctx.fanout``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Json = dict[str, Any]

STATUSES = ("complete", "incomplete", "unavailable", "skipped", "not_applicable")


class BudgetExhausted(Exception):
    """Raised by ``Fanout.get_json`` when the per-sync request budget for per-object calls is spent."""


def is_budget_exhausted(exc: BaseException) -> bool:
    """True for our ``BudgetExhausted`` and for any same-named exception another module defines."""
    return isinstance(exc, BudgetExhausted) or type(exc).__name__ == "BudgetExhausted"


@dataclass(frozen=True)
class Gap:
    """Why part of a collection was not read: the children of one parent object, or one request series.

    ``subject`` names what is missing (``"policy 00p1"``, ``"type=PROFILE_ENROLLMENT"``); ``request`` the read that
    failed (``"GET /api/v1/policies/00p1/rules"``, None when no request was made: a budget cut, a read not
    attempted); ``reason`` what happened (the client's message: the status, Okta's error code, the request id);
    ``kind`` the sync protocol's error kind (``not_found``, ``permission``, ``transient``, ``budget``, ...).
    """

    subject: str
    reason: str
    request: str | None = None
    kind: str | None = None
    status: int | None = None
    request_id: str | None = None

    def sentence(self) -> str:
        """``"GET /api/v1/policies/00p1/rules failed: not found (E0000007) ..."`` (for messages)."""
        text = self.reason
        if self.status is not None and str(self.status) not in text:
            text = f"{text} (HTTP {self.status})"
        if self.request and self.request not in text:
            return f"{self.request} failed: {text}"
        return text

    def evidence(self) -> dict[str, Any]:
        """What a result's evidence says of the gap: the read, its status, the request id, why."""
        return {"read": self.request, "status": self.status, "request_id": self.request_id, "error_kind": self.kind,
                "reason": self.reason}


@dataclass
class Collection:
    """One collection as the sync read it.

    ``status``: ``complete`` (every page read), ``incomplete`` (read stopped part-way), ``unavailable``
    (403, feature missing), ``skipped`` (disabled by config) or ``not_applicable`` (e.g. authenticators on Classic).
    ``items``: the objects in served order. ``by_parent``: for sub-collections, parent id -> objects in served order,
    for exactly the parents whose reads completed (a parent with no children maps to ``[]``); a parent whose read
    failed or was never made is not there but in ``gaps``. Never take a parent missing from ``by_parent`` for one
    without children: use :meth:`children`.

    Completeness is tracked per parent and per series: ``gaps`` (parent id -> :class:`Gap`) names the parents whose
    children are unknown, ``series_gaps`` (series key, e.g. ``"type=PASSWORD"``, ``""`` for a collection read in
    one series -> :class:`Gap`) the request series that failed, ``deleted`` (id -> why) the objects confirmed
    deleted during the sync (re-reading the object itself answered 404): dropped from ``items`` and from judgement.
    ``described`` is False when the collection is incomplete for a reason the gaps do not name (the sync stopped,
    a pagination loop): then nothing of it can be trusted object by object.
    """

    name: str
    status: str
    reason: str | None = None
    items: list[Json] = field(default_factory=list)
    by_parent: dict[str, list[Json]] = field(default_factory=dict)
    # why an ``unavailable`` collection could not be read, as the sync classified it ("feature": the org lacks the
    # feature, E0000015/404; "permission": 403; ...); None when not known
    error_kind: str | None = None
    gaps: dict[str, Gap] = field(default_factory=dict)
    series_gaps: dict[str, Gap] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)
    # set by the sync when an incomplete collection's gaps name everything missing; a collection built without
    # saying so is not trusted per parent
    described: bool = False

    @property
    def readable(self) -> bool:
        """Some of it was read and what was read can be trusted object by object (its gaps aside)."""
        return self.status == "complete" or (self.status == "incomplete" and self.described)

    def children(self, parent_id: str) -> list[Json] | None:
        """The objects read under ``parent_id``, or None when they are unknown (read failed, not attempted, or
        the collection cannot be trusted per parent). ``[]`` only when the read completed and found none."""
        if not self.readable or parent_id in self.gaps:
            return None
        return self.by_parent.get(parent_id)

    def gap(self, parent_id: str) -> Gap:
        """Why the children of ``parent_id`` are unknown (for a result's message and evidence)."""
        found = self.gaps.get(parent_id)
        if found is not None:
            return found
        if not self.readable:
            return Gap(f"{self.name} of {parent_id}", self.why(), kind=self.error_kind)
        return Gap(f"{self.name} of {parent_id}", f"{self.name} were not read under {parent_id} (not among the "
                   "parents this sync read it under)")

    def series_gap(self, key: str) -> Gap | None:
        """Why the series ``key`` (``"type=PASSWORD"``) was not read; None when it was. A series the org does not
        have (kind ``feature``) leaves the collection complete but is still a gap here. A collection that cannot
        be trusted per series (not readable) has every series missing."""
        found = self.series_gaps.get(key) or self.series_gaps.get("")
        if found is not None or self.status == "complete":
            return found
        if not self.readable:
            return Gap(key or self.name, self.why(), kind=self.error_kind)
        return None

    @property
    def feature_missing(self) -> bool:
        """The org does not have this collection at all (by pipeline, or Okta answered "feature not available")."""
        return self.status == "not_applicable" or (self.status == "unavailable" and self.error_kind == "feature")

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def why(self) -> str:
        """A sentence saying why the collection cannot be trusted (for ``unknown`` results)."""
        if self.status == "unavailable" and self.error_kind == "out_of_scope":
            return f"{self.name} is {self.reason}" if self.reason else f"{self.name} is not in scope for this credential"
        base = {
            "incomplete": "was read only in part",
            "unavailable": "could not be read",
            "skipped": "was not collected (disabled in the configuration)",
            "not_applicable": "does not exist on this org",
        }.get(self.status, f"has status {self.status!r}")
        return f"{self.name} {base}" + (f": {self.reason}" if self.reason else "")

    def first(self) -> Json | None:
        return self.items[0] if self.items else None

    def __repr__(self) -> str:  # never dump the objects
        return f"Collection({self.name!r}, {self.status!r}, items={len(self.items)}, parents={len(self.by_parent)})"


@dataclass
class OrgInfo:
    id: str
    name: str
    url: str
    pipeline: str | None = "idx"  # "idx" = Identity Engine, "v1" = Classic, None = unknown

    @property
    def is_oie(self) -> bool:
        return self.pipeline == "idx"


@runtime_checkable
class Fanout(Protocol):
    """Budgeted per-object GETs. ``get_json`` returns the parsed body or raises ``BudgetExhausted``
    (or a ``connector_okta.client.errors.OktaError`` subclass)."""

    def get_json(self, path: str) -> Any: ...


def error_reason(exc: BaseException) -> str:
    """A short, secret-free reason for an exception raised by the fan-out or a check."""
    if is_budget_exhausted(exc):
        return "the fan-out request budget was spent before this object was reached"
    kind = getattr(exc, "kind", None)
    scope = getattr(exc, "missing_scope", None)
    msg = str(exc) or type(exc).__name__
    if len(msg) > 300:
        msg = msg[:300] + "..."
    parts = [f"{kind}: {msg}" if kind else f"{type(exc).__name__}: {msg}"]
    if scope:
        parts.append(f"(missing scope {scope})")
    return " ".join(parts)


class CheckContext:
    """Handed to every check. One per engine; ``check_id`` is set while a check runs."""

    def __init__(
        self,
        *,
        collections: Mapping[str, Collection],
        org: OrgInfo,
        profile: str,
        thresholds: Callable[[str, str], Any],
        fanout: Fanout | None,
        now_ms: int,
        cache: dict[str, Any] | None = None,
    ) -> None:
        self._collections = collections
        self.org = org
        self.profile = profile
        self._thresholds = thresholds
        self.fanout = fanout
        self.now_ms = now_ms
        self.cache: dict[str, Any] = cache if cache is not None else {}  # shared between checks (fan-out results)
        self.check_id: str = ""

    def collection(self, name: str) -> Collection:
        c = self._collections.get(name)
        if c is None:
            return Collection(name, "unavailable", reason="not provided by this sync")
        return c

    def threshold(self, check_id: str | None, name: str) -> Any:
        return self._thresholds(check_id or self.check_id, name)

    def t(self, name: str) -> Any:
        """The threshold ``name`` of the running check under the active profile (overrides applied)."""
        return self._thresholds(self.check_id, name)

    def fetch(self, path: str) -> tuple[Any, str | None]:
        """A cached fan-out GET: ``(body, None)`` or ``(None, reason)``; never raises."""
        key = "GET " + path
        if key in self.cache:
            return self.cache[key]
        if self.fanout is None:
            return None, "per-object calls are disabled for this sync (no fan-out budget)"
        try:
            out = (self.fanout.get_json(path), None)
        except Exception as exc:  # noqa: BLE001 - client errors and BudgetExhausted become reasons
            out = (None, error_reason(exc))
            if is_budget_exhausted(exc):
                return out  # do not cache: a later sync or a larger budget may reach it
        self.cache[key] = out
        return out
