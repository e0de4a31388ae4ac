"""What a sync is handed: the host's ``context`` (read tolerantly), the config's settings, and the shape of the
client and of the check engine the sync drives (the real ones, or the tests' fakes)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from ..checks import Collection
from ..config import OktaConfig
from ..fanout import BudgetFanout

log = logging.getLogger("connector_okta.sync")


class SyncClient(Protocol):
    """What the sync asks of the Okta client (:class:`connector_okta.client.OktaClient`)."""

    def well_known(self) -> Mapping[str, Any]: ...

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any: ...

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterable[list[Any]]: ...

    def stats(self) -> Mapping[str, Any]: ...


class SyncEngine(Protocol):
    """What the sync asks of the check engine (:class:`connector_okta.checks.CheckEngine`)."""

    def streams(self) -> Iterable[str]: ...

    def required_collections(self) -> Iterable[str]: ...

    def set_collection(self, collection: Collection) -> None: ...

    def visit(self, stream: str, item: dict[str, Any]) -> Iterable[Any]: ...

    def finish(self) -> Iterable[Any]: ...


# (config, org, fan-out budget for the checks' per-object reads, now in epoch ms) -> the engine
EngineFactory = Callable[[OktaConfig, dict[str, Any], BudgetFanout, int], SyncEngine]


class HostContext:
    """Tolerant access to the host's ``context`` (an object or a mapping, or None)."""

    def __init__(self, context: Any) -> None:
        def get(name: str) -> Any:
            if context is None:
                return None
            if isinstance(context, Mapping):
                return context.get(name)
            return getattr(context, name, None)

        self.logger: logging.Logger = get("logger") or log
        cancelled = get("cancelled")
        self.cancelled: Callable[[], bool] = cancelled if callable(cancelled) else (lambda: False)
        budget = get("budget") or {}
        max_seconds = budget.get("max_seconds") if isinstance(budget, Mapping) else getattr(budget, "max_seconds", None)
        self.max_seconds: float | None = float(max_seconds) if isinstance(max_seconds, int | float) else None
        # the mode the host asked for: "full" forces a full sync (`sync --mode full`, the page's Full sync);
        # "incremental" (or nothing) lets the connector re-sync incrementally when the last sync can seed it
        mode = get("sync_mode")
        self.requested_mode: str | None = mode if mode in ("full", "incremental") else None
        progress = get("progress")
        self._progress: Callable[[Any], None] | None = progress if callable(progress) else None

    def rate_wait(self, bucket: str, seconds: float) -> None:
        """Tell the host, now, that a request waits ``seconds`` for Okta's ``bucket`` quota (the client calls it
        from the waiting thread, while the sync's own messages may be held up behind it)."""
        if self._progress is None or seconds < 1:
            return
        try:
            self._progress({"stream": None, "message": f"waiting {seconds:.0f} s for the {bucket} quota",
                            "waiting": {"bucket": bucket, "seconds": round(seconds, 1)}})
        except Exception:  # noqa: BLE001 - a broken display never breaks a sync
            log.debug("the host's progress callback raised", exc_info=True)


def setting(config: OktaConfig, name: str, default: Any) -> Any:
    """The config's value of ``name``, or ``default`` when it is unset (a test double may leave fields out)."""
    value = getattr(config, name, None)
    return default if value is None else value


def org_url_of(config: OktaConfig) -> str:
    """The org URL the config names ("" when it names none)."""
    for name in ("url", "org_url", "base_url", "okta_url"):
        value = getattr(config, name, None)
        if isinstance(value, str) and value:
            return value
    return ""


def stats_of(client: SyncClient) -> dict[str, Any]:
    """The client's request statistics; never fails (an empty count when the client cannot say)."""
    try:
        stats = dict(client.stats() or {})
    except Exception:  # noqa: BLE001 - stats must never fail a sync
        stats = {}
    stats.setdefault("requests", 0)
    return stats
