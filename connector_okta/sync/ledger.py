"""The outcome of each collection (:class:`CollectionLedger`): decided before reading (disabled, absent, orphaned),
classified from a read error, or settled when the read ends and handed to the checks with its ``STREAM_STATUS``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .. import messages
from ..client.errors import OktaError
from ..client.routes import route_template
from ..resources import Resource, beyond_least_role
from .checks_phase import CheckFeed
from .outcome import OUT_OF_SCOPE, Outcome, SyncStopped, out_of_scope_reason

NETWORK_FAILURES_TO_STOP = 2  # collections failing on the network (after the client's retries) before we give up


class CollectionLedger(CheckFeed):
    """Keeps ``outcomes``, one per collection, and says when an error ends the sync."""

    def precheck(self, res: Resource) -> Outcome | None:
        """An outcome without reading, when the collection is disabled, absent on this pipeline or orphaned."""
        if res.name in self.skip:
            return Outcome("skipped", reason="disabled in the configuration (collections_skip)")
        if not res.exists_on(self.pipeline):
            engine = "Classic Engine" if self.pipeline == "v1" else "Identity Engine"
            return Outcome("not_applicable", reason=f"does not exist on {engine} orgs")
        if res.parent:
            parent = self.outcomes.get(res.parent)
            if parent is None or parent.status in ("skipped", "not_applicable"):
                why = parent.reason if parent else "not read"
                return Outcome(parent.status if parent else "skipped",
                               reason=f"its parent collection {res.parent} was not read: {why}")
            if parent.status == "unavailable" and parent.error_kind == OUT_OF_SCOPE:
                return Outcome("unavailable", reason=f"not in scope for this credential: its parent collection "
                               f"{res.parent} is not", error_kind=OUT_OF_SCOPE)
            if parent.status == "unavailable":
                return Outcome("unavailable", reason=f"its parent collection {res.parent} could not be read",
                               error_kind=parent.error_kind)
        return None

    def failure(self, res: Resource, exc: BaseException, count: int) -> tuple[Outcome, list[dict[str, Any]]]:
        """Classify an error while reading ``res``; raise SyncStopped for the fatal ones, and re-raise anything
        that is not an :class:`OktaError` (a bug).

        The classification reads the typed error's ``kind`` (the sync protocol's ERROR kind) rather than its
        class: the client may raise a subclass under another kind than its base's (a refused link read from a
        response fails its collection, not the sync, whatever URL error class carries it)."""
        if not isinstance(exc, OktaError):
            raise exc
        self.stop_if_fatal(exc)
        kind, message, rid = exc.kind, str(exc), exc.request_id
        if kind == "permission" and count == 0 and beyond_least_role(res):
            return self.out_of_scope(res, exc)
        if kind in ("permission", "feature", "not_found") and count == 0:
            error_kind = "feature" if kind == "not_found" else kind
            out = Outcome("unavailable", reason=message, error_kind=error_kind)
            msgs = [] if error_kind == "feature" else [
                messages.error(kind, message, stream=res.name, request_id=rid, fatal=False)]
            return out, msgs
        out = Outcome("incomplete", count=count, reason=message, error_kind=kind, described=False)
        return out, [messages.error(kind, message, stream=res.name, request_id=rid, fatal=False)]

    def out_of_scope(self, res: Resource, exc: OktaError) -> tuple[Outcome, list[dict[str, Any]]]:
        """A collection that needs a higher role than the credential's (Super Administrator only), refused: not
        in scope for this credential, said in a LOG line rather than an ERROR (it is not a failure)."""
        reason = out_of_scope_reason(res.name, res.admin_role, exc.status, exc.request_id)
        return Outcome("unavailable", reason=reason, error_kind=OUT_OF_SCOPE), [messages.log("INFO", f"{res.name}: {reason}")]

    def stop_if_fatal(self, exc: OktaError) -> None:
        """Raise SyncStopped when nothing more can be read: a bad credential or config, or a second collection
        lost to the network or to a token that cannot be minted."""
        message, rid = str(exc), exc.request_id
        if exc.kind in ("credentials", "config"):
            raise SyncStopped(exc.kind, message, request_id=rid)
        if exc.kind == "network":
            self.network_failures += 1
            if self.network_failures >= NETWORK_FAILURES_TO_STOP:
                raise SyncStopped("network", f"{message} (Okta stopped answering; check the network path to the "
                                             "org and try again)", request_id=rid)
        if getattr(exc, "credential_unavailable", False):  # the OAuth token could not be minted (after retries)
            self.network_failures += 1
            if self.network_failures >= NETWORK_FAILURES_TO_STOP:
                raise SyncStopped("credentials", f"{message} (no access token could be obtained from Okta's token "
                                                 "endpoint, so nothing more can be read; try again later)",
                                  request_id=rid)

    def finish_collection(self, res: Resource, outcome: Outcome) -> Iterator[dict[str, Any]]:
        parent = self.outcomes.get(res.parent) if res.parent else None
        if parent is not None and parent.status == "incomplete" and outcome.status in ("complete", "incomplete"):
            # the children of the parents not read are not read either; those of the parents read stay trusted
            # per parent when the parent's own gaps name what is missing
            why = f"its parent collection {res.parent} was read only in part: {parent.reason}"
            if outcome.status == "complete":
                outcome.status, outcome.error_kind, outcome.reason = "incomplete", parent.error_kind, why
            else:
                outcome.reason = f"{outcome.reason}; {why}" if outcome.reason else why
            outcome.described = outcome.described and parent.described
        looped = self.pagination_loop(res) if outcome.status in ("complete", "incomplete") else None
        if looped:  # the client stopped a pagination loop (on which parent, it does not say): nothing is trusted
            if outcome.status == "complete":
                outcome.status, outcome.reason, outcome.error_kind = "incomplete", looped, "transient"
            else:
                outcome.reason = f"{outcome.reason}; {looped}"
            outcome.described = False
            yield messages.error("transient", looped, stream=res.name, fatal=False)
        self.outcomes[res.name] = outcome
        status = {"complete": "COMPLETE", "incomplete": "INCOMPLETE"}.get(outcome.status, "SKIPPED")
        yield messages.stream_status(res.name, status, outcome.count, outcome.reason, outcome.error_kind)
        yield from self.give_engine(res.name, outcome)

    def pagination_loop(self, res: Resource) -> str | None:
        """Why ``res`` is incomplete when the client stopped a pagination loop (next = self, a repeated
        cursor) on its endpoint; each stop the client recorded is claimed once."""
        stops = getattr(self.client, "pagination_stops", None)
        if not isinstance(stops, list) or not stops:
            return None
        placeholder = "00placeholder0000000"
        route = route_template(res.path.format(parent_id=placeholder, grandparent_id=placeholder))
        for i, stop in enumerate(list(stops)):
            if i not in self.claimed_stops and isinstance(stop, Mapping) and stop.get("endpoint") == route:
                self.claimed_stops.add(i)
                return (f"Okta's pagination of {route} looped ({stop.get('reason')}) after {stop.get('pages')} "
                        "page(s); the rest was not read. Try the sync again later; if it persists, contact Okta "
                        "support with the request ids.")
        return None
