"""Turning the objects of one collection into records: assets and relationship edges.

Pure functions over :mod:`connector_okta.resources` data; the sync engine calls them for every object read.
"""

from __future__ import annotations

from typing import Any

from . import messages
from .resources import BY_NAME, End, Resource


def dotted(obj: Any, path: str) -> Any:
    """``obj["a"]["b"]`` for ``"a.b"``; None when any step is missing."""
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def uid_of(value: Any) -> str | None:
    """An Okta id from a field value: the value itself, or the last path segment of a URL."""
    if isinstance(value, str) and value:
        if "://" in value or value.startswith("/"):
            value = value.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return value or None
    return None


def _end(end: End, item: dict[str, Any], parent_id: str | None) -> dict[str, str] | None:
    uid = parent_id if end.source == "parent" else uid_of(dotted(item, end.field))
    return {"type": end.type, "uid": uid} if uid else None


def edge(res: Resource, item: dict[str, Any], parent_id: str | None) -> dict[str, Any] | None:
    """The relationship ``data`` for one object, or None when either end has no uid."""
    rel = res.relation
    if rel is None:
        return None
    frm, to = _end(rel.frm, item, parent_id), _end(rel.to, item, parent_id)
    if frm is None or to is None:
        return None
    attrs = {k: item[k] for k in rel.attributes if k in item}
    return {"relation": rel.relation, "from": frm, "to": to, "attributes": attrs}


def parent_ref(res: Resource, parent_id: str | None) -> dict[str, str] | None:
    if not res.parent or not parent_id:
        return None
    parent = BY_NAME[res.parent]
    return {"type": parent.asset_type or parent.name, "uid": parent_id}


def records_for(res: Resource, item: dict[str, Any], org: dict[str, Any], parent_id: str | None = None
                ) -> list[dict[str, Any]]:
    """The RECORD messages one object yields (an asset, an edge, both or none)."""
    out = []
    if res.emit in ("asset", "both") and res.asset_type:
        out.append(messages.record(res.name, "asset", org, item, parent_ref(res, parent_id)))
    if res.emit in ("relationship", "both"):
        data = edge(res, item, parent_id)
        if data is not None:
            out.append(messages.record(res.name, "relationship", org, data))
    return out
