"""The check engine: runs the catalog's checks over what the sync read.

Usage by the sync engine::

    engine = CheckEngine("stig", overrides, org=OrgInfo(...), fanout=budgeted_getter, now_ms=now)
    for name in engine.required_collections(): engine.set_collection(Collection(name, status, reason, items, by_parent))
    for stream in engine.streams():             # e.g. "users", after the kept collections are set
        for item in objects: yield from engine.visit(stream, item)
        engine.set_collection(Collection(stream, "complete" | "incomplete", reason))   # the stream's outcome
    yield from engine.finish()                   # org-level checks, then each stream check's summary

Guarantees: an exception inside one check becomes an ``unknown`` result with the reason; a check whose
collections are unavailable/skipped/not applicable yields one ``unknown`` (never ``pass``); when a collection is
only ``incomplete`` the check runs but every ``pass`` it yields becomes ``unknown`` (and every verdict resting on
something not being found, ``absence``), unless the catalog says the check judges that collection's gaps itself:

- ``gaps_reported``: collections read per parent whose gaps the check reports object by object (the rules of a
  policy it could not read make that policy ``unknown``; the other policies are judged on what was read);
- ``policy_types``: the policy types (request series of ``policies``) the check reads; a series that failed for
  another type does not touch it, one that failed for its own does.

Either holds only while the collection is ``described`` (its gaps name everything missing). A ``pass`` of a check
with a ``caveat`` (an organisational condition the API cannot show) carries it in its message and evidence.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

from . import implementations, registry
from .catalog import FANOUT_ONLY, STREAMED, load_catalog
from .context import CheckContext, Collection, Fanout, OrgInfo, error_reason
from .results import org_res, result

RESULT_STATUSES = ("pass", "warning", "fail", "manual", "unknown")
# fan-out checks run first among org checks, admins first (they share the request budget)
_FANOUT_ORDER = ("okta-admin-no-mfa", "okta-admin-phishing-resistant-factor", "okta-api-token-super-admin")


def catalog() -> list[dict[str, Any]]:
    """Metadata of every check (for the CLI list and the ``connector_checks`` hook)."""
    return load_catalog()


class CheckEngine:
    def __init__(
        self,
        profile: str = "baseline",
        overrides: dict | None = None,
        *,
        org: OrgInfo,
        fanout: Fanout | None = None,
        now_ms: int,
    ) -> None:
        self.profile = profile
        self.overrides = overrides or {}
        self.org = org
        implementations.load_all()
        self._meta = {c["id"]: self._apply_overrides(c) for c in load_catalog()}
        self._collections: dict[str, Collection] = {}
        self._visited: dict[str, int] = {}
        self._stream_errors: dict[str, list[str]] = {}
        self.ctx = CheckContext(
            collections=self._collections,
            org=org,
            profile=profile,
            thresholds=self._threshold,
            fanout=fanout,
            now_ms=now_ms,
        )
        self._active = [cid for cid, m in self._meta.items() if self._applies(m)]
        self._streamers: dict[str, Any] = {}
        for cid in self._active:
            if cid in registry.STREAM_CHECKS:
                _, cls = registry.STREAM_CHECKS[cid]
                self._streamers[cid] = cls()

    # ------------------------------------------------------------------ configuration
    def _apply_overrides(self, meta: dict) -> dict:
        m = meta  # load_catalog() hands out copies
        ov = self.overrides.get(m["id"]) or {}
        if "severity" in ov:
            m["severity"] = ov["severity"]
        m["enabled"] = bool(ov.get("enabled", True))
        return m

    def _applies(self, m: dict) -> bool:
        if not m["enabled"] or self.profile not in m["profiles"]:
            return False
        if self.org.pipeline is None:
            return True  # judged per check; pipeline-specific checks report unknown (see finish)
        return self.org.pipeline in m["pipelines"]

    def _threshold(self, check_id: str, name: str) -> Any:
        ov = (self.overrides.get(check_id) or {}).get("thresholds") or {}
        if name in ov:
            return ov[name]
        if isinstance(ov.get(self.profile), dict) and name in ov[self.profile]:
            return ov[self.profile][name]
        th = self._meta.get(check_id, {}).get("thresholds") or {}
        for prof in (self.profile, "baseline"):
            if name in (th.get(prof) or {}):
                return th[prof][name]
        raise KeyError(f"check {check_id} has no threshold {name!r} for profile {self.profile!r}")

    def catalog(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(m) for m in self._meta.values()]

    def active_checks(self) -> list[str]:
        return list(self._active)

    def required_collections(self) -> set[str]:
        out: set[str] = set()
        for cid in self._active:
            m = self._meta[cid]
            out.update(m.get("collections", []))
            out.update(m.get("optional_collections", []))
        return out - STREAMED - FANOUT_ONLY

    def streams(self) -> set[str]:
        return {registry.STREAM_CHECKS[cid][0] for cid in self._streamers}

    def set_collection(self, collection: Collection) -> None:
        self._collections[collection.name] = collection

    # ------------------------------------------------------------------ running
    def _finalize(self, cid: str, r: dict, downgrade: str | None = None) -> dict:
        out = {
            "check_id": cid,
            "status": r.get("status", "unknown"),
            "resource": r.get("resource") or org_res(self.ctx),
            "related": r.get("related") or [],
            "message": r.get("message", ""),
            "evidence": dict(r.get("evidence") or {}),
            "profile": self.profile,
        }
        if out["status"] not in RESULT_STATUSES:
            out["evidence"]["invalid_status"] = out["status"]
            out["status"] = "unknown"
        if downgrade and (out["status"] == "pass" or (r.get("absence") and out["status"] in ("fail", "warning"))):
            out["status"] = "unknown"
            out["message"] = f"Not confirmed: {downgrade}. Judged on partial data: {out['message']}"
            out["evidence"]["partial_data"] = downgrade
        caveat = (self._meta.get(cid) or {}).get("caveat")
        if caveat and out["status"] == "pass":
            out["message"] = f"{out['message']} Caveat: {caveat}"
            out["evidence"]["caveat"] = caveat
        out["evidence"].setdefault("profile", self.profile)
        return out

    def _error(self, cid: str, exc: BaseException) -> dict:
        return self._finalize(cid, result("unknown", org_res(self.ctx), f"The check failed: {error_reason(exc)}",
                                          {"error": type(exc).__name__}))

    def visit(self, stream: str, item: dict) -> Iterator[dict]:
        self._visited[stream] = self._visited.get(stream, 0) + 1
        for cid, inst in self._streamers.items():
            if registry.STREAM_CHECKS[cid][0] != stream:
                continue
            self.ctx.check_id = cid
            try:
                for r in inst.visit(item, self.ctx) or ():
                    yield self._finalize(cid, r)
            except Exception as exc:  # noqa: BLE001 - one odd object never stops the check
                errs = self._stream_errors.setdefault(cid, [])
                if len(errs) < 5:
                    errs.append(f"{item.get('id', '?') if isinstance(item, dict) else '?'}: {error_reason(exc)}")
                else:
                    errs.append("")

    def _gate(self, cid: str) -> tuple[dict | None, str | None]:
        """``(unknown_result, None)`` if the check cannot run; else ``(None, downgrade_reason_or_None)``."""
        m = self._meta[cid]
        if self.org.pipeline is None and len(m["pipelines"]) < len(("idx", "v1")):
            return self._finalize(cid, result("unknown", org_res(self.ctx),
                                              "The org's engine (Classic or Identity Engine) is unknown, and this "
                                              f"check only applies to {m['pipelines']}.", {})), None
        partial: list[str] = []
        for name in m.get("collections", []):
            if name in FANOUT_ONLY:
                continue
            coll = self._collections.get(name)
            if name in STREAMED:
                status = coll.status if coll else ("complete" if self._visited.get(name) else None)
                if status is None:
                    partial.append(f"the {name} stream was not read")
                elif status != "complete" and not (coll is not None and self._judges_gaps(m, name, coll)):
                    partial.append(Collection(name, status, coll.reason if coll else None).why())
                continue
            if coll is None:
                coll = Collection(name, "unavailable", reason="not provided by this sync")
            if getattr(coll, "feature_missing", coll.status == "not_applicable") and m.get("manual"):
                return self._finalize(cid, result(
                    "manual", org_res(self.ctx), f"{coll.why()}; the API cannot answer here. {m['manual']}",
                    {"collection": name, "collection_status": coll.status, "console": m["remediation"]["console"]},
                )), None
            if coll.status in ("unavailable", "skipped", "not_applicable") or coll.status not in (
                "complete", "incomplete"
            ):
                return self._finalize(cid, result(
                    "unknown", org_res(self.ctx), f"Cannot evaluate: {coll.why()}.",
                    {"collection": name, "collection_status": coll.status, "reason": coll.reason})), None
            if coll.status == "incomplete" and not self._judges_gaps(m, name, coll):
                partial.append(coll.why())
        return None, ("; ".join(partial) or None)

    @staticmethod
    def _judges_gaps(m: dict, name: str, coll: Collection) -> bool:
        """Whether the check judges this incomplete collection's gaps itself (see the module docs)."""
        if coll.status != "incomplete" or not coll.described:
            return False
        if name in m.get("gaps_reported", ()):
            return True
        types = m.get("policy_types") or ()
        if name == "policies" and types and not coll.gaps:
            return all(coll.series_gap(f"type={t}") is None for t in types)
        return False

    def _run(self, cid: str, produce: Iterable[dict] | None, downgrade: str | None) -> Iterator[dict]:
        self.ctx.check_id = cid
        try:
            for r in produce or ():
                yield self._finalize(cid, r, downgrade)
        except Exception as exc:  # noqa: BLE001 - a failing check becomes unknown, never crashes the sync
            yield self._error(cid, exc)

    def _manual(self, cid: str) -> dict:
        m = self._meta[cid]
        return self._finalize(cid, result("manual", org_res(self.ctx), m.get("manual", ""),
                                          {"console": m["remediation"]["console"]}))

    def finish(self) -> Iterator[dict]:
        org_checks = [c for c in self._active if c not in self._streamers]
        org_checks.sort(key=lambda c: _FANOUT_ORDER.index(c) if c in _FANOUT_ORDER else len(_FANOUT_ORDER))
        for cid in org_checks:
            m = self._meta[cid]
            if m["kind"] == "manual":
                yield self._manual(cid)
                continue
            fn = registry.ORG_CHECKS.get(cid)
            if fn is None:
                yield self._finalize(cid, result("unknown", org_res(self.ctx),
                                                 "This check has no implementation in this version.", {}))
                continue
            blocked, downgrade = self._gate(cid)
            if blocked:
                yield blocked
                continue
            self.ctx.check_id = cid
            try:
                produce = fn(self.ctx)
            except Exception as exc:  # noqa: BLE001
                yield self._error(cid, exc)
                continue
            yield from self._run(cid, produce, downgrade)
        for cid, inst in self._streamers.items():
            blocked, downgrade = self._gate(cid)
            if blocked:
                yield blocked
                continue
            errs = self._stream_errors.get(cid)
            if errs:  # the summary cannot pass: it becomes unknown with this reason (a fail stays a fail)
                reason = f"{len(errs)} objects could not be judged ({'; '.join(e for e in errs if e)})"
                downgrade = f"{downgrade}; {reason}" if downgrade else reason
            self.ctx.check_id = cid
            try:
                produce = inst.finish(self.ctx)
            except Exception as exc:  # noqa: BLE001
                yield self._error(cid, exc)
                continue
            yield from self._run(cid, produce, downgrade)
