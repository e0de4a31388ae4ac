"""A benchmark as a table of its rules (the STIG view): per rule its ids, title and category, the checks behind it,
its status and the objects that fail it.

A rule's status comes from the results of its checks: ``fail`` when any fails or warns; else ``not evaluated``
when any could not be read (``unknown``) or no check reported on it (it did not run, e.g. a STIG-only check under
the baseline profile); else ``manual`` when one needs a look in the Admin Console; else ``excepted`` when its
failing results are all under an exception; else ``pass``. Only ``pass`` counts as passing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..loader import Registry
from ..store import Store
from .benchmarks import Benchmark, Rule, connectors_of
from .findings import SEVERITY_NAMES, CheckGroup, FindingFilter, check_groups

log = logging.getLogger(__name__)

RULE_STATUSES = ("fail", "not_evaluated", "manual", "excepted", "pass")
RULE_LABELS = {"fail": "fail", "not_evaluated": "not evaluated", "manual": "manual", "excepted": "excepted",
               "pass": "pass"}


@dataclass
class RuleRow:
    rule: Rule
    checks: dict[str, str] = field(default_factory=dict)  # check id -> title
    groups: list[CheckGroup] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {g.status for g in self.groups}
        if statuses & {"fail", "warning"}:
            return "fail"
        if "unknown" in statuses or not statuses:
            return "not_evaluated"
        if "manual" in statuses:
            return "manual"
        if "excepted" in statuses:  # an accepted risk is not a pass
            return "excepted"
        return "pass"

    @property
    def affected(self) -> int:
        """Objects failing one of the rule's checks (a check judged on the org as a whole counts the org); excepted
        results are not counted."""
        return sum(g.affected for g in self.groups)

    @property
    def excepted(self) -> int:
        return sum(g.excepted for g in self.groups)

    def as_dict(self, benchmark: Benchmark) -> dict[str, Any]:
        severity = self.rule.severity
        return {
            "id": self.rule.id,
            "alt_id": self.rule.alt_id,
            "title": self.rule.title or benchmark.title_of(self.rule.id),
            "category": severity,
            "severity": benchmark.cat_severity.get(severity or "", None) or self._severity(),
            "status": self.status,
            "label": RULE_LABELS[self.status],
            "affected": self.affected,
            "excepted": self.excepted,
            "checks": [{"id": c, "title": t} for c, t in sorted(self.checks.items())],
            "integrations": sorted({g.integration for g in self.groups}),
            "results": [{"check_id": g.check_id, "integration": g.integration, "integration_id": g.integration_id,
                         "status": g.status, "affected": g.affected} for g in self.groups],
        }

    def _severity(self) -> str | None:
        ids = [g.severity_id for g in self.groups]
        if not ids:
            return None
        return {5: "critical", 4: "high", 3: "medium", 2: "low", 1: "informational"}.get(max(ids))


def catalog_checks(store: Store, registry: Registry | None, integration: int | None = None) -> list[Mapping[str, Any]]:
    """The check catalogs (``connector_checks``) of the connectors of the integrations shown, one entry per id."""
    if registry is None:
        return []
    connectors = connectors_of(store, integration)
    out: dict[str, Mapping[str, Any]] = {}
    for cid in sorted(connectors):
        connector = registry.connectors.get(cid)
        if connector is None:
            continue
        try:
            catalog = connector.checks() or []
        except Exception as e:  # an optional hook: a broken catalog only loses the rules it would add
            log.warning("connector %s: connector_checks failed: %s", cid, type(e).__name__)
            continue
        for check in catalog:
            if isinstance(check, Mapping) and isinstance(check.get("id"), str):
                out.setdefault(check["id"], check)
    return list(out.values())


def _refs(check: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    refs = check.get("references") if isinstance(check.get("references"), Mapping) else {}
    standards = check.get("standards") or refs.get("standards") or []
    requirements = check.get("requirements") or refs.get("requirements") or []
    if isinstance(standards, str):
        standards = [standards]
    return ([s for s in standards if isinstance(s, str)], [r for r in requirements if isinstance(r, str)])


def standard_table(
    store: Store, benchmark: Benchmark, integration: int | None = None,
    catalog: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The benchmark's rules with their status, the checks behind them and the objects failing them; and the
    share of rules passing."""
    bench = benchmark
    rows: dict[str, RuleRow] = {r.id: RuleRow(r) for r in bench.rules}

    def row(rule_id: str, alt: str | None) -> RuleRow:
        if rule_id not in rows:
            rows[rule_id] = RuleRow(Rule(rule_id, alt, None, None))
        elif alt and not rows[rule_id].rule.alt_id:
            r = rows[rule_id].rule
            rows[rule_id] = RuleRow(Rule(r.id, alt, r.title, r.severity), rows[rule_id].checks, rows[rule_id].groups)
        return rows[rule_id]

    def rules_of(requirements: list[str]) -> list[tuple[str, str | None]]:
        out = []
        for i, req in enumerate(requirements):
            if bench.is_rule(req):
                nxt = requirements[i + 1] if i + 1 < len(requirements) else None
                out.append((req, nxt if nxt and bench.is_alt(nxt) else None))
        return out

    for check in catalog:
        standards, requirements = _refs(check)
        if bench.standard not in standards:
            continue
        for rule_id, alt in rules_of(requirements):
            row(rule_id, alt).checks[check["id"]] = str(check.get("title") or check["id"])
    groups = check_groups(store, FindingFilter(integration=integration, view="all", standard=bench.standard))
    for g in groups:
        if bench.standard not in g.standards:
            continue
        for rule_id, alt in rules_of(g.standards):
            r = row(rule_id, alt)
            r.checks.setdefault(g.check_id, g.title)
            r.groups.append(g)
    ordered = [rows[r.id] for r in bench.rules] + sorted(
        (v for k, v in rows.items() if k not in {r.id for r in bench.rules}), key=lambda v: v.rule.id)
    items = [r.as_dict(bench) for r in ordered]
    counts = {s: sum(1 for i in items if i["status"] == s) for s in RULE_STATUSES}
    total = len(items)
    evaluated = bool(groups)
    return {
        "benchmark": {"key": bench.key, "label": bench.label, "standard": bench.standard, "id_label": bench.id_label,
                      "alt_label": bench.alt_label, "has_categories": bool(bench.cat_severity)},
        "integration": integration,
        "rules": total,
        "counts": counts,
        "share_passing": round(counts["pass"] / total, 4) if total and evaluated else None,
        "items": items,
        "by_severity": {s: sum(1 for i in items if i["severity"] == s and i["status"] == "fail")
                        for s in SEVERITY_NAMES},
    }
