"""The check catalog: metadata as data (``catalog.toml``, package data), loaded once and validated."""

from __future__ import annotations

import copy
import functools
import tomllib
from importlib import resources
from typing import Any

SEVERITIES = ("info", "low", "medium", "high", "critical")
PROFILES = ("baseline", "stig", "healthinsight")
PIPELINES = ("idx", "v1")
KINDS = ("automated", "manual")
STIG = "DISA Okta IDaaS STIG V1R2"
REQUIRED_KEYS = ("id", "title", "severity", "area", "rationale", "remediation", "references", "collections",
                 "fanout", "pipelines", "profiles", "kind")
# collections the sync engine streams (visit()) instead of keeping, and the one checks fetch themselves
STREAMED = frozenset({"users", "group_members", "app_users", "devices"})
FANOUT_ONLY = frozenset({"user_factors"})
POLICY_TYPES = ("OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY", "PROFILE_ENROLLMENT", "IDP_DISCOVERY")


class CatalogError(ValueError):
    pass


@functools.lru_cache(maxsize=1)
def _load() -> tuple[dict[str, Any], ...]:
    text = resources.files("connector_okta.checks").joinpath("catalog.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    checks = data.get("check", [])
    problems = validate(checks)
    if problems:
        raise CatalogError("catalog.toml is invalid: " + "; ".join(problems[:10]))
    return tuple(checks)


def load_catalog() -> list[dict[str, Any]]:
    """All checks' metadata, in catalog order (a deep copy: callers may modify it)."""
    return copy.deepcopy(list(_load()))


def by_id() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in load_catalog()}


def validate(checks: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for i, c in enumerate(checks):
        cid = c.get("id", f"#{i}")
        for k in REQUIRED_KEYS:
            if k not in c:
                problems.append(f"{cid}: missing {k}")
        if cid in seen:
            problems.append(f"{cid}: duplicate id")
        seen.add(cid)
        if c.get("severity") not in SEVERITIES:
            problems.append(f"{cid}: severity {c.get('severity')!r} not in {SEVERITIES}")
        if c.get("kind") not in KINDS:
            problems.append(f"{cid}: kind {c.get('kind')!r} not in {KINDS}")
        if not set(c.get("profiles", [])) <= set(PROFILES) or not c.get("profiles"):
            problems.append(f"{cid}: bad profiles {c.get('profiles')}")
        if not set(c.get("pipelines", [])) <= set(PIPELINES) or not c.get("pipelines"):
            problems.append(f"{cid}: bad pipelines {c.get('pipelines')}")
        rem = c.get("remediation", {})
        if not rem.get("console"):
            problems.append(f"{cid}: remediation.console missing")
        refs = c.get("references", {})
        if not refs.get("standards"):
            problems.append(f"{cid}: references.standards empty")
        if STIG in refs.get("standards", []) and not any(str(r).startswith("V-") for r in refs.get("requirements", [])):
            problems.append(f"{cid}: a STIG check must name its Vuln ID")
        if c.get("kind") == "manual" and not c.get("manual"):
            problems.append(f"{cid}: manual check without manual instructions")
        for prof, values in (c.get("thresholds") or {}).items():
            if prof not in PROFILES or not isinstance(values, dict):
                problems.append(f"{cid}: bad thresholds for {prof}")
        read = set(c.get("collections", [])) | set(c.get("optional_collections", []))
        if not set(c.get("gaps_reported", [])) <= read:
            problems.append(f"{cid}: gaps_reported names collections the check does not read")
        if c.get("policy_types") and ("policies" not in read or not set(c["policy_types"]) <= set(POLICY_TYPES)):
            problems.append(f"{cid}: bad policy_types {c.get('policy_types')}")
        if bool(c.get("fanout")) != bool(c.get("fanout_reads")):
            problems.append(f"{cid}: a fan-out check names its per-object reads (fanout_reads), and only it")
        if not set(c.get("unread") or {}) <= read:
            problems.append(f"{cid}: unread names collections the check does not read")
        if "caveat" in c and not (isinstance(c["caveat"], str) and c["caveat"]):
            problems.append(f"{cid}: caveat must be a sentence")
    return problems


def stig_requirements(check: dict[str, Any]) -> list[str]:
    return [r for r in check.get("references", {}).get("requirements", []) if str(r).startswith(("V-", "OKTA-APP-"))]


# ------------------------------------------------------------------------------------------------ standards

STANDARD_KEYS = ("key", "name", "label", "rules")


@functools.lru_cache(maxsize=1)
def _load_standards() -> tuple[dict[str, Any], ...]:
    text = resources.files("connector_okta.checks").joinpath("standards.toml").read_text(encoding="utf-8")
    standards = tomllib.loads(text).get("standard", [])
    problems = validate_standards(standards, _load())
    if problems:
        raise CatalogError("standards.toml is invalid: " + "; ".join(problems[:10]))
    return tuple(standards)


def load_standards() -> list[dict[str, Any]]:
    """The standards the checks map to (``standards.toml``), each with its full list of rules (a deep copy)."""
    return copy.deepcopy(list(_load_standards()))


def standard_entries() -> list[dict[str, Any]]:
    """The standards as entries of the ``connector_checks`` list: ``{"id": "standard:<key>", "kind": "standard",
    "title": <name>, "standard": {...}}``. A host that knows entries of kind ``standard`` builds its standards
    tables from them; one that does not sees an entry with an id and a title, and no check results name it."""
    return [{"id": f"standard:{s['key']}", "kind": "standard", "title": s["name"], "standard": s}
            for s in load_standards()]


def validate_standards(standards: list[dict[str, Any]], checks: tuple[dict[str, Any], ...] | list[dict[str, Any]]
                       ) -> list[str]:
    """Every standard has its keys and unique rules; a rule is covered by a check of the catalog that names it (and
    the standard), or marked ``manual``; a check naming a rule the list lacks is reported too."""
    problems: list[str] = []
    keys: set[str] = set()
    for i, s in enumerate(standards):
        key = s.get("key", f"#{i}")
        for k in STANDARD_KEYS:
            if not s.get(k):
                problems.append(f"standard {key}: missing {k}")
        if key in keys:
            problems.append(f"standard {key}: duplicate key")
        keys.add(key)
        covered: dict[str, set[str]] = {}
        for c in checks:
            refs = c.get("references", {})
            if s.get("name") in refs.get("standards", []):
                for r in refs.get("requirements", []):
                    covered.setdefault(str(r), set()).add(c["id"])
        ids = [r.get("id") for r in s.get("rules", [])]
        for r in s.get("rules", []):
            if not isinstance(r.get("id"), str) or not isinstance(r.get("title"), str) or not r["title"]:
                problems.append(f"standard {key}: a rule without an id or a title: {r!r}")
            elif r["id"] not in covered and not r.get("manual"):
                problems.append(f"standard {key}: rule {r['id']} is covered by no check and not marked manual")
        problems += [f"standard {key}: rule {r} listed twice" for r in {x for x in ids if ids.count(x) > 1}]
    return problems
