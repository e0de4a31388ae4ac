"""Full or incremental (:class:`ModeDecision`, see :mod:`connector_okta.state`): the decision after the kept
phase, the one-request probes of the large collections and, on an incremental sync, the replay of the last
sync's check results in place of the stream phase."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from .. import messages
from ..client.errors import CredentialsError, OktaError
from ..resources import RESOURCES
from .ledger import CollectionLedger
from .outcome import Outcome, SyncStopped

Probe = tuple[str, str, dict[str, str]]  # (collection, path, query: anything updated past the mark, limit 1)


class ModeDecision(CollectionLedger):
    """Sets ``mode``: incremental only when nothing the last complete sync read has changed."""

    def decide_mode(self) -> Iterator[dict[str, Any]]:
        self.mode = "full"
        # the host's request wins: `sync --mode full` and the page's Full sync read everything (issue 16)
        reason = "the host asked for a full sync" if self.ctx.requested_mode == "full" else self.prior_full_reason()
        if reason is None and any(o.status == "incomplete" and o.error_kind != "budget"
                                  for o in self.outcomes.values()):
            reason = "a small collection could not be read completely"
        if reason is None and self.kept_digest() != self.prior.kept_digest:
            reason = "org settings, policies, apps or roles changed since the last sync"
        if reason is None:
            reason = yield from self.probe_changes()
        if reason is None:
            self.mode = "incremental"
            yield messages.log("INFO", "incremental sync: nothing changed since the last sync; users, groups, "
                                       "memberships and devices were not re-read")
        else:
            yield messages.log("INFO", f"full sync: {reason}")

    def change_probes(self) -> list[Probe]:
        hw = self.prior.high_water
        probes: list[Probe] = []
        if self.enabled("users"):
            probes.append(("users", "/api/v1/users", {"filter": f'lastUpdated gt "{hw.get("users", "")}"',
                                                      "limit": "1"}))
        if self.enabled("groups"):
            probes.append(("groups", "/api/v1/groups", {
                "filter": f'lastUpdated gt "{hw.get("groups", "")}" or '
                          f'lastMembershipUpdated gt "{hw.get("groups_membership", "")}"', "limit": "1"}))
        if self.enabled("devices"):
            probes.append(("devices", "/api/v1/devices", {"search": f'lastUpdated gt "{hw.get("devices", "")}"',
                                                          "limit": "1"}))
        return probes

    def probe_changes(self) -> Generator[dict[str, Any], None, str | None]:
        """One request per large collection: did anything change since the marks? (None = nothing)."""
        hw = self.prior.high_water
        for name, path, params in self.change_probes():
            if name not in hw or (name == "groups" and "groups_membership" not in hw):
                return f"no high-water mark for {name}"
            try:
                pages = self.client.paginate(path, params)
                first = next(iter(pages), [])
                close = getattr(pages, "close", None)
                if close:
                    close()
            except CredentialsError as exc:
                raise SyncStopped("credentials", str(exc), request_id=exc.request_id) from None
            except OktaError as exc:
                return f"could not ask Okta what changed in {name} ({exc.kind})"
            if first:
                return f"{name} changed since the last sync"
        return None
        yield  # pragma: no cover - makes this a generator

    def replay_checks(self) -> Iterator[dict[str, Any]]:
        """An incremental sync: the large collections are as the last sync saw them, and so are its results."""
        for res in RESOURCES:
            if res.phase == "stream":
                pre = self.precheck(res)
                if pre is not None:
                    yield from self.finish_collection(res, pre)
                    continue
                self.outcomes[res.name] = Outcome("complete")
                yield messages.stream_status(res.name, "COMPLETE", 0, "unchanged since the last sync (incremental)")
        self.high_water.marks.update(self.prior.high_water)
        stored = self.prior.check_results or []
        yield from self.emit_results(iter(stored))
