"""One sync from end to end: :class:`SyncRun` puts the phases in order, :func:`run_sync` loads the config and
builds the client, :func:`guarded` makes sure whatever happens ends with exactly one ``SYNC_STATUS``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import messages
from ..client import OktaClient
from ..client.errors import ConfigError
from ..config import OktaConfig, load_config
from .bootstrap import Bootstrap
from .context import EngineFactory, SyncClient, log
from .delta import DeltaPhase
from .kept import KeptPhase
from .mode import ModeDecision
from .outcome import SyncStopped
from .streamed import StreamPhase
from .wrapup import WrapUp


class SyncRun(Bootstrap, KeptPhase, StreamPhase, DeltaPhase, ModeDecision, WrapUp):
    """One sync. ``run()`` yields the messages; the caller wraps it with :func:`guarded`."""

    def run(self) -> Iterator[dict[str, Any]]:
        try:
            yield from self.bootstrap()
            yield from self.kept_phase()
            yield from self.decide_mode()
            if self.mode == "full":
                yield from self.stream_phase()
            else:
                yield from self.delta_phase()
            yield from self.finish_checks()
        except SyncStopped as stop:
            self.stop = stop
            if stop.error:
                yield messages.error(stop.kind, stop.message, request_id=stop.request_id, fatal=True)
            else:
                yield messages.log("WARNING", stop.message)
            yield from self.report_unread(stop)
        yield from self.wrap_up()


def _default_client(config: OktaConfig) -> SyncClient:
    return OktaClient(config)


def run_sync(raw_config: Mapping[str, Any], state: Mapping[str, Any] | None, context: Any = None, *,
             client_factory: Callable[[OktaConfig], SyncClient] | None = None,
             engine_factory: EngineFactory | None = None) -> Iterator[dict[str, Any]]:
    """Run one sync and yield its messages (see the package docs). Ends with one SYNC_STATUS unless it raises."""
    started = time.monotonic()
    try:
        config = load_config(dict(raw_config) if isinstance(raw_config, Mapping) else raw_config)
    except ConfigError as exc:
        yield messages.error("config", str(exc) or "the configuration is invalid", fatal=True)
        yield messages.sync_status("failed", f"invalid configuration: {exc}")
        return
    client = (client_factory or _default_client)(config)
    try:
        yield from SyncRun(config, client, state, context, engine_factory=engine_factory, started=started).run()
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def _secrets_of(raw: Any) -> list[str]:
    out: list[str] = []
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(value, str) and any(s in str(key).lower() for s in ("token", "key", "secret", "password")):
                out.append(value)
            else:
                out.extend(_secrets_of(value))
    return out


def guarded(raw_config: Any, messages_iter: Iterator[dict[str, Any]], logger: logging.Logger | None = None
            ) -> Iterator[dict[str, Any]]:
    """Yield from a sync; whatever happens, end with exactly one SYNC_STATUS (a crash -> ERROR internal)."""
    done = False
    try:
        for msg in messages_iter:
            if done:
                continue  # nothing may follow the SYNC_STATUS
            if isinstance(msg, dict) and msg.get("type") == "SYNC_STATUS":
                done = True
            yield msg
    except GeneratorExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: a crash becomes ERROR internal + failed
        (logger or log).debug("connector crash", exc_info=False)
        text = f"{type(exc).__name__}: {exc}"
        for secret in _secrets_of(raw_config):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        text = text[:300]
        if not done:
            yield messages.error("internal", f"the connector failed unexpectedly ({text}); this is a bug: "
                                             "please report it with the sync's log", fatal=True)
            yield messages.sync_status("failed", "the connector crashed; nothing from this sync can be trusted")
            done = True
    if not done:
        yield messages.error("internal", "the sync ended without a status; this is a bug", fatal=True)
        yield messages.sync_status("failed", "the sync ended without a status")
