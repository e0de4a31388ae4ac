"""Turning the objects of one collection into records: assets and relationship edges.

Pure functions over :mod:`connector_okta.resources` data; the sync engine calls them for every object read.
"""

from __future__ import annotations

from typing import Any

from . import messages
from .identity import IdentityError, asset_uid
from .resources import BY_NAME, End, Relation, Resource


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


def _self_uid(res: Resource, item: dict[str, Any], parent_id: str | None) -> str | None:
    """The asset uid the normaliser gives ``item`` (its id, scoped by its principal for role assignments)."""
    own = item.get("id")
    if isinstance(own, int) and not isinstance(own, bool):
        own = str(own)
    if not isinstance(own, str) or not own:
        return None
    try:
        return asset_uid(res.name, own, item, parent_id)
    except IdentityError:
        return None


def _end(end: End, res: Resource, item: dict[str, Any], parent_id: str | None) -> dict[str, str] | None:
    if end.source == "parent":
        uid = parent_id
    elif end.source == "self":
        uid = _self_uid(res, item, parent_id)
    else:
        uid = uid_of(dotted(item, end.field))
    return {"type": end.type, "uid": uid} if uid else None


def _ends(end: End, res: Resource, item: dict[str, Any], parent_id: str | None) -> list[dict[str, str]]:
    """Every end an object gives: one, or one per element of a list field (``End.many``), duplicates dropped."""
    if not end.many or end.source != "item":
        one = _end(end, res, item, parent_id)
        return [one] if one else []
    values = dotted(item, end.field)
    uids = dict.fromkeys(u for u in map(uid_of, values if isinstance(values, list) else []) if u)
    return [{"type": end.type, "uid": u} for u in uids]


def _edges_of(rel: Relation, res: Resource, item: dict[str, Any], parent_id: str | None) -> list[dict[str, Any]]:
    attrs = {k: item[k] for k in rel.attributes if k in item}
    return [{"relation": rel.relation, "from": frm, "to": to, "attributes": dict(attrs)}
            for frm in _ends(rel.frm, res, item, parent_id) for to in _ends(rel.to, res, item, parent_id)]


def edge(res: Resource, item: dict[str, Any], parent_id: str | None) -> dict[str, Any] | None:
    """The (first) relationship ``data`` of ``res.relation`` for one object, or None when an end has no uid."""
    found = _edges_of(res.relation, res, item, parent_id) if res.relation is not None else []
    return found[0] if found else None


def edges(res: Resource, item: dict[str, Any], parent_id: str | None) -> list[dict[str, Any]]:
    """Every relationship ``data`` one object yields (``relation`` and ``more_relations``, list fields expanded)."""
    out: list[dict[str, Any]] = []
    for rel in ((res.relation,) if res.relation is not None else ()) + tuple(res.more_relations):
        out.extend(_edges_of(rel, res, item, parent_id))
    return out


def parent_ref(res: Resource, parent_id: str | None) -> dict[str, str] | None:
    if not res.parent or not parent_id:
        return None
    parent = BY_NAME[res.parent]
    # role assignments name their principal's type (user_roles hang off admin_users, which has no asset type)
    return {"type": res.principal or parent.asset_type or parent.name, "uid": parent_id}


def records_for(res: Resource, item: dict[str, Any], org: dict[str, Any], parent_id: str | None = None
                ) -> list[dict[str, Any]]:
    """The RECORD messages one object yields (an asset, an edge, both or none)."""
    out = []
    if res.emit in ("asset", "both") and res.asset_type:
        out.append(messages.record(res.name, "asset", org, item, parent_ref(res, parent_id)))
    if res.emit in ("relationship", "both"):
        for data in edges(res, item, parent_id):
            out.append(messages.record(res.name, "relationship", org, data))
    return out
