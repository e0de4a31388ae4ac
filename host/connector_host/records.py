"""Vendor-neutral extraction of the store's columns from a RECORD and its normalised form.

Assets follow OCSF inventory classes: users (5003) carry ``user``, devices (5001) ``device``, everything else
(5023) ``resources[0]``; our profile (``schemas/asset.schema.json``) adds ``unmapped.source`` with the uid and a
short machine ``type`` (``user``, ``group``, ``policy_rule``), which the store uses as the asset type. Findings follow OCSF Compliance Finding (2003): ``finding_info.uid`` and ``.title``,
``severity_id``, ``compliance.status_id``/``standards``/``requirements``, ``resources``. The raw record fills
what the normalised form lacks (the check result's ``check_id``, ``status`` and ``resource``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .store import StagedAsset, StagedFinding, StagedRelationship

COMPLIANCE_STATUS = {1: "pass", 2: "warning", 3: "fail"}
RECORD_STATUSES = ("pass", "warning", "fail", "manual", "unknown")


class RecordError(ValueError):
    """A record or its normalised form lacks what the host needs to store it."""


def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _s(value: Any) -> str | None:
    if type(value) is str:  # the common case, first (issue 18: the host's ingest)
        return value or None
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value)
    return text if text else None


def _asset_object(asset: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    if isinstance(asset.get("user"), Mapping):
        return "user", asset["user"]
    if isinstance(asset.get("device"), Mapping):
        return "device", asset["device"]
    resources = asset.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], Mapping):
        return None, resources[0]
    if isinstance(asset.get("resource"), Mapping):
        return None, asset["resource"]
    return None, {}


def asset_row(record: Mapping[str, Any], asset: Mapping[str, Any]) -> StagedAsset:
    data = _m(record.get("data"))
    kind, obj = _asset_object(asset)
    source = _m(_m(asset.get("unmapped")).get("source"))  # our profile: uid, stream, type, label, name
    uid = _s(obj.get("uid")) or _s(source.get("uid")) or _s(data.get("id")) or _s(data.get("uid"))
    if not uid:
        raise RecordError(f"asset from stream {record.get('stream')!r} has no uid")
    type_ = _s(source.get("type")) or kind or _s(obj.get("type")) or _s(record.get("stream")) or "resource"
    name = (
        _s(obj.get("name"))
        or _s(source.get("name"))
        or _s(obj.get("display_name"))
        or _s(obj.get("email_addr"))
        or _s(obj.get("hostname"))
        or _s(data.get("name"))
        or _s(data.get("label"))
        or uid
    )
    class_uid = asset.get("class_uid")
    return StagedAsset(
        type=type_,
        uid=uid,
        name=name,
        class_uid=class_uid if isinstance(class_uid, int) else None,
        stream=_s(record.get("stream")),
        data=asset,
    )


def finding_row(record: Mapping[str, Any], finding: Mapping[str, Any]) -> StagedFinding:
    data = _m(record.get("data"))
    info = _m(finding.get("finding_info"))
    compliance = _m(finding.get("compliance"))
    resource = _m(data.get("resource"))
    if not resource:
        resources = finding.get("resources")
        resource = resources[0] if isinstance(resources, list) and resources and isinstance(resources[0], Mapping) else {}
    check_id = _s(data.get("check_id")) or _s(compliance.get("control"))
    uid = _s(info.get("uid"))
    if not uid:
        if not check_id:
            raise RecordError("finding has neither finding_info.uid nor a check_id")
        org = _s(_m(record.get("org")).get("uid")) or ""
        uid = hashlib.sha256(f"{org}|{check_id}|{_s(resource.get('uid')) or ''}".encode()).hexdigest()[:32]
    status = _s(data.get("status"))
    if status not in RECORD_STATUSES:
        status = COMPLIANCE_STATUS.get(compliance.get("status_id"), "unknown")  # type: ignore[arg-type]
    severity_id = finding.get("severity_id")
    standards = [s for s in compliance.get("standards") or [] if isinstance(s, str)]
    standards += [s for s in compliance.get("requirements") or [] if isinstance(s, str) and s not in standards]
    return StagedFinding(
        uid=uid,
        check_id=check_id,
        title=_s(info.get("title")) or check_id,
        severity_id=severity_id if isinstance(severity_id, int) and not isinstance(severity_id, bool) else 0,
        compliance_status=status,
        standards=standards,
        resource_type=_s(resource.get("type")),
        resource_uid=_s(resource.get("uid")),
        resource_name=_s(resource.get("name")),
        data=finding,
    )


def relationship_row(record: Mapping[str, Any]) -> StagedRelationship:
    data = record.get("data")
    if type(data) is dict and type(src := data.get("from")) is dict and type(dst := data.get("to")) is dict:
        # the common shape, read without the general path's checks (issue 18: most of a sync's records are these)
        values = (data.get("relation"), src.get("type"), src.get("uid"), dst.get("type"), dst.get("uid"))
        stream, attributes = record.get("stream"), data.get("attributes")
        if (all(type(v) is str and v for v in values) and type(stream) is str and stream
                and (attributes is None or type(attributes) is dict)):
            return StagedRelationship(stream, *values, attributes=attributes)  # type: ignore[arg-type]
    data = _m(data)
    src, dst = _m(data.get("from")), _m(data.get("to"))
    values = (_s(data.get("relation")), _s(src.get("type")), _s(src.get("uid")), _s(dst.get("type")), _s(dst.get("uid")))
    if not all(values):
        raise RecordError("relationship lacks relation, from.type/uid or to.type/uid")
    attributes = data.get("attributes")
    return StagedRelationship(
        _s(record.get("stream")), *values, attributes=attributes if isinstance(attributes, Mapping) else None  # type: ignore[arg-type]
    )
