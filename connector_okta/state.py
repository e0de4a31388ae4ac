"""The sync state handed back to the host (``STATE``) and how the next sync reads it.

Re-syncs, as chosen here (issue 18; ``sync/delta.py`` reads, ``docs/internals.md`` explains):

- A **full** sync reads everything. It records, for the next sync: high-water marks (``lastUpdated`` of users and
  devices, ``lastMembershipUpdated`` of groups: the largest seen, at most the sync's start less a margin, so an
  update made while a collection was being read is read again), where the next System Log query starts
  (``log_since``), a digest of the config that shapes results, and the **users view**: for every user, the fields
  the users checks read, deflated (``sync/users_view.py``).
- The next sync is **incremental** unless it must be full (no complete previous sync, another org, a changed
  config, a collection the last sync could not read, every ``full_sync_every``-th sync). It reads the small
  collections and the groups again, and of the rest only what Okta says changed: users and devices updated since
  the marks, the members of groups whose memberships moved (and of admin groups), the app assignments of apps the
  System Log names. Every check runs again, the users from the view plus the changes: the results are a full
  sync's, today.
- A sync that was not complete (partial or failed) leaves ``needs_full`` so the next one is full.

``SYNC_STATUS`` and the state both carry ``sync_mode``; the host applies snapshot semantics (gone assets,
resolved findings) only to a succeeded **full** sync, so deletions show at the next full sync.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STATE_VERSION = 2  # 2: the users view replaces the stored check results (issue 18)
# a high-water mark is never later than its sync's start less this: what changed while a collection was being
# read is read again by the next sync
MARK_MARGIN_MS = 5 * 60 * 1000


def pack(value: Any) -> str:
    """JSON, deflated, base64: the stored check results take a tenth of their JSON size in the host's store."""
    raw = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


class Tally:
    """Counts the check results a sync emits (the state no longer stores them: a re-sync judges again)."""

    def __init__(self) -> None:
        self._count = 0

    def append(self, result: Any) -> None:
        self._count += 1

    def __len__(self) -> int:
        return self._count


class ResultPacker:
    """Check results packed as they are emitted, to the text :func:`pack` gives for the whole list, so a sync
    never holds every result of a large org (issue 8: 27,000 results at 100,000 users were ~40 MB of dicts)."""

    def __init__(self) -> None:
        self._z = zlib.compressobj(6)
        self._chunks: list[bytes] = []
        self._count = 0
        self._packed: str | None = None

    def append(self, result: Any) -> None:
        if self._packed is not None:
            raise RuntimeError("the results were packed already")
        text = ("," if self._count else "[") + json.dumps(result, sort_keys=True, separators=(",", ":"))
        self._chunks.append(self._z.compress(text.encode()))
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def packed(self) -> str:
        if self._packed is None:
            tail = self._z.compress(b"]" if self._count else b"[]") + self._z.flush()
            self._packed = base64.b64encode(b"".join(self._chunks) + tail).decode("ascii")
            self._chunks = []
        return self._packed


def unpack(text: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True)))


def digest(values: Iterable[Any]) -> str:
    h = hashlib.sha256()
    for v in values:
        h.update(json.dumps(v, sort_keys=True, separators=(",", ":"), default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


@dataclass
class HighWater:
    """Largest timestamps seen (Okta ISO-8601 strings compare in time order: fixed width, UTC ``Z``)."""

    marks: dict[str, str] = field(default_factory=dict)

    def see(self, key: str, value: Any) -> None:
        if isinstance(value, str) and value and value > self.marks.get(key, ""):
            self.marks[key] = value


@dataclass
class PriorState:
    """What the previous sync left, validated."""

    sync_count: int = 0
    syncs_since_full: int = 0
    org_uid: str | None = None
    config_digest: str | None = None
    kept_digest: str | None = None
    high_water: dict[str, str] = field(default_factory=dict)
    check_results: list[dict[str, Any]] | None = None
    needs_full: bool = True
    users_view: list[str] | str | None = None  # packed: base64 pieces (sync/users_view.py)
    users_view_count: int = 0
    log_since: str | None = None  # where the next System Log query starts

    @classmethod
    def load(cls, raw: Mapping[str, Any] | None) -> PriorState:
        if not isinstance(raw, Mapping) or raw.get("version") != STATE_VERSION:
            return cls()
        try:
            hw = raw.get("high_water") or {}
            results = raw.get("check_results")
            if isinstance(raw.get("check_results_packed"), str):
                results = unpack(raw["check_results_packed"])
            return cls(
                sync_count=int(raw.get("sync_count") or 0),
                syncs_since_full=int(raw.get("syncs_since_full") or 0),
                org_uid=raw.get("org_uid"),
                config_digest=raw.get("config_digest"),
                kept_digest=raw.get("kept_digest"),
                high_water={str(k): str(v) for k, v in dict(hw).items() if isinstance(v, str)},
                check_results=list(results) if isinstance(results, list) else None,
                needs_full=bool(raw.get("needs_full", False)),
                users_view=raw["users_view_packed"] if isinstance(raw.get("users_view_packed"), list | str)
                else None,
                users_view_count=int(raw.get("users_view_count") or 0),
                log_since=raw["log_since"] if isinstance(raw.get("log_since"), str) else None,
            )
        except (TypeError, ValueError, zlib.error):
            return cls()

    def full_reason(self, *, org_uid: str, config_digest: str, full_sync_every: int) -> str | None:
        """Why the next sync must be full, or None when an incremental one may do."""
        if self.needs_full or not self.high_water:
            return "no complete previous sync"
        if self.users_view is None:
            return "the last sync left no users view"
        if self.org_uid != org_uid:
            return "the state belongs to another org"
        if self.config_digest != config_digest:
            return "the configuration changed"
        if full_sync_every <= 1 or self.syncs_since_full + 1 >= full_sync_every:
            return f"periodic full sync (every {max(1, full_sync_every)} syncs)"
        return None


def new_state(
    *,
    prior: PriorState,
    mode: str,
    complete: bool,
    org_uid: str | None,
    config_digest: str,
    kept_digest: str | None,
    high_water: Mapping[str, str],
    check_results: list[dict[str, Any]] | ResultPacker | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The STATE of a sync; ``extra`` (the users view, where the System Log is read from) only when complete."""
    count = prior.sync_count + 1
    if not complete:
        # keep the marks of the last complete sync out: the next sync reads everything
        return {"version": STATE_VERSION, "sync_count": count, "syncs_since_full": 0, "needs_full": True,
                "sync_mode": mode, "org_uid": org_uid}
    return {
        "version": STATE_VERSION,
        "sync_count": count,
        "syncs_since_full": 0 if mode == "full" else prior.syncs_since_full + 1,
        "needs_full": False,
        "sync_mode": mode,
        "org_uid": org_uid,
        "config_digest": config_digest,
        "kept_digest": kept_digest,
        "high_water": dict(high_water),
        **({"check_results_packed": check_results.packed() if isinstance(check_results, ResultPacker)
            else pack(check_results)} if check_results is not None else {}),
        **dict(extra or {}),
    }
