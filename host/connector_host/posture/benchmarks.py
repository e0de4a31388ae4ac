"""The benchmarks the Standards view renders as tables: which standard name the findings carry, which of their
requirement strings are the benchmark's rules, and the benchmark's own list of rules.

The host carries no standard of its own: a connector publishes the standards its checks map to with its check
catalog (``connector_checks`` entries of kind ``standard``: the standard's name as findings carry it, its rules with
their ids, titles and categories), so the table has every rule of the benchmark, also those no result names yet;
the catalog's checks and the findings add the checks behind each rule. A connector that publishes none has no
standards table.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..loader import Registry
    from ..store import Store

log = logging.getLogger(__name__)
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Rule:
    id: str  # the rule's id as findings carry it in compliance.requirements (a Vuln ID, a HealthInsight item)
    alt_id: str | None = None  # a second id (the STIG ID, OKTA-APP-nnnnnn), when the benchmark has one
    title: str | None = None
    severity: str | None = None  # the benchmark's own (CAT I/II/III), when it has one


@dataclass(frozen=True)
class Benchmark:
    key: str  # as the page and the CLI name it
    label: str
    standard: str  # the standard's name in the findings' compliance.standards
    rule_pattern: str | None  # a requirement string that is one of this benchmark's rules (None: the listed ids)
    alt_pattern: str | None = None  # a requirement string that is a rule's second id (follows the rule's id)
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    id_label: str = "Rule"
    alt_label: str | None = None
    title_prefix: str = ""  # stripped from a rule id to make its title (HealthInsight: ...)
    cat_severity: dict[str, str] = field(default_factory=dict)  # the benchmark's category -> our severity

    def is_rule(self, text: str) -> bool:
        if self.rule_pattern is None:
            return any(r.id == text for r in self.rules)
        return bool(re.match(self.rule_pattern, text))

    def is_alt(self, text: str) -> bool:
        return bool(self.alt_pattern and re.match(self.alt_pattern, text))

    def title_of(self, rule_id: str) -> str:
        if self.title_prefix and rule_id.startswith(self.title_prefix):
            return rule_id[len(self.title_prefix):].strip()
        return rule_id


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _pattern(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        re.compile(value)
    except re.error:
        return None
    return value


def from_published(data: Mapping[str, Any]) -> Benchmark | None:
    """A benchmark from a standard a connector published (``connector_checks`` entry of kind ``standard``), or
    ``None`` when it lacks a key, a name or rules."""
    key, name = _text(data.get("key")), _text(data.get("name"))
    raw_rules = data.get("rules")
    if not key or not KEY.match(key) or not name or not isinstance(raw_rules, list):
        return None
    rules: list[Rule] = []
    seen: set[str] = set()
    for r in raw_rules:
        if not isinstance(r, Mapping) or not _text(r.get("id")) or r["id"] in seen:
            continue
        seen.add(r["id"])
        rules.append(Rule(r["id"], _text(r.get("alt_id")), _text(r.get("title")), _text(r.get("category"))))
    if not rules:
        return None
    cats = data.get("categories") if isinstance(data.get("categories"), Mapping) else {}
    return Benchmark(
        key, _text(data.get("label")) or name, name, _pattern(data.get("rule_pattern")),
        _pattern(data.get("alt_pattern")), tuple(rules), id_label=_text(data.get("id_label")) or "Rule",
        alt_label=_text(data.get("alt_label")), title_prefix=_text(data.get("title_prefix")) or "",
        cat_severity={str(k): str(v) for k, v in cats.items() if isinstance(v, str)},
    )


def published(registry: Registry | None, connectors: list[str] | tuple[str, ...] | set[str]) -> dict[str, Benchmark]:
    """The benchmarks the given connectors publish, by key (the first connector to publish a key wins)."""
    out: dict[str, Benchmark] = {}
    if registry is None:
        return out
    for cid in sorted(connectors):
        connector = registry.connectors.get(cid)
        if connector is None:
            continue
        try:
            standards = connector.standards()
        except Exception as e:  # an optional hook: a broken catalog only loses its standards tables
            log.warning("connector %s: connector_checks failed: %s", cid, type(e).__name__)
            continue
        for data in standards:
            bench = from_published(data)
            if bench is not None:
                out.setdefault(bench.key, bench)
    return out


def benchmarks(store: Store, registry: Registry | None, integration: int | None = None) -> dict[str, Benchmark]:
    """The benchmarks of the connectors of the integrations shown (one integration, or all); empty when none
    publishes a standard (the Standards view then says there is no standards table)."""
    if registry is None:
        return {}
    return published(registry, connectors_of(store, integration))


def connectors_of(store: Store, integration: int | None = None) -> set[str]:
    """The connector ids of the integrations shown (one, or all): their rows only, not their configs."""
    if integration is None:
        return {r[0] for r in store._q("SELECT DISTINCT connector FROM integrations")}
    return {r[0] for r in store._q("SELECT connector FROM integrations WHERE id = ?", (integration,))}


def default_key(benches: Mapping[str, Benchmark]) -> str | None:
    """The benchmark a view opens on: the first published."""
    return next(iter(benches), None)
