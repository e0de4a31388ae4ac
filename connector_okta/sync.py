"""The sync engine: walks :mod:`connector_okta.resources`, emits records, feeds the checks, reports.

Order of a sync:

1. load the config (a bad one ends the sync before any request: ``ERROR config`` + ``SYNC_STATUS failed``);
2. ``/.well-known/okta-organization`` (pipeline: Identity Engine or Classic) and ``/api/v1/org`` (org uid and
   the ``org`` collection); the org name is the host of the configured URL;
3. the **kept** phase: the small collections every check reads (org settings, authenticators, policies,
   zones, apps, ...), then their per-parent sub-collections (policy rules, app groups, admin roles, ...) on a
   bounded thread pool; each is handed whole to the check engine;
4. the mode decision (full or incremental, see :mod:`connector_okta.state`);
5. the **stream** phase on a full sync: groups (kept), group roles (budgeted fan-out), app assignments,
   users (plain listing + DEPROVISIONED), group memberships and devices, each object emitted and visited by
   the engine, never held;
6. the check engine's ``finish()`` (or, on an incremental sync, the stored results), then ``STATS``,
   ``STATE`` and exactly one ``SYNC_STATUS``.

A collection Okta will not serve (403, E0000015, 404) is reported with ``STREAM_STATUS`` and given to the checks
as ``unavailable``; a feature absent by pipeline is ``not_applicable`` and a collection disabled in the config
is ``skipped``; neither of the last two makes the sync partial.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import messages
from .collect import records_for
from .fanout import DONE, ERROR, PAGE, BudgetFanout, parallel_pages
from .resources import BY_NAME, RESOURCES, Resource
from .state import HighWater, PriorState, ResultPacker, digest, new_state

log = logging.getLogger("connector_okta.sync")

# error kinds that make a sync partial. "budget" (the configured fan-out budget ran out) does not: like
# collections_skip it is the user's choice, the collection says INCOMPLETE and its checks cannot pass.
PARTIAL_KINDS = {"permission", "transient", "network", "rate_limited", "internal", "credentials", "stopped"}
PROGRESS_EVERY_SECONDS = 2.0
DEFAULT_FULL_SYNC_EVERY = 7
# kept-phase collections no check reads (only their relationship records matter), in a rate-limit bucket of their
# own (apps): when the sync is known to be full before it starts, they are read in the stream phase, side by side
# with the large collections, instead of alone before them (issue 8: 40 s of 150 s at 100,000 users)
DEFER_WHEN_FULL = frozenset({"app_groups"})
NETWORK_FAILURES_TO_STOP = 2  # collections failing on the network (after the client's retries) before we give up


class SyncStopped(Exception):
    """The sync cannot go on (credentials revoked, cancelled, out of time)."""

    def __init__(self, kind: str, message: str, *, request_id: str | None = None, error: bool = True) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.request_id = request_id
        self.error = error  # emit an ERROR message (False for a host cancellation)


@dataclass
class Outcome:
    """What happened to one collection."""

    status: str  # complete | incomplete | unavailable | skipped | not_applicable
    count: int = 0
    reason: str | None = None
    error_kind: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    by_parent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    parent_of: dict[str, str] = field(default_factory=dict)  # item id -> parent id

    @property
    def makes_partial(self) -> bool:
        return self.status in ("incomplete", "unavailable") and (self.error_kind in PARTIAL_KINDS)


@dataclass
class _Lane:
    """One collection read by :meth:`SyncRun.read_together`."""

    res: Resource
    outcome: Outcome = field(default_factory=lambda: Outcome("complete"))
    jobs: list[str | None] = field(default_factory=list)
    budget_reason: str | None = None
    first_error: Outcome | None = None
    unavailable: bool = False


class _Context:
    """Tolerant access to the host's ``context`` (an object or a mapping, or None)."""

    def __init__(self, context: Any) -> None:
        def get(name: str) -> Any:
            if context is None:
                return None
            if isinstance(context, Mapping):
                return context.get(name)
            return getattr(context, name, None)

        self.logger = get("logger") or log
        cancelled = get("cancelled")
        self.cancelled: Callable[[], bool] = cancelled if callable(cancelled) else (lambda: False)
        budget = get("budget") or {}
        max_seconds = budget.get("max_seconds") if isinstance(budget, Mapping) else getattr(budget, "max_seconds", None)
        self.max_seconds: float | None = float(max_seconds) if isinstance(max_seconds, int | float) else None


def _cfg(config: Any, name: str, default: Any) -> Any:
    value = getattr(config, name, None)
    return default if value is None else value


def _default_client(config: Any) -> Any:
    from .client import OktaClient

    return OktaClient(config)


def _collection_cls() -> Any:
    from .checks.context import Collection

    return Collection


def _default_engine(config: Any, org: dict[str, Any], fanout: Any, now_ms: int) -> Any:
    from .checks.context import OrgInfo

    try:
        from .checks import CheckEngine  # type: ignore[attr-defined]
    except ImportError:
        from .checks.engine import CheckEngine
    info = OrgInfo(id=org["uid"], name=org["name"], url=org.get("url") or "", pipeline=org.get("pipeline"))
    return CheckEngine(_cfg(config, "check_profile", "baseline"), dict(_cfg(config, "check_overrides", {})),
                       org=info, fanout=fanout, now_ms=now_ms)


def _org_url(config: Any) -> str:
    for name in ("url", "org_url", "base_url", "okta_url"):
        value = getattr(config, name, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _stats_of(client: Any) -> dict[str, Any]:
    try:
        stats = dict(client.stats() or {})
    except Exception:  # noqa: BLE001 - stats must never fail a sync
        stats = {}
    stats.setdefault("requests", 0)
    return stats


class SyncRun:
    """One sync. ``run()`` yields the messages; the caller wraps it with :func:`guarded`."""

    def __init__(self, config: Any, client: Any, state: Mapping[str, Any] | None, context: Any, *,
                 engine_factory: Callable[..., Any] | None = None, started: float | None = None) -> None:
        self.config = config
        self.client = client
        self.ctx = _Context(context)
        self.prior = PriorState.load(state)
        self.engine_factory = engine_factory or _default_engine
        self.started = started if started is not None else time.monotonic()
        limits = [s for s in (_cfg(config, "max_sync_seconds", None), self.ctx.max_seconds) if s]
        self.deadline = self.started + min(limits) if limits else None
        self.skip = set(_cfg(config, "collections_skip", ()) or ())
        self.workers = max(1, int(_cfg(config, "max_concurrency", 4)))
        budget = int(_cfg(config, "fanout_budget", 500))
        self.role_fanout = BudgetFanout(client, budget)  # group_roles
        self.check_fanout = BudgetFanout(client, budget)  # the checks' per-object reads
        self.org: dict[str, Any] = {}
        self.pipeline: str | None = None
        self.outcomes: dict[str, Outcome] = {}
        self.admin_ids: set[Any] | None = None  # ids listed by admin_users, once it is read
        self.engine: Any = None
        self.engine_streams: set[str] = set()
        self.results = ResultPacker()  # packed as emitted (memory stays flat), for the next sync's STATE
        self.deferred: list[Resource] = []  # kept collections read in the stream phase (DEFER_WHEN_FULL)
        self.high_water = HighWater()
        self.mode = "full"
        self.stop: SyncStopped | None = None
        self.crashed_checks = False
        self._last_progress = 0.0
        self.network_failures = 0

    # ------------------------------------------------------------------ helpers

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
            stats = _stats_of(self.client)
            requests = int(stats.get("requests") or 0)
            wait = float(stats.get("rate_limit_wait_seconds") or 0.0)
            if message is None:
                message = f"{stream}: {count} read; {requests} requests so far"
                if wait:
                    message += f", {wait:.1f} s waited on Okta's rate limits"
            yield messages.progress(stream, count, requests, wait, message)

    def path_of(self, res: Resource, parent_id: str | None = None) -> str:
        grandparent = None
        if res.parent and parent_id:
            grandparent = self.outcomes[res.parent].parent_of.get(parent_id)
        return res.path.format(parent_id=parent_id, grandparent_id=grandparent)

    def give_engine(self, name: str, outcome: Outcome) -> Iterator[dict[str, Any]]:
        if self.engine is None:
            return
        res = BY_NAME.get(name)
        items = outcome.items if res is None or res.mode == "kept" else []
        try:
            coll = _collection_cls()(name, outcome.status, outcome.reason, items, dict(outcome.by_parent),
                                      error_kind=outcome.error_kind)
            self.engine.set_collection(coll)
        except Exception as exc:  # noqa: BLE001 - a check engine bug must not lose the inventory
            yield from self.engine_failed(exc)

    def engine_failed(self, exc: BaseException) -> Iterator[dict[str, Any]]:
        self.ctx.logger.debug("check engine failed", exc_info=True)
        if not self.crashed_checks:
            yield messages.error("internal", f"the check engine failed ({type(exc).__name__}); the inventory is "
                                             "complete but check results are missing: report this bug",
                                 fatal=False)
        self.crashed_checks = True
        self.engine = None

    def emit_results(self, results: Any) -> Iterator[dict[str, Any]]:
        try:
            for result in results:
                if isinstance(result, dict):
                    self.results.append(result)
                    yield messages.record("check_results", "check_result", self.org_ref, result)
        except Exception as exc:  # noqa: BLE001
            yield from self.engine_failed(exc)

    @property
    def org_ref(self) -> dict[str, Any]:
        return {"uid": self.org["uid"], "name": self.org["name"]}

    def finish_collection(self, res: Resource, outcome: Outcome) -> Iterator[dict[str, Any]]:
        parent = self.outcomes.get(res.parent) if res.parent else None
        if outcome.status == "complete" and parent is not None and parent.status == "incomplete":
            outcome.status, outcome.error_kind = "incomplete", parent.error_kind  # children of unread parents
            outcome.reason = f"its parent collection {res.parent} was read only in part: {parent.reason}"
        looped = self.pagination_loop(res) if outcome.status == "complete" else None
        if looped:  # the client stopped a pagination loop: what lies past it was not read
            outcome.status, outcome.reason, outcome.error_kind = "incomplete", looped, "transient"
            yield messages.error("transient", looped, stream=res.name, fatal=False)
        self.outcomes[res.name] = outcome
        status = {"complete": "COMPLETE", "incomplete": "INCOMPLETE"}.get(outcome.status, "SKIPPED")
        yield messages.stream_status(res.name, status, outcome.count, outcome.reason, outcome.error_kind)
        yield from self.give_engine(res.name, outcome)

    def pagination_loop(self, res: Resource) -> str | None:
        """Why ``res`` is incomplete when the client stopped a pagination loop (next = self, a repeated
        cursor) on its endpoint; each stop the client recorded is claimed once."""
        from .client.routes import route_template

        stops = getattr(self.client, "pagination_stops", None)
        if not isinstance(stops, list) or not stops:
            return None
        placeholder = "00placeholder0000000"
        route = route_template(res.path.format(parent_id=placeholder, grandparent_id=placeholder))
        claimed = self.__dict__.setdefault("_claimed_stops", set())
        for i, stop in enumerate(list(stops)):
            if i not in claimed and isinstance(stop, Mapping) and stop.get("endpoint") == route:
                claimed.add(i)
                return (f"Okta's pagination of {route} looped ({stop.get('reason')}) after {stop.get('pages')} "
                        "page(s); the rest was not read. Try the sync again later; if it persists, contact Okta "
                        "support with the request ids.")
        return None

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
            if parent.status == "unavailable":
                return Outcome("unavailable", reason=f"its parent collection {res.parent} could not be read",
                               error_kind=parent.error_kind)
        return None

    def failure(self, res: Resource, exc: Exception, count: int) -> tuple[Outcome, list[dict[str, Any]]]:
        """Classify an error while reading ``res``; raise SyncStopped for the fatal ones."""
        kind = getattr(exc, "kind", None)
        rid = getattr(exc, "request_id", None)
        if kind is None:
            raise exc
        message = str(exc)
        if kind in ("credentials", "config"):
            raise SyncStopped(kind, message, request_id=rid)
        if kind == "network":
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
        if kind in ("permission", "feature", "not_found") and count == 0:
            error_kind = "feature" if kind == "not_found" else kind
            out = Outcome("unavailable", reason=message, error_kind=error_kind)
            msgs = [] if error_kind == "feature" else [
                messages.error(kind, message, stream=res.name, request_id=rid, fatal=False)]
            return out, msgs
        out = Outcome("incomplete", count=count, reason=message, error_kind=kind)
        return out, [messages.error(kind, message, stream=res.name, request_id=rid, fatal=False)]

    # ------------------------------------------------------------------ the run

    def run(self) -> Iterator[dict[str, Any]]:
        try:
            yield from self.bootstrap()
            yield from self.kept_phase()
            yield from self.decide_mode()
            if self.mode == "full":
                yield from self.stream_phase()
                yield from self.finish_checks()
            else:
                yield from self.replay_checks()
        except SyncStopped as stop:
            self.stop = stop
            if stop.error:
                yield messages.error(stop.kind, stop.message, request_id=stop.request_id, fatal=True)
            else:
                yield messages.log("WARNING", stop.message)
            yield from self.report_unread(stop)
        yield from self.wrap_up()

    def bootstrap(self) -> Iterator[dict[str, Any]]:
        from_url = _org_url(self.config)
        well_known: dict[str, Any] = {}
        try:
            wk = self.client.well_known()
            well_known = wk if isinstance(wk, dict) else dict(getattr(wk, "json", None) or {})
        except Exception as exc:  # noqa: BLE001
            kind = getattr(exc, "kind", None)
            if kind is None:
                raise
            raise SyncStopped(kind if kind != "not_found" else "config",
                              f"could not read /.well-known/okta-organization: {exc}",
                              request_id=getattr(exc, "request_id", None)) from None
        pipeline = well_known.get("pipeline")
        self.pipeline = pipeline if pipeline in ("idx", "v1") else None
        host = urlsplit(from_url).hostname or ""
        if not host:
            href = ((well_known.get("_links") or {}).get("organization") or {}).get("href") or ""
            host = urlsplit(href).hostname or "okta"
        self.org = {"uid": str(well_known.get("id") or host), "name": host, "url": from_url,
                    "pipeline": self.pipeline}
        self.now_ms = messages.now_ms()
        # the org object itself: its id is the org uid
        res = BY_NAME["org"]
        if res.name in self.skip:
            outcome = Outcome("skipped", reason="disabled in the configuration (collections_skip)")
            body = None
        else:
            yield messages.stream_status(res.name, "STARTED")
            try:
                body = self.client.get(res.path).json
                outcome = Outcome("complete", count=1, items=[body] if isinstance(body, dict) else [])
            except Exception as exc:  # noqa: BLE001
                if getattr(exc, "kind", None) is None:
                    raise
                if getattr(exc, "kind", None) == "network":
                    raise SyncStopped("network", str(exc), request_id=getattr(exc, "request_id", None)) from None
                outcome, msgs = self.failure(res, exc, 0)
                body = None
                yield from msgs
        if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"]:
            self.org["uid"] = body["id"]
        yield from self.start_engine()
        if isinstance(body, dict):
            yield from records_for(res, body, self.org_ref)
        yield from self.finish_collection(res, outcome)

    def start_engine(self) -> Iterator[dict[str, Any]]:
        try:
            self.engine = self.engine_factory(self.config, self.org, self.check_fanout, self.now_ms)
            self.engine_streams = set(self.engine.streams())
            required = set(self.engine.required_collections())
        except Exception as exc:  # noqa: BLE001
            yield from self.engine_failed(exc)
            return
        for name in sorted(required & self.skip):
            yield messages.log("WARNING", f"collection {name} is disabled (collections_skip) but checks read it; "
                                          "those checks will report unknown")

    # -------------------------------------------------------------- collections

    def kept_phase(self) -> Iterator[dict[str, Any]]:
        top = [r for r in RESOURCES if r.phase == "kept" and not r.parent and r.name != "org"]
        yield from self.read_many(top)
        known_full = self.prior.full_reason(org_uid=self.org["uid"], config_digest=self.config_digest,
                                            full_sync_every=int(_cfg(self.config, "full_sync_every",
                                                                     DEFAULT_FULL_SYNC_EVERY))) is not None
        for res in RESOURCES:
            if res.phase == "kept" and res.parent:
                if known_full and res.name in DEFER_WHEN_FULL:
                    self.deferred.append(res)
                    continue
                self.check_stop()
                yield from self.read(res)

    def read_many(self, todo_all: list[Resource]) -> Iterator[dict[str, Any]]:
        """Read independent top-level collections side by side (bounded by max_concurrency)."""
        todo = []
        for res in todo_all:
            pre = self.precheck(res)
            if pre is not None:
                yield from self.finish_collection(res, pre)
            else:
                todo.append(res)
                yield messages.stream_status(res.name, "STARTED")
        running = {res.name: Outcome("complete") for res in todo}

        def pages(res: Resource) -> Iterator[list[Any]]:
            if res.single:
                body = self.client.get(res.path).json
                yield [body] if isinstance(body, dict) else []
                return
            for params in self.series(res):
                yield from self.client.paginate(res.path, params)

        stream = parallel_pages(todo, pages, self.workers)
        try:
            for kind, res, payload in stream:
                self.check_stop()
                outcome = running[res.name]
                if kind == PAGE:
                    for item in payload or ():
                        yield from self.take(res, item, outcome, None)
                    continue
                if kind == ERROR:
                    failed, msgs = self.failure(res, payload, outcome.count)
                    yield from msgs
                    failed.items, failed.count = outcome.items, outcome.count
                    outcome = failed
                del running[res.name]
                yield from self.finish_collection(res, outcome)
        except SyncStopped as stop:
            for name, outcome in running.items():
                self.outcomes[name] = Outcome("incomplete", outcome.count, f"stopped: {stop.message}", "stopped")
            raise
        finally:
            stream.close()

    def read(self, res: Resource) -> Iterator[dict[str, Any]]:
        outcome = self.precheck(res)
        if outcome is not None:
            yield from self.finish_collection(res, outcome)
            return
        yield messages.stream_status(res.name, "STARTED")
        if res.parent:
            outcome = yield from self.read_children(res)
        else:
            outcome = yield from self.read_top(res)
        if res.mode == "streamed" or res.phase == "stream":
            yield from self.progress(res.name, outcome.count, force=True)
        yield from self.finish_collection(res, outcome)

    def enrich_user(self, user: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """Add what the sync knows of a user to its asset record: an admin (listed by /iam/assignees/users) gets
        ``enrichment.is_admin`` and, when read, its role types. Nothing is claimed of other users: the list may not
        name admins whose role comes through a group, so "not listed" is not "not an admin"."""
        admins = self.outcomes.get("admin_users")
        if admins is None or admins.status != "complete":
            return
        if self.admin_ids is None:
            self.admin_ids = {a.get("id") for a in admins.items if isinstance(a, dict)}
        uid = user.get("id")
        if uid not in self.admin_ids:
            return
        enrichment: dict[str, Any] = {"is_admin": True}
        roles = self.outcomes.get("user_roles")
        if roles is not None and roles.status == "complete":
            enrichment["roles"] = sorted({str(r.get("type")) for r in roles.by_parent.get(uid, [])
                                          if isinstance(r, dict) and r.get("type")})
        for message in records:
            if message["record"]["kind"] == "asset":
                message["record"]["enrichment"] = enrichment

    def take(self, res: Resource, item: Any, outcome: Outcome, parent_id: str | None) -> Iterator[dict[str, Any]]:
        """One object read: emit it, keep or visit it."""
        if not isinstance(item, dict):
            yield messages.log("WARNING", f"{res.name}: skipped an object that is not a JSON object")
            return
        outcome.count += 1
        records = records_for(res, item, self.org_ref, parent_id)
        if res.name == "users":
            self.enrich_user(item, records)
        yield from records
        if res.name in ("users", "groups", "devices"):
            self.high_water.see(res.name, item.get("lastUpdated"))
            if res.name == "groups":
                self.high_water.see("groups_membership", item.get("lastMembershipUpdated"))
        if res.mode == "kept":
            outcome.items.append(item)
            if parent_id is not None:
                outcome.by_parent.setdefault(parent_id, []).append(item)
                if isinstance(item.get("id"), str):
                    outcome.parent_of[item["id"]] = parent_id
        elif self.engine is not None and res.name in self.engine_streams:
            if parent_id is not None and res.visit_parent_key:
                item = {**item, res.visit_parent_key: parent_id}
            try:
                results = list(self.engine.visit(res.name, item))
            except Exception as exc:  # noqa: BLE001
                yield from self.engine_failed(exc)
                return
            yield from self.emit_results(results)

    def read_top(self, res: Resource) -> Generator[dict[str, Any], None, Outcome]:
        outcome = Outcome("complete")
        try:
            if res.single:
                body = self.client.get(res.path).json
                if isinstance(body, dict):
                    yield from self.take(res, body, outcome, None)
                return outcome
            for params in self.series(res):
                for page in self.client.paginate(res.path, params):
                    self.check_stop()
                    for item in page or ():
                        yield from self.take(res, item, outcome, None)
                    if res.mode == "streamed" or res.phase == "stream":
                        yield from self.progress(res.name, outcome.count)
        except SyncStopped as stop:
            self.outcomes[res.name] = Outcome("incomplete", outcome.count, f"stopped: {stop.message}", "stopped")
            raise
        except Exception as exc:  # noqa: BLE001
            failed, msgs = self.failure(res, exc, outcome.count)
            yield from msgs
            failed.items, failed.count = outcome.items, outcome.count
            return failed
        return outcome

    def series(self, res: Resource) -> list[dict[str, Any]]:
        return res.variants_for(self.pipeline)

    def parents_of(self, res: Resource) -> list[str]:
        parent = self.outcomes[res.parent]
        ids = []
        for item in parent.items:
            pid = item.get("id")
            if not isinstance(pid, str) or not pid:
                continue
            if any(item.get(k) not in allowed for k, allowed in res.parent_where.items()):
                continue
            ids.append(pid)
        if res.fanout and res.parent == "groups":
            # groups known to hold admin roles (a user's role assigned through a group names it) come first,
            # so a budget smaller than the number of groups still covers them
            known = self.role_groups()
            ids = [g for g in ids if g in known] + [g for g in ids if g not in known]
        return ids

    def role_groups(self) -> set[str]:
        out: set[str] = set()
        roles = self.outcomes.get("user_roles")
        for role in roles.items if roles else ():
            href = ((role.get("_links") or {}).get("assignee") or {}).get("href")
            if role.get("assignmentType") == "GROUP" and isinstance(href, str) and "/groups/" in href:
                out.add(href.rstrip("/").rsplit("/", 1)[-1])
        return out

    def read_children(self, res: Resource) -> Generator[dict[str, Any], None, Outcome]:
        parent_ids = self.parents_of(res)
        outcome = Outcome("complete")
        if res.mode == "kept":
            outcome.by_parent = {pid: [] for pid in parent_ids}
        jobs = parent_ids
        budget_reason = None
        if res.fanout:
            fan = self.role_fanout
            if len(parent_ids) > fan.remaining:
                jobs = parent_ids[: fan.remaining]
                budget_reason = (f"the fan-out budget ({fan.budget} requests) covers {len(jobs)} of "
                                 f"{len(parent_ids)} {res.parent}; raise fanout_budget to read them all")
            for _ in jobs:
                fan.take()
        params = self.series(res)[0]

        def pages(pid: str) -> Iterator[list[Any]]:
            return self.client.paginate(self.path_of(res, pid), params)

        first_error: tuple[Outcome, list[dict[str, Any]]] | None = None
        unavailable = False
        stream = parallel_pages(jobs, pages, self.workers)
        try:
            for kind, pid, payload in stream:
                self.check_stop()
                if kind == PAGE:
                    for item in payload or ():
                        yield from self.take(res, item, outcome, pid)
                    if res.mode == "streamed":
                        yield from self.progress(res.name, outcome.count)
                elif kind == ERROR:
                    ekind = getattr(payload, "kind", None)
                    if ekind == "not_found":
                        yield messages.log("DEBUG", f"{res.name}: {res.parent} {pid} vanished during the sync")
                        continue
                    failed, msgs = self.failure(res, payload, outcome.count)
                    if first_error is None:
                        first_error = (failed, msgs)
                        yield from msgs
                    if failed.status == "unavailable":
                        unavailable = True
                        break  # the token cannot read this sub-collection at all: stop asking
                elif kind == DONE:
                    pass
        except SyncStopped as stop:
            self.outcomes[res.name] = Outcome("incomplete", outcome.count, f"stopped: {stop.message}", "stopped")
            raise
        finally:
            stream.close()
        if res.mode == "kept":  # served order per parent, parents in their own order, whatever the threads did
            outcome.items = [item for pid in outcome.by_parent for item in outcome.by_parent[pid]]
        if first_error is not None:
            failed = first_error[0]
            if unavailable and outcome.count == 0:
                return failed
            return Outcome("incomplete", outcome.count, failed.reason, failed.error_kind, outcome.items,
                           outcome.by_parent, outcome.parent_of)
        if budget_reason:
            yield messages.log("WARNING", f"{res.name}: {budget_reason}")
            return Outcome("incomplete", outcome.count, budget_reason, "budget", outcome.items,
                           outcome.by_parent, outcome.parent_of)
        return outcome

    def read_together(self, resources: list[Resource]) -> Iterator[dict[str, Any]]:
        """Read several collections on one bounded worker pool, their requests interleaved (issue 8: the
        sync's time is set by the busiest rate-limit bucket, not by the sum of them). Each collection gets
        the outcome :meth:`read` would give it; pages of one series stay in order."""
        lanes: dict[str, _Lane] = {}
        for res in resources:
            pre = self.precheck(res)
            if pre is not None:
                yield from self.finish_collection(res, pre)
                continue
            yield messages.stream_status(res.name, "STARTED")
            lane = lanes[res.name] = _Lane(res)
            if res.parent:
                parent_ids = self.parents_of(res)
                if res.mode == "kept":
                    lane.outcome.by_parent = {pid: [] for pid in parent_ids}
                lane.jobs = list(parent_ids)
                if res.fanout:
                    fan = self.role_fanout
                    if len(parent_ids) > fan.remaining:
                        lane.jobs = parent_ids[: fan.remaining]
                        lane.budget_reason = (f"the fan-out budget ({fan.budget} requests) covers {len(lane.jobs)} "
                                              f"of {len(parent_ids)} {res.parent}; raise fanout_budget to read them all")
                    for _ in lane.jobs:
                        fan.take()
            else:
                lane.jobs = [None]
        # top-level series first (one worker each, for their whole length), then the per-parent reads of all
        # collections spread evenly, so no bucket's jobs bunch up while another bucket idles
        order = sorted(((0.0 if pid is None else (i + 0.5) / len(lane.jobs), k, i) for k, lane in
                        enumerate(lanes.values()) for i, pid in enumerate(lane.jobs)))
        names = list(lanes)
        jobs = [(names[k], lanes[names[k]].jobs[i]) for _, k, i in order]

        def pages(job: tuple[str, str | None]) -> Iterator[list[Any]]:
            name, pid = job
            lane = lanes[name]
            if lane.unavailable:
                return
            if pid is None:
                for params in self.series(lane.res):
                    yield from self.client.paginate(lane.res.path, params)
            else:
                yield from self.client.paginate(self.path_of(lane.res, pid), self.series(lane.res)[0])

        # a queue of one page per worker: a page of 1,000 members parses to a few MB, and memory must stay flat
        stream = parallel_pages(jobs, pages, self.workers, queue_size=self.workers)
        try:
            for kind, (name, pid), payload in stream:
                self.check_stop()
                lane = lanes[name]
                res, outcome = lane.res, lane.outcome
                if kind == PAGE:
                    for item in payload or ():
                        yield from self.take(res, item, outcome, pid)
                    yield from self.progress(res.name, outcome.count)
                elif kind == ERROR:
                    if getattr(payload, "kind", None) == "not_found" and pid is not None:
                        yield messages.log("DEBUG", f"{res.name}: {res.parent} {pid} vanished during the sync")
                        continue
                    failed, msgs = self.failure(res, payload, outcome.count)
                    if lane.first_error is None:
                        lane.first_error = failed
                        yield from msgs
                    if failed.status == "unavailable":
                        lane.unavailable = True  # the token cannot read this collection: stop asking
        except SyncStopped as stop:
            for lane in lanes.values():
                self.outcomes[lane.res.name] = Outcome("incomplete", lane.outcome.count, f"stopped: {stop.message}",
                                                       "stopped")
            raise
        finally:
            stream.close()
        for lane in lanes.values():
            res, outcome = lane.res, lane.outcome
            if res.mode == "kept" and res.parent:
                outcome.items = [item for pid in outcome.by_parent for item in outcome.by_parent[pid]]
            if lane.first_error is not None:
                failed = lane.first_error
                if not (lane.unavailable and outcome.count == 0):
                    failed = Outcome("incomplete", outcome.count, failed.reason, failed.error_kind, outcome.items,
                                     outcome.by_parent, outcome.parent_of)
                outcome = failed
            elif lane.budget_reason:
                yield messages.log("WARNING", f"{res.name}: {lane.budget_reason}")
                outcome = Outcome("incomplete", outcome.count, lane.budget_reason, "budget", outcome.items,
                                  outcome.by_parent, outcome.parent_of)
            yield from self.progress(res.name, outcome.count, force=True)
            yield from self.finish_collection(res, outcome)

    # -------------------------------------------------------------- mode

    @property
    def config_digest(self) -> str:
        c = self.config
        return digest([_cfg(c, "check_profile", None), _cfg(c, "check_overrides", None),
                       sorted(self.skip), _cfg(c, "fanout_budget", None), _org_url(c)])

    def kept_digest(self) -> str:
        parts = []
        for res in RESOURCES:
            if res.phase == "kept" and res.name in self.outcomes:
                o = self.outcomes[res.name]
                parts.append([res.name, o.status, o.items])
        return digest(parts)

    def decide_mode(self) -> Iterator[dict[str, Any]]:
        self.mode = "full"
        reason = self.prior.full_reason(org_uid=self.org["uid"], config_digest=self.config_digest,
                                        full_sync_every=int(_cfg(self.config, "full_sync_every",
                                                                 DEFAULT_FULL_SYNC_EVERY)))
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

    def probe_changes(self) -> Generator[dict[str, Any], None, str | None]:
        """One request per large collection: did anything change since the marks? (None = nothing)."""
        hw = self.prior.high_water
        probes: list[tuple[str, str, dict[str, str]]] = []
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
        for name, path, params in probes:
            if name not in hw or (name == "groups" and "groups_membership" not in hw):
                return f"no high-water mark for {name}"
            try:
                pages = self.client.paginate(path, params)
                first = next(iter(pages), [])
                close = getattr(pages, "close", None)
                if close:
                    close()
            except Exception as exc:  # noqa: BLE001
                if getattr(exc, "kind", None) == "credentials":
                    raise SyncStopped("credentials", str(exc), request_id=getattr(exc, "request_id", None)) from None
                if getattr(exc, "kind", None) is None:
                    raise
                return f"could not ask Okta what changed in {name} ({getattr(exc, 'kind', 'error')})"
            if first:
                return f"{name} changed since the last sync"
        return None
        yield  # pragma: no cover - makes this a generator

    def enabled(self, name: str) -> bool:
        res = BY_NAME[name]
        return res.name not in self.skip and res.exists_on(self.pipeline)

    # -------------------------------------------------------------- stream phase and checks

    def stream_phase(self) -> Iterator[dict[str, Any]]:
        todo = [res for res in RESOURCES if res.phase == "stream"]
        # first, in order, what other reads or the streamed checks' visits depend on: the parents (groups) and the
        # kept collections (group roles: okta-admin-group-size looks them up while it visits memberships)
        first = [res for res in todo if res.mode == "kept" or any(other.parent == res.name for other in todo)]
        for res in first:
            self.check_stop()
            yield from self.read(res)
        # then the streamed ones side by side: their requests fall in different rate-limit buckets (app users in
        # apps, users in users, memberships in groups), so each bucket's quota is used while the others wait
        self.check_stop()
        yield from self.read_together(self.deferred + [res for res in todo if res not in first])

    def finish_checks(self) -> Iterator[dict[str, Any]]:
        if self.engine is None:
            return
        try:
            results = self.engine.finish()
        except Exception as exc:  # noqa: BLE001
            yield from self.engine_failed(exc)
            return
        yield from self.emit_results(results)

    def replay_checks(self) -> Iterator[dict[str, Any]]:
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

    def report_unread(self, stop: SyncStopped) -> Iterator[dict[str, Any]]:
        for res in RESOURCES:
            current = self.outcomes.get(res.name)
            if current is not None and current.status == "incomplete" and current.error_kind == "stopped":
                yield messages.stream_status(res.name, "INCOMPLETE", current.count, current.reason, "stopped")
            elif current is None:
                self.outcomes[res.name] = Outcome("incomplete", reason=f"not read: {stop.message}",
                                                  error_kind="stopped")
                yield messages.stream_status(res.name, "SKIPPED", 0, f"not read: the sync stopped ({stop.message})",
                                             "stopped")

    # -------------------------------------------------------------- the end

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
        return "succeeded", "every enabled collection was read"

    def state_complete(self) -> bool:
        """Whether this sync may seed an incremental one: it ran to the end and read every collection it could.

        A collection the token cannot read at all (``unavailable``) does not prevent it: that gap is part of the
        small-collection digest, so the next sync notices when it changes."""
        if self.stop is not None or self.crashed_checks:
            return False
        return not any(o.status == "incomplete" and o.error_kind != "budget" for o in self.outcomes.values())

    def wrap_up(self) -> Iterator[dict[str, Any]]:
        status, message = self.final_status()
        stats = _stats_of(self.client)
        stats["fanout_requests"] = self.role_fanout.used + self.check_fanout.used
        stats["duration_seconds"] = round(time.monotonic() - self.started, 3)
        yield {"type": "STATS", "stats": stats}
        if self.org:
            complete = self.state_complete()
            marks = dict(self.high_water.marks)
            if complete and self.mode == "full":
                fallback = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.now_ms / 1000))
                for key in ("users", "groups", "groups_membership", "devices"):
                    marks.setdefault(key, fallback)
            state = new_state(prior=self.prior, mode=self.mode, complete=complete, org_uid=self.org.get("uid"),
                              config_digest=self.config_digest, kept_digest=self.kept_digest(),
                              high_water=marks, check_results=self.results)
            yield {"type": "STATE", "state": state}
        counts = sum(o.count for o in self.outcomes.values())
        yield messages.sync_status(status, f"{message} ({counts} objects, {len(self.results)} check results)",
                                   self.mode)


def run_sync(raw_config: Mapping[str, Any], state: Mapping[str, Any] | None, context: Any = None, *,
             client_factory: Callable[[Any], Any] | None = None,
             engine_factory: Callable[..., Any] | None = None) -> Iterator[dict[str, Any]]:
    """Run one sync and yield its messages (see module docs). Ends with one SYNC_STATUS unless it raises."""
    started = time.monotonic()
    from .config import load_config

    try:
        config = load_config(dict(raw_config) if isinstance(raw_config, Mapping) else raw_config)
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "kind", None) != "config" and type(exc).__name__ != "ConfigError":
            raise
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
