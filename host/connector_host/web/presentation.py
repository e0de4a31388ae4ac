"""What the pages and the JSON API both show: findings filters read from request arguments, a finding's detail,
an asset's relationships grouped by kind, and the choices and page size behind them. No Flask, no store."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SEVERITY_ORDER = ["critical", "high", "medium", "low", "informational"]
RESULT_CHOICES = [
    ("", "All results"), ("failing", "Failing (fail + warning)"), ("fail", "Fail"), ("warning", "Warning"),
    ("pass", "Pass"), ("manual", "Manual"), ("unknown", "Unknown"), ("resolved", "Resolved"),
]
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


def finding_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """Store query arguments from request arguments (pages and API share it)."""
    severities = [s for s in args.getlist("severity") if s in SEVERITY_ORDER] if hasattr(args, "getlist") else []
    result = str(args.get("status", "") or "")
    status: list[str] = []
    if result == "failing":
        status = ["fail", "warning"]
    elif result in ("fail", "warning", "pass", "manual", "unknown"):
        status = [result]
    elif result == "resolved":
        status = ["resolved"]
    sort = str(args.get("sort", "severity") or "severity")
    return {
        "severity": severities or None,
        "status": status or None,
        "standard": str(args.get("standard", "") or "").strip() or None,
        "check": str(args.get("check", "") or "").strip() or None,
        "new": str(args.get("new", "")) in ("1", "on", "true"),
        "search": str(args.get("q", "") or "").strip() or None,
        "order": sort if sort in dict(SORTS) else "severity",
    }


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
