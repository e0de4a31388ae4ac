"""Check results (RECORDs of kind ``check_result``) -> OCSF 1.6.0 Compliance Findings (2003) of our profile.

The record carries what varies (status, resource, evidence, message); the check's metadata (title, severity,
rationale, remediation, standards, requirements) comes from the catalog by ``check_id``. See
``docs/schema.md`` for where each field lives.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections.abc import Mapping
from typing import Any

from .common import CONNECTOR_ID, NormalizationError, as_dict, as_str, as_uid, base_event, org_of, prune
from .streams import label_for_type

CREATE = 1  # activity_id "Create" of the Findings category

#: our result status -> (OCSF compliance.status_id, compliance.status)
COMPLIANCE_STATUS: dict[str, tuple[int, str]] = {
    "pass": (1, "Pass"),
    "warning": (2, "Warning"),
    "fail": (3, "Fail"),
    "manual": (99, "Manual"),  # OCSF "Other": the API cannot answer, a person must look
    "unknown": (0, "Unknown"),  # the data could not be read
}
SEVERITY_IDS: dict[str, tuple[int, str]] = {
    "info": (1, "Informational"),
    "informational": (1, "Informational"),
    "low": (2, "Low"),
    "medium": (3, "Medium"),
    "high": (4, "High"),
    "critical": (5, "Critical"),
}


@functools.lru_cache(maxsize=1)
def shipped_catalog() -> Mapping[str, Mapping[str, Any]]:
    """The catalog shipped in ``connector_okta/checks/catalog.toml`` by check id ({} when it cannot load)."""
    try:
        from connector_okta.checks.catalog import by_id
    except ImportError:
        return {}
    try:
        return by_id()
    except (OSError, ValueError):  # no catalog.toml yet, or an invalid one (its own tests report that)
        return {}


def finding_uid(org_uid: str, check_id: str, resource_type: str, resource_uid: str) -> str:
    """The deterministic ``finding_info.uid``: the same org, check and resource give the same id on every sync."""
    key = "\x1f".join((org_uid, check_id, resource_type, resource_uid))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def normalize_finding(
    record: Mapping[str, Any], catalog: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """One RECORD of kind ``check_result`` -> an OCSF Compliance Finding.

    ``catalog`` (check id -> metadata) defaults to the shipped catalog. Raises :class:`NormalizationError`
    only when the result has no ``check_id`` or the record no org uid.
    """
    if not isinstance(record, Mapping):
        raise NormalizationError(f"a record must be a JSON object, got {type(record).__name__}")
    org_uid, org_name = org_of(record)
    result = as_dict(record.get("data"))
    check_id = as_str(result.get("check_id"))
    if check_id is None:
        raise NormalizationError("check result has no check_id (record['data']['check_id'])")
    meta = as_dict((shipped_catalog() if catalog is None else catalog).get(check_id))
    refs = as_dict(meta.get("references"))

    raw_status = result.get("status")
    known_status = isinstance(raw_status, str) and raw_status in COMPLIANCE_STATUS
    status_id, status = COMPLIANCE_STATUS.get(raw_status if isinstance(raw_status, str) else "", (0, "Unknown"))
    severity_id, severity = SEVERITY_IDS.get(str(meta.get("severity", "")).lower(), (0, "Unknown"))
    title = as_str(meta.get("title")) or f"Okta posture check {check_id}"
    standards = _strings(refs.get("standards")) or ["Okta posture connector"]
    requirements = _strings(refs.get("requirements"))
    message = as_str(result.get("message"))

    target = _resource(result.get("resource"), org_uid, org_name, role_id=1)
    related = [
        _resource(item, org_uid, None, role_id=4)
        for item in (result.get("related") if isinstance(result.get("related"), list) else [])
        if isinstance(item, Mapping) and as_uid(item.get("uid")) is not None
    ]
    target_type = as_str(as_dict(result.get("resource")).get("type")) or "org"

    evidence = result.get("evidence")
    evidence_missing = "evidence" not in result
    if not isinstance(evidence, Mapping):
        evidence = {} if evidence is None else {"value": evidence}

    event = base_event(record, class_uid=2003, activity_id=CREATE, org_uid=org_uid, org_name=org_name)
    event.update(
        {
            "activity_name": "Create",
            "category_name": "Findings",
            "class_name": "Compliance Finding",
            "type_name": "Compliance Finding: Create",
            "severity_id": severity_id,
            "severity": severity,
            "status_id": 1,
            "status": "New",
            "finding_info": prune(
                {
                    "uid": finding_uid(org_uid, check_id, target_type, target["uid"]),
                    "title": title,
                    "desc": as_str(meta.get("rationale")) or message or title,
                    "types": ["Okta posture check"],
                }
            ),
            "compliance": prune(
                {
                    "control": check_id,
                    "status_id": status_id,
                    "status": status,
                    "status_details": [message] if message else None,
                    "standards": standards,
                    "requirements": requirements,
                    "desc": as_str(meta.get("rationale")),
                    "checks": [
                        prune(
                            {
                                "uid": check_id,
                                "name": title,
                                "severity_id": severity_id,
                                "severity": severity,
                                "standards": standards,
                                "status_id": status_id,
                                "status": status,
                            }
                        )
                    ],
                }
            ),
            "resources": [target, *related],
            "remediation": _remediation(meta, check_id),
            "evidences": [{"name": "Values read", "data": copy.deepcopy(dict(evidence))}],
        }
    )
    # every required profile field is set above; empty requirements stay an (empty) list on purpose
    event["compliance"]["requirements"] = requirements
    if message:
        event["message"] = message
    source: dict[str, Any] = {
        "connector": CONNECTOR_ID,
        "check_id": check_id,
        "status": raw_status if known_status else None,
        "profile": as_str(result.get("profile")),
        "resource": copy.deepcopy(dict(as_dict(result.get("resource")))),
        "related": copy.deepcopy(result.get("related")) if isinstance(result.get("related"), list) else [],
    }
    if raw_status is not None and not known_status:
        source["status_raw"] = raw_status if isinstance(raw_status, str | int | float | bool) else repr(raw_status)[:200]
    if evidence_missing:
        source["evidence_missing"] = True
    if not meta:
        source["catalog_missing"] = True
    manual = as_str(meta.get("manual"))
    if manual:
        source["manual"] = manual
    event["unmapped"] = {"source": source}
    return event


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _resource(item: Any, org_uid: str, org_name: str | None, *, role_id: int) -> dict[str, Any]:
    """A judged Okta object as an OCSF resource; a missing resource means the org itself."""
    res = as_dict(item)
    rtype = as_str(res.get("type")) or "org"
    uid = as_uid(res.get("uid"))
    if uid is None:
        uid = org_uid if rtype == "org" else f"{org_uid}:{rtype}"
    name = as_str(res.get("name")) or (org_name if rtype == "org" and uid == org_uid else None) or uid
    return prune({"uid": uid, "name": name, "type": label_for_type(rtype), "role_id": role_id,
                  "role": "Target" if role_id == 1 else "Related"})


def _remediation(meta: Mapping[str, Any], check_id: str) -> dict[str, Any]:
    rem = meta.get("remediation")
    parts: list[str] = []
    if isinstance(rem, Mapping):
        console, api = as_str(rem.get("console")), as_str(rem.get("api"))
        if console:
            parts.append(f"Admin Console: {console}")
        if api:
            parts.append(f"API: {api}")
    elif as_str(rem):
        parts.append(rem)
    desc = "\n".join(parts) or f"No remediation is recorded for check {check_id}; see the connector's check list."
    refs = as_dict(meta.get("references"))
    urls = _strings(refs.get("urls")) or _strings(refs.get("links"))
    return prune({"desc": desc, "references": urls})
