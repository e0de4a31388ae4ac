"""The start of a sync (:class:`Bootstrap`): ``/.well-known/okta-organization`` (pipeline: Identity Engine or
Classic), the org (its uid, and the ``org`` collection from ``/api/v1/org``), then the check engine."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any
from urllib.parse import urlsplit

from .. import messages
from ..client.errors import NetworkError, NotFound, OktaError
from ..collect import records_for
from ..resources import BY_NAME, Resource
from .context import org_url_of
from .ledger import CollectionLedger
from .outcome import Outcome, SyncStopped


class Bootstrap(CollectionLedger):
    """Finds out which org this is before anything else is read; a failure here stops the sync."""

    def bootstrap(self) -> Iterator[dict[str, Any]]:
        if hasattr(self.client, "on_rate_wait"):  # rate-limit waits reach the host's progress as they start
            self.client.on_rate_wait = self.ctx.rate_wait
        self.set_org(self.read_well_known())
        res = BY_NAME["org"]
        body, outcome = yield from self.read_org_object(res)
        if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"]:
            self.org["uid"] = body["id"]
        yield from self.start_engine()
        if isinstance(body, dict):
            yield from records_for(res, body, self.org_ref)
        yield from self.finish_collection(res, outcome)

    def read_well_known(self) -> dict[str, Any]:
        try:
            wk = self.client.well_known()
        except OktaError as exc:
            raise SyncStopped("config" if isinstance(exc, NotFound) else exc.kind,
                              f"could not read /.well-known/okta-organization: {exc}",
                              request_id=exc.request_id) from None
        return wk if isinstance(wk, dict) else dict(getattr(wk, "json", None) or {})

    def set_org(self, well_known: dict[str, Any]) -> None:
        """The pipeline and the org: its uid is the well-known id (until /api/v1/org says), its name the host of
        the configured URL."""
        from_url = org_url_of(self.config)
        pipeline = well_known.get("pipeline")
        self.pipeline = pipeline if pipeline in ("idx", "v1") else None
        host = urlsplit(from_url).hostname or ""
        if not host:
            href = ((well_known.get("_links") or {}).get("organization") or {}).get("href") or ""
            host = urlsplit(href).hostname or "okta"
        self.org = {"uid": str(well_known.get("id") or host), "name": host, "url": from_url,
                    "pipeline": self.pipeline}
        self.now_ms = messages.now_ms()

    def read_org_object(self, res: Resource) -> Generator[dict[str, Any], None, tuple[Any, Outcome]]:
        """The org object itself (its id is the org uid) and the outcome of the ``org`` collection."""
        if res.name in self.skip:
            return None, Outcome("skipped", reason="disabled in the configuration (collections_skip)")
        yield messages.stream_status(res.name, "STARTED")
        try:
            body = self.client.get(res.path).json
        except NetworkError as exc:
            raise SyncStopped("network", str(exc), request_id=exc.request_id) from None
        except OktaError as exc:
            outcome, msgs = self.failure(res, exc, 0)
            yield from msgs
            return None, outcome
        if not isinstance(body, dict):  # a single object answered with a list, a string, ...: not read
            why = (f"GET {res.path}: expected a JSON object, got {type(body).__name__}; the org object was not read "
                   "(its uid is the one /.well-known/okta-organization gave)")
            yield messages.error("internal", why, stream=res.name, fatal=False)
            return None, Outcome("incomplete", reason=why, error_kind="internal", described=False)
        return body, Outcome("complete", count=1, items=[body])
