"""Records to the neutral schema: OCSF 1.6.0 Cloud Resources Inventory Info (5023) and Compliance Finding
(2003), in the host's profile (connector_host/schemas/asset.schema.json, finding.schema.json).

Pure functions of one record. Times are epoch milliseconds; type_uid = class_uid * 100 + activity_id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import __version__, checks, resources

COMPLIANCE_STATUS = {"pass": (1, "Pass"), "warning": (2, "Warning"), "fail": (3, "Fail"),
                     "unknown": (0, "Unknown"), "manual": (99, "Manual")}


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "1.6.0",
        "profiles": ["cloud"],
        "tenant_uid": record["org"]["uid"],
        "product": {"name": f"{resources.vendor_name()} connector", "vendor_name": resources.vendor_name(),
                    "version": __version__},
    }


def _cloud(record: dict[str, Any]) -> dict[str, Any]:
    return {"provider": resources.vendor_name(), "org": {"uid": record["org"]["uid"]}}


def asset(record: dict[str, Any]) -> dict[str, Any] | None:
    if record.get("kind") != "asset":
        return None
    user = record["data"]
    uid, name = str(user["id"]), user.get("email") or str(user["id"])
    return {
        "class_uid": 5023, "category_uid": 5, "activity_id": 2, "type_uid": 502302,
        "severity_id": 1, "time": record["emitted_at"],
        "metadata": _metadata(record),
        "cloud": _cloud(record),
        "resources": [{"uid": uid, "name": name, "type": "user"}],
        "unmapped": {"source": {
            "connector": resources.connector_id(), "stream": record["stream"], "type": "user",
            "label": f"{resources.vendor_name()} User", "uid": uid, "name": name,
            "status": user.get("status"), "has_mfa": user.get("mfa_enrolled"), "raw": user,
        }},
    }


def finding_uid(record: dict[str, Any]) -> str:
    """Deterministic: the same tenant, check and resource give the same id on every sync."""
    data = record["data"]
    key = "|".join([resources.connector_id(), record["org"]["uid"], data["check_id"], data["resource"]["uid"]])
    return hashlib.sha256(key.encode()).hexdigest()


def finding(record: dict[str, Any]) -> dict[str, Any]:
    data = record["data"]
    meta = checks.metadata(data["check_id"])
    status_id, status = COMPLIANCE_STATUS.get(data["status"], (0, "Unknown"))
    resource = data["resource"]
    return {
        "class_uid": 2003, "category_uid": 2, "activity_id": 1, "type_uid": 200301,
        "severity_id": meta["severity_id"], "time": record["emitted_at"],
        "message": data.get("message", ""),
        "metadata": _metadata(record),
        "cloud": _cloud(record),
        "finding_info": {"uid": finding_uid(record), "title": meta["title"], "desc": meta["rationale"]},
        "compliance": {"status_id": status_id, "status": status, "standards": meta["standards"],
                       "requirements": meta["requirements"], "control": data["check_id"]},
        "resources": [{"uid": resource["uid"], "name": resource.get("name") or resource["uid"],
                       "type": resource["type"], "role_id": 1}],
        "remediation": {"desc": meta["remediation"]},
        "evidences": [{"data": data["evidence"]}],
        "unmapped": {"source": {"connector": resources.connector_id(), "check_id": data["check_id"],
                                "status": data["status"]}},
    }
