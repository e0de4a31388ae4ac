"""Read-only queries the pages need beyond the store's views (filter choices, the STIG summary).

They read the store's tables through its connection; all writes stay in :mod:`connector_host.store`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..loader import Registry
from ..posture.findings import recorded_groups
from ..store import Store, now_ms

log = logging.getLogger(__name__)

VULN_ID = re.compile(r"^V-\d+$")


def _where(store: Store, integration: int | None, alias: str = "") -> tuple[str, list[Any]]:
    col = f"{alias}integration_id"
    if integration is None:
        return f"{alias}status = 'active'", []
    return f"{alias}status = 'active' AND {col} = ?", [integration]


def filter_options(store: Store, integration: int | None = None) -> dict[str, Any]:
    """The checks (id, title) and standards present among active findings, for the filter menus (from the posture
    recorded with the last sync when it still holds)."""
    groups = recorded_groups(store, integration, now_ms())
    if groups is not None:
        titles: dict[str, str] = {}
        found: set[str] = set()
        for g in groups:
            if g.check_id:
                titles[g.check_id] = max(titles.get(g.check_id, ""), g.title)
            found.update(g.standards)
        return {"checks": sorted(titles.items(), key=lambda c: (c[1], c[0])), "standards": _names(found)}
    clause, params = _where(store, integration)
    db = store._conn()
    checks = [
        (r[0], r[1] or r[0])
        for r in db.execute(
            f"SELECT check_id, MAX(title) FROM findings WHERE {clause} AND check_id IS NOT NULL"
            " GROUP BY check_id ORDER BY MAX(title)", params,
        )
    ]
    standards: set[str] = set()
    for (text,) in db.execute(f"SELECT DISTINCT standards FROM findings WHERE {clause}", params):
        for s in (text or "").split("\n"):
            if s:
                standards.add(s)
    return {"checks": checks, "standards": _names(standards)}


def _names(standards: set[str]) -> list[str]:
    """The standards' names among standards and requirements (Vuln IDs, STIG IDs, "HealthInsight: ..." left out)."""
    return sorted(s for s in standards if not VULN_ID.match(s) and ":" not in s and not re.match(r"^[A-Z]+-[A-Z]+-\d+$", s))


def catalog_stig_rules(store: Store, registry: Registry, integration: int | None = None) -> set[str]:
    """The STIG Vuln IDs the check catalogs (``connector_checks``) of the integrations' connectors cover.

    A rule no check reported on (e.g. a check that runs only under the ``stig`` profile) is then counted as not
    evaluated instead of silently leaving the denominator of the passing share.
    """
    connectors = {i.connector for i in store.list_integrations() if integration is None or i.id == integration}
    rules: set[str] = set()
    for cid in sorted(connectors):
        connector = registry.connectors.get(cid)
        if connector is None:
            continue
        try:
            catalog = connector.checks() or []
        except Exception as e:  # an optional hook: a broken catalog only loses the extra rules
            log.warning("connector %s: connector_checks failed: %s", cid, type(e).__name__)
            continue
        for check in catalog:
            if isinstance(check, Mapping):
                rules |= _stig_ids(check)
    return rules


def _stig_ids(check: Mapping[str, Any]) -> set[str]:
    refs = check.get("references") if isinstance(check.get("references"), Mapping) else {}
    standards = check.get("standards") or refs.get("standards") or []
    requirements = check.get("requirements") or refs.get("requirements") or []
    if isinstance(standards, str):
        standards = [standards]
    if not any(isinstance(s, str) and "STIG" in s for s in standards):
        return set()
    return {r for r in requirements if isinstance(r, str) and VULN_ID.match(r)}


def stig_summary(store: Store, integration: int | None = None, expected: Iterable[str] = ()) -> dict[str, Any]:
    """The STIG rules (Vuln IDs ``V-nnnnnn`` of findings whose standards name a STIG) and how many pass.

    A rule passes when every result for it is ``pass``; it fails when any is ``fail`` or ``warning``; otherwise
    (``unknown``, ``manual``) it is not evaluated and never counted as passing. Rules in ``expected`` (the
    catalog's, :func:`catalog_stig_rules`) without any result are not evaluated either, once any result exists.
    """
    clause, params = _where(store, integration)
    rules: dict[str, str] = {}
    rank = {"fail": 3, "warning": 3, "unknown": 2, "manual": 2, "pass": 1}
    for standards, status in store._conn().execute(
        f"SELECT standards, compliance_status FROM findings WHERE {clause} AND standards LIKE '%STIG%'", params
    ):
        for s in (standards or "").split("\n"):
            if VULN_ID.match(s):
                prev = rules.get(s)
                cur = {3: "failing", 2: "not evaluated", 1: "passing"}[rank.get(status, 2)]
                if prev is None or rank_of(cur) > rank_of(prev):
                    rules[s] = cur
    if rules:  # some results exist (a sync ran): the catalog's rules without any result are not evaluated
        for rule in expected:
            rules.setdefault(rule, "not evaluated")
    total = len(rules)
    counts = {k: sum(1 for v in rules.values() if v == k) for k in ("passing", "failing", "not evaluated")}
    return {
        "rules": total,
        **counts,
        "share_passing": round(counts["passing"] / total, 4) if total else None,
        "by_rule": dict(sorted(rules.items())),
    }


def rank_of(state: str) -> int:
    return {"failing": 3, "not evaluated": 2, "passing": 1}[state]


def view_counts(store: Store, integration: int | None = None) -> dict[str, int]:
    """How many findings each tab of the Finding View holds (active ones by result, and the resolved)."""
    where, params = ("integration_id = ?", [integration]) if integration is not None else ("1 = 1", [])
    by: dict[str, int] = {}
    for status, result, n in store._q(
        f"SELECT status, compliance_status, COUNT(*) FROM findings WHERE {where} GROUP BY status, compliance_status",
        params,
    ):
        by[f"{status}:{result}"] = n
    active = {k.split(":", 1)[1]: v for k, v in by.items() if k.startswith("active:")}
    failing = active.get("fail", 0) + active.get("warning", 0)
    not_evaluated = active.get("unknown", 0) + active.get("manual", 0)
    return {
        "open": failing + not_evaluated,
        "failing": failing,
        "not_evaluated": not_evaluated,
        "passed": active.get("pass", 0),
        "resolved": sum(v for k, v in by.items() if k.startswith("resolved:")),
        "all": sum(active.values()),
    }
