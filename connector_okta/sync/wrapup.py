"""The end of a sync (:class:`WrapUp`): what a stop left unread, then ``STATS``, ``STATE`` for the next sync and
exactly one ``SYNC_STATUS``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from .. import messages
from ..resources import RESOURCES
from ..state import MARK_MARGIN_MS, new_state
from . import changefeed
from .base import RunState
from .context import stats_of
from .delta import DELTA_STREAMS
from .outcome import Outcome, SyncStopped

MARKED_COLLECTIONS = ("users", "groups", "groups_membership", "devices")  # the high-water marks of a full sync


class WrapUp(RunState):
    """Says how the sync went, whatever stopped it."""

    def report_unread(self, stop: SyncStopped) -> Iterator[dict[str, Any]]:
        for res in RESOURCES:
            current = self.outcomes.get(res.name)
            if current is not None and current.status == "incomplete" and current.error_kind == "stopped":
                yield messages.stream_status(res.name, "INCOMPLETE", current.count, current.reason, "stopped")
            elif current is None:
                self.outcomes[res.name] = Outcome("incomplete", reason=f"not read: {stop.message}",
                                                  error_kind="stopped", described=False)
                yield messages.stream_status(res.name, "SKIPPED", 0, f"not read: the sync stopped ({stop.message})",
                                             "stopped")

    def final_status(self) -> tuple[str, str]:
        bad = sorted(n for n, o in self.outcomes.items() if o.makes_partial)
        if self.stop is not None:
            read = [n for n, o in self.outcomes.items() if o.status == "complete"]
            if self.stop.kind in ("credentials", "config", "network") and not read:
                return "failed", self.stop.message
            return "partial", f"stopped: {self.stop.message}"
        if bad:
            return "partial", f"incomplete or unreadable: {', '.join(bad)}"
        if self.crashed_checks:
            return "partial", "inventory complete; the check engine failed"
        # collections that need a higher role than the credential's do not make the sync partial: a note says them
        out_of_scope = sorted(n for n, o in self.outcomes.items() if o.error_kind == "out_of_scope")
        if out_of_scope:
            return "succeeded", (f"every collection in scope for this credential was read; not in scope for this "
                                 f"credential (Super Administrator only): {', '.join(out_of_scope)}, their checks "
                                 "not evaluated")
        return "succeeded", "every enabled collection was read"

    def state_complete(self) -> bool:
        """Whether this sync may seed an incremental one: it ran to the end and read every collection it could.

        A collection the token cannot read at all (``unavailable``) does not prevent it: that gap is part of the
        small-collection digest, so the next sync notices when it changes."""
        if self.stop is not None or self.crashed_checks:
            return False
        return not any(o.status == "incomplete" and o.error_kind != "budget" for o in self.outcomes.values())

    def next_state(self) -> dict[str, Any]:
        """The ``STATE`` the next sync starts from: the marks (the largest ``lastUpdated`` seen, never later than
        this sync's start less a margin, so whatever changed while a collection was being read is read again),
        the users view (when every user was judged) and where the next System Log query starts."""
        complete = self.state_complete()
        cap = changefeed.iso(self.now_ms - MARK_MARGIN_MS)
        marks = dict(self.high_water.marks)
        for key in MARKED_COLLECTIONS:
            seen = max(marks.get(key, ""), self.prior.high_water.get(key, "") if self.mode != "full" else "")
            marks[key] = min(seen, cap) if seen else cap
        extra: dict[str, Any] = {}
        users = self.outcomes.get("users")
        if users is not None and users.status == "complete":
            extra["users_view_packed"] = self.users_view.packed()
            extra["users_view_count"] = self.users_view.count
        if self.mode == "full" or self.log_feed_ok:
            extra["log_since"] = changefeed.iso(self.now_ms - changefeed.OVERLAP_MS)
        elif self.prior.log_since:
            extra["log_since"] = self.prior.log_since
        return new_state(prior=self.prior, mode=self.mode, complete=complete, org_uid=self.org.get("uid"),
                         config_digest=self.config_digest, kept_digest=self.kept_digest(),
                         high_water=marks, extra=extra)

    def wrap_up(self) -> Iterator[dict[str, Any]]:
        status, message = self.final_status()
        stats = stats_of(self.client)
        stats["fanout_requests"] = self.role_fanout.used + self.check_fanout.used
        stats["duration_seconds"] = round(time.monotonic() - self.started, 3)
        yield {"type": "STATS", "stats": stats}
        if self.org:
            yield {"type": "STATE", "state": self.next_state()}
        counts = sum(o.count for o in self.outcomes.values())
        yield messages.sync_status(status, f"{message} ({counts} objects, {len(self.results)} check results)",
                                   self.mode, self.snapshot_streams() if self.mode == "incremental" else None)

    def snapshot_streams(self) -> list[str]:
        """An incremental sync's streams read in full (the host applies them as on a full sync), and
        ``check_results`` when every check ran: a re-sync judges everything again."""
        out = [r.name for r in RESOURCES if r.name not in DELTA_STREAMS
               and (self.outcomes.get(r.name) or Outcome("none")).status == "complete"]
        if self.engine is not None and not self.crashed_checks and self.stop is None:
            out.append("check_results")
        return out
