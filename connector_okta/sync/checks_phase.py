"""Feeding the check engine (:class:`CheckFeed`): starting it, handing it each collection, emitting its results,
and keeping a failing engine from losing the inventory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .. import messages
from ..checks import CheckEngine, Collection, OrgInfo
from ..config import OktaConfig
from ..fanout import BudgetFanout
from ..resources import BY_NAME, Resource
from .base import RunState
from .context import setting
from .outcome import Outcome


def default_engine(config: OktaConfig, org: dict[str, Any], fanout: BudgetFanout, now_ms: int) -> CheckEngine:
    """The real check engine, on the config's profile and overrides."""
    info = OrgInfo(id=org["uid"], name=org["name"], url=org.get("url") or "", pipeline=org.get("pipeline"))
    return CheckEngine(setting(config, "check_profile", "baseline"), dict(setting(config, "check_overrides", {})),
                       org=info, fanout=fanout, now_ms=now_ms)


class CheckFeed(RunState):
    """The check engine's side of a sync. After a failure the engine is dropped (``engine`` is None): the
    inventory goes on, the sync ends partial with one ``ERROR internal``."""

    def start_engine(self) -> Iterator[dict[str, Any]]:
        try:
            self.engine = (self.engine_factory or default_engine)(self.config, self.org, self.check_fanout,
                                                                  self.now_ms)
            self.engine_streams = set(self.engine.streams())
            required = set(self.engine.required_collections())
        except Exception as exc:  # noqa: BLE001
            yield from self.engine_failed(exc)
            return
        for name in sorted(required & self.skip):
            yield messages.log("WARNING", f"collection {name} is disabled (collections_skip) but checks read it; "
                                          "those checks will report unknown")

    def give_engine(self, name: str, outcome: Outcome) -> Iterator[dict[str, Any]]:
        if self.engine is None:
            return
        res = BY_NAME.get(name)
        items = outcome.items if res is None or res.mode == "kept" else []
        try:
            coll = Collection(name, outcome.status, outcome.reason, items, dict(outcome.by_parent),
                              error_kind=outcome.error_kind, gaps=dict(outcome.gaps),
                              series_gaps=dict(outcome.series_gaps), deleted=dict(outcome.deleted),
                              described=outcome.described)
            self.engine.set_collection(coll)
        except Exception as exc:  # noqa: BLE001 - a check engine bug must not lose the inventory
            yield from self.engine_failed(exc)

    def visit(self, res: Resource, item: dict[str, Any], parent_id: str | None) -> Iterator[dict[str, Any]]:
        """Show one streamed object to the engine (with its parent's id where the checks want it) and emit what
        the engine concludes."""
        if self.engine is None or res.name not in self.engine_streams:
            return
        if parent_id is not None and res.visit_parent_key:
            item = {**item, res.visit_parent_key: parent_id}
        try:
            results = list(self.engine.visit(res.name, item))
        except Exception as exc:  # noqa: BLE001
            yield from self.engine_failed(exc)
            return
        yield from self.emit_results(results)

    def engine_failed(self, exc: BaseException) -> Iterator[dict[str, Any]]:
        self.ctx.logger.debug("check engine failed", exc_info=True)
        if not self.crashed_checks:
            yield messages.error("internal", f"the check engine failed ({type(exc).__name__}); the inventory is "
                                             "complete but check results are missing: report this bug",
                                 fatal=False)
        self.crashed_checks = True
        self.engine = None

    def emit_results(self, results: Iterable[Any]) -> Iterator[dict[str, Any]]:
        try:
            for result in results:
                if isinstance(result, dict):
                    self.results.append(result)
                    yield messages.record("check_results", "check_result", self.org_ref, result)
        except Exception as exc:  # noqa: BLE001
            yield from self.engine_failed(exc)

    def finish_checks(self) -> Iterator[dict[str, Any]]:
        if self.engine is None:
            return
        try:
            results = self.engine.finish()
        except Exception as exc:  # noqa: BLE001
            yield from self.engine_failed(exc)
            return
        yield from self.emit_results(results)
