"""The state of one sync run (:class:`RunState`) and the helpers every phase uses: the stop check, progress
messages, paths, the settings read once, and the digests that tell the next sync what this one saw."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from .. import messages
from ..config import OktaConfig
from ..fanout import BudgetFanout
from ..resources import BY_NAME, RESOURCES, Resource
from ..state import HighWater, PriorState, Tally, digest
from .context import EngineFactory, HostContext, SyncClient, SyncEngine, org_url_of, setting, stats_of
from .outcome import Outcome, SyncStopped
from .users_view import ViewWriter

PROGRESS_EVERY_SECONDS = 2.0
DEFAULT_FULL_SYNC_EVERY = 7


class RunState:
    """What one sync knows as it goes. Every phase of :class:`~connector_okta.sync.run.SyncRun` derives from it."""

    def __init__(self, config: OktaConfig, client: SyncClient, state: Mapping[str, Any] | None, context: Any, *,
                 engine_factory: EngineFactory | None = None, started: float | None = None) -> None:
        self.config = config
        self.client = client
        self.ctx = HostContext(context)
        self.prior = PriorState.load(state)
        self.engine_factory = engine_factory  # None: the real check engine (see CheckFeed.start_engine)
        self.started = started if started is not None else time.monotonic()
        limits = [s for s in (setting(config, "max_sync_seconds", None), self.ctx.max_seconds) if s]
        self.deadline = self.started + min(limits) if limits else None
        self.skip = set(setting(config, "collections_skip", ()) or ())
        self.workers = max(1, int(setting(config, "max_concurrency", 4)))
        budget = int(setting(config, "fanout_budget", 500))
        self.role_fanout = BudgetFanout(client, budget)  # group_roles
        self.check_fanout = BudgetFanout(client, budget)  # the checks' per-object reads
        self.org: dict[str, Any] = {}
        self.now_ms = 0  # set by the bootstrap
        self.pipeline: str | None = None
        self.outcomes: dict[str, Outcome] = {}
        self.admin_ids: set[Any] | None = None  # ids listed by admin_users, once it is read
        self.engine: SyncEngine | None = None
        self.engine_streams: set[str] = set()
        self.results = Tally()  # how many check results were emitted
        self.users_view = ViewWriter()  # every user as the checks saw it, for the next sync (sync/users_view.py)
        self.log_feed_ok = False  # the System Log said what changed (sync/changefeed.py)
        self.deferred: list[Resource] = []  # kept collections read in the stream phase (DEFER_WHEN_FULL)
        self.high_water = HighWater()
        self.mode = "full"
        self.stop: SyncStopped | None = None
        self.crashed_checks = False
        self.network_failures = 0
        self.claimed_stops: set[int] = set()  # the client's pagination stops already blamed on a collection
        self._last_progress = 0.0

    def check_stop(self) -> None:
        if self.ctx.cancelled():
            raise SyncStopped("stopped", "the host cancelled the sync", error=False)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SyncStopped("stopped", "the sync ran past its time budget (max_sync_seconds); stopped "
                                         "with what was read so far: raise max_sync_seconds for a large org",
                              error=False)

    def progress(self, stream: str, count: int, *, force: bool = False, message: str | None = None
                 ) -> Iterator[dict[str, Any]]:
        now = time.monotonic()
        if force or now - self._last_progress >= PROGRESS_EVERY_SECONDS:
            self._last_progress = now
            stats = stats_of(self.client)
            requests = int(stats.get("requests") or 0)
            wait = float(stats.get("rate_limit_wait_seconds") or 0.0)
            if message is None:
                message = f"{stream}: {count} read; {requests} requests so far"
                if wait:
                    message += f", {wait:.1f} s waited on Okta's rate limits"
            yield messages.progress(stream, count, requests, wait, message)

    @property
    def org_ref(self) -> dict[str, Any]:
        return {"uid": self.org["uid"], "name": self.org["name"]}

    def path_of(self, res: Resource, parent_id: str | None = None) -> str:
        grandparent = None
        if res.parent and parent_id:
            grandparent = self.outcomes[res.parent].parent_of.get(parent_id)
        return res.path.format(parent_id=parent_id, grandparent_id=grandparent)

    def series(self, res: Resource) -> list[dict[str, Any]]:
        return res.variants_for(self.pipeline)

    def enabled(self, name: str) -> bool:
        res = BY_NAME[name]
        return res.name not in self.skip and res.exists_on(self.pipeline)

    # -------------------------------------------------------------- what the next sync compares

    @property
    def config_digest(self) -> str:
        c = self.config
        return digest([setting(c, "check_profile", None), setting(c, "check_overrides", None),
                       sorted(self.skip), setting(c, "fanout_budget", None), org_url_of(c)])

    def kept_digest(self) -> str:
        parts = []
        for res in RESOURCES:
            if res.phase == "kept" and res.name in self.outcomes:
                o = self.outcomes[res.name]
                parts.append([res.name, o.status, o.items])
        return digest(parts)

    def prior_full_reason(self) -> str | None:
        """Why the prior state cannot seed an incremental sync, before anything is read (None: it may)."""
        every = int(setting(self.config, "full_sync_every", DEFAULT_FULL_SYNC_EVERY))
        return self.prior.full_reason(org_uid=self.org["uid"], config_digest=self.config_digest,
                                      full_sync_every=every)
