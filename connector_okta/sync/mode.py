"""Full or incremental (:class:`ModeDecision`, see :mod:`connector_okta.state`): decided after the kept phase.

A sync is incremental (a re-sync: ``sync/delta.py`` reads only what Okta says changed, and every check runs
again) unless the last sync cannot seed it: none complete, another org, the config changed, the periodic full
sync is due (``full_sync_every``), the last sync left no users view, or a small collection could not be read
completely in this one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import messages
from .ledger import CollectionLedger


class ModeDecision(CollectionLedger):
    """Sets ``mode``."""

    def decide_mode(self) -> Iterator[dict[str, Any]]:
        self.mode = "full"
        # the host's request wins: `sync --mode full` and the page's Full sync read everything (issue 16)
        reason = "the host asked for a full sync" if self.ctx.requested_mode == "full" else self.prior_full_reason()
        if reason is None and any(o.status == "incomplete" and o.error_kind != "budget"
                                  for o in self.outcomes.values()):
            reason = "a small collection could not be read completely"
        if reason is None:
            self.mode = "incremental"
            yield messages.log("INFO", "incremental sync: the small collections and the groups are read again; of "
                                       "users, memberships, app assignments and devices only what changed since "
                                       "the last sync; every check runs again")
        else:
            yield messages.log("INFO", f"full sync: {reason}")
