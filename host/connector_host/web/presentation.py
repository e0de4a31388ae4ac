"""What the pages and the JSON API both show: findings filters read from request arguments, a finding's detail,
an asset's relationships grouped by kind, and the choices and page size behind them. No Flask, no store."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..posture.findings import (
    DEFAULT_VIEW,
    RESULTS,
    VIEWS,
    FindingFilter,
    parse_severities,
)

SEVERITY_ORDER = ["critical", "high", "medium", "low", "informational"]
RESULT_CHOICES = [
    ("", "Any result of this tab"), ("fail", "Fail"), ("warning", "Warning"), ("unknown", "Not evaluated (unknown)"),
    ("manual", "Manual"), ("pass", "Pass"),
]
# the legacy ``status`` argument (API and old links): a tab, or one result
LEGACY_STATUS_VIEWS = {"failing": "failing", "resolved": "resolved", "pass": "passed", "all": "all",
                       "not_evaluated": "not_evaluated", "open": "open"}
SORTS = [("severity", "Severity"), ("check", "Check"), ("first_seen", "First seen"), ("last_seen", "Last seen")]
PAGE_SIZE = 50
REL_LABELS = {
    ("member_of", "out"): "Groups (member of)",
    ("member_of", "in"): "Members",
    ("has_role", "out"): "Admin roles",
    ("has_role", "in"): "Holders of this role",
    ("assigned_to", "out"): "Assigned apps",
    ("assigned_to", "in"): "Assignments",
    ("rule_of", "in"): "Rules",
    ("rule_of", "out"): "Rule of",
    ("applies_to", "out"): "Applies to",
    ("applies_to", "in"): "Policies applied",
    ("owns", "out"): "Owns",
    ("owns", "in"): "Owners",
}


#: the query arguments the findings and assets pages put back into their links (``url_for``)
FILTER_KEYS = ("integration", "severity", "status", "standard", "check", "new", "q", "sort", "page", "finding",
               "type", "asset", "view", "result", "group", "admin", "state", "requirement", "benchmark", "resolved_last")


def filter_args(args: Any) -> dict[str, list[str]]:
    """The known filter arguments of a request (``FILTER_KEYS``), as lists, for links built with ``url_for``.

    Anything else is dropped: ``url_for`` reads ``_anchor``, ``_method``, ``_scheme`` and ``_external`` itself
    (a 500, or a link to another host), and unknown keys are noise.
    """
    getlist = getattr(args, "getlist", None)
    out: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        values = getlist(key) if getlist else ([args[key]] if key in args else [])
        values = [str(v) for v in values if v is not None]
        if values:
            out[key] = values
    return out


def finding_filter(args: Mapping[str, Any], integration: int | None) -> FindingFilter:
    """The Finding View's selection from request arguments: ``view`` (a tab: open, failing, not_evaluated,
    passed, resolved, all), ``result`` (one result within it), ``severity`` (repeatable), ``check``,
    ``standard``, ``q``, ``new``, ``sort``. The older ``status`` argument still works (a tab or one result)."""
    severities = [s for s in args.getlist("severity") if s in SEVERITY_ORDER] if hasattr(args, "getlist") else []
    view = str(args.get("view", "") or "").strip()
    legacy = str(args.get("status", "") or "").strip()
    result = str(args.get("result", "") or "").strip()
    if not view and legacy in LEGACY_STATUS_VIEWS:
        view = LEGACY_STATUS_VIEWS[legacy]
    elif not result and legacy in RESULTS:
        result = legacy
    if view not in VIEWS:
        view = DEFAULT_VIEW
    results = (result,) if result in RESULTS else ()
    if results and view in ("open", "failing", "not_evaluated", "passed"):
        view = "all"  # one result, active: whichever tab it belongs to
    sort = str(args.get("sort", "severity") or "severity")
    return FindingFilter(
        integration=integration,
        view=view,
        results=results,
        severity=parse_severities(severities),
        check=str(args.get("check", "") or "").strip() or None,
        standard=str(args.get("standard", "") or "").strip() or None,
        requirement=str(args.get("requirement", "") or "").strip() or None,
        search=str(args.get("q", "") or "").strip() or None,
        new=str(args.get("new", "")) in ("1", "on", "true"),
        resolved_last=str(args.get("resolved_last", "")) in ("1", "on", "true"),
        order=sort if sort in dict(SORTS) else "severity",
    )


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def finding_detail(f: dict[str, Any]) -> dict[str, Any]:
    """The parts of a stored finding the detail panel shows; tolerant of any shape the connector sent."""
    raw = _dict(f.get("finding"))
    info = _dict(raw.get("finding_info"))
    comp = _dict(raw.get("compliance"))
    remediation = _dict(raw.get("remediation"))
    requirements = [r for r in comp.get("requirements") or [] if isinstance(r, str)]
    evidence = [e.get("data", e) if isinstance(e, Mapping) else e for e in raw.get("evidences") or []
                if e is not None] if isinstance(raw.get("evidences"), list) else []
    details = comp.get("status_details") if isinstance(comp.get("status_details"), list) else []
    if not details and isinstance(raw.get("message"), str):
        details = [raw["message"]]
    standards = comp.get("standards") if isinstance(comp.get("standards"), list) else f.get("standards") or []
    return {
        **{k: v for k, v in f.items() if k != "finding"},
        "description": info.get("desc") or comp.get("desc"),
        "details": [d for d in details if isinstance(d, str)],
        "remediation": remediation.get("desc") if isinstance(remediation.get("desc"), str) else None,
        "references": [r for r in remediation.get("references") or [] if isinstance(r, str)],
        "resources": [r for r in raw.get("resources") or [] if isinstance(r, Mapping)]
        if isinstance(raw.get("resources"), list) else [],
        "evidence": evidence,
        "standards": [s for s in standards if isinstance(s, str)],
        "vuln_ids": [r for r in requirements if re.match(r"^V-\d+$", r)],
        "requirements": [r for r in requirements if not re.match(r"^V-\d+$", r)],
        "finding": raw,
    }


def relationship_groups(asset: dict[str, Any]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in asset.get("relationships") or []:
        key = (r["relation"], r["direction"])
        other = r["to"] if r["direction"] == "out" else r["from"]
        groups.setdefault(key, []).append({**other, "attributes": r.get("attributes")})
    return [
        {"label": REL_LABELS.get(k, f"{k[0].replace('_', ' ')} ({'to' if k[1] == 'out' else 'from'})"), "items": v}
        for k, v in sorted(groups.items())
    ]


def sync_scope(record: Mapping[str, Any]) -> dict[str, Any]:
    """A sync's collections by what happened to them, for a calm History: ``out_of_scope`` (refused for lack of a
    role or scope: not in scope for this credential, not an error), ``not_available`` (skipped because the org
    lacks the feature), ``incomplete`` (read in part, or failed: the real problems), and the errors that remain
    once the out-of-scope refusals are set apart."""
    counts = record.get("counts") if isinstance(record.get("counts"), Mapping) else {}
    errors = [e for e in record.get("errors") or [] if isinstance(e, Mapping)]
    refused = {e.get("stream") for e in errors if e.get("kind") in ("permission", "scope") and e.get("stream")}
    out_of_scope, not_available, incomplete = [], [], []
    for stream, c in counts.items():
        if not isinstance(c, Mapping) or c.get("status") not in ("SKIPPED", "INCOMPLETE"):
            continue
        reason = str(c.get("reason") or "")
        if (c.get("error_kind") == "out_of_scope" or stream in refused or "permission denied" in reason
                or "lacks the role" in reason or reason.startswith("not in scope for this credential")):
            out_of_scope.append(stream)
        elif c.get("status") == "SKIPPED":
            not_available.append(stream)
        else:
            incomplete.append(stream)
    calm = set(out_of_scope)
    return {
        "out_of_scope": sorted(out_of_scope),
        "not_available": sorted(not_available),
        "incomplete": sorted(incomplete),
        "errors": [e for e in errors if not (e.get("kind") in ("permission", "scope") and e.get("stream") in calm)],
        "limited_only": bool(out_of_scope or not_available) and not incomplete,
    }
