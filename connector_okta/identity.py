"""Asset uids that are unique across the org, even where Okta's own ids are not (``docs/schema.md``, "Asset identity").

Most Okta objects carry a generated 20-character id (``00u...``, ``0pr...``) that is unique in the org, and the
asset uid is that id. Admin role assignments are the exception: Okta derives the id of a standard role's
assignment from the role type (``KVJUKUS7IFCE2SKO`` is base32 of ``USER_ADMIN``), so every principal holding the
role lists an assignment with that id. Their asset uid is scoped by the principal they are listed under::

    user/00u1/role/KVJUKUS7IFCE2SKO                      # assigned to the user
    user/00u1/role/KVJUKUS7IFCE2SKO/via/group/00g1       # held by the user through group 00g1
    group/00g1/role/KVJUKUS7IFCE2SKO                     # assigned to the group

A user may hold one role type directly and through one or more groups: ``/users/{id}/roles`` then lists several
assignments with one id, and ``via`` (the assignee of ``_links.assignee.href`` when it is not the principal the
list was read under) keeps them apart.

Which collections are scoped this way is data (:attr:`connector_okta.resources.Resource.principal`); the sync's
relationship edges (:mod:`connector_okta.collect`) and the normaliser both call :func:`asset_uid`, so an edge
always names the asset's uid. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .resources import BY_NAME

# path segment of an assignee link -> principal type (/api/v1/users/{id}, /api/v1/groups/{id},
# /oauth2/v1/clients/{id}/roles)
_PRINCIPAL_SEGMENTS = {"users": "user", "groups": "group", "clients": "client"}


class IdentityError(ValueError):
    """An object of a principal-scoped collection names no principal: its uid would not be unique."""


def principal_of(stream: str) -> str | None:
    """The principal type the objects of ``stream`` are scoped by (``"user"``, ``"group"``), or None."""
    res = BY_NAME.get(stream)
    return res.principal if res is not None else None


def assignee_of(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(principal type, id) of a role assignment's ``_links.assignee.href``; None when absent or unrecognised."""
    links = obj.get("_links")
    assignee = links.get("assignee") if isinstance(links, Mapping) else None
    href = assignee.get("href") if isinstance(assignee, Mapping) else None
    if not isinstance(href, str):
        return None
    parts = [p for p in href.split("?", 1)[0].split("/") if p]
    for i in range(len(parts) - 2, -1, -1):
        kind = _PRINCIPAL_SEGMENTS.get(parts[i])
        if kind is not None and parts[i + 1].strip():
            return kind, parts[i + 1].strip()
    return None


def role_assignment_uid(principal: str, principal_id: str, assignment_id: str, obj: Mapping[str, Any]) -> str:
    """``<principal>/<principal id>/role/<assignment id>``, plus ``/via/<type>/<id>`` for an assignment the
    principal holds through another one (a user's role through a group)."""
    uid = f"{principal}/{principal_id}/role/{assignment_id}"
    assignee = assignee_of(obj)
    if assignee is not None and assignee != (principal, principal_id):
        uid += f"/via/{assignee[0]}/{assignee[1]}"
    return uid


def asset_uid(stream: str, own_id: str, obj: Mapping[str, Any], parent_uid: str | None) -> str:
    """The org-unique asset uid of an object of ``stream`` whose own Okta id is ``own_id``.

    ``parent_uid`` is the id of the object the collection was read under (``record["parent"]["uid"]``). For a
    principal-scoped collection without one, the assignee link names the principal; with neither,
    :class:`IdentityError` (the uid would be the bare id, which other principals share).
    """
    principal = principal_of(stream)
    if principal is None:
        return own_id
    if parent_uid:
        return role_assignment_uid(principal, parent_uid, own_id, obj)
    assignee = assignee_of(obj)
    if assignee is not None:
        return role_assignment_uid(assignee[0], assignee[1], own_id, obj)
    raise IdentityError(
        f"{stream} object {own_id!r} names no {principal} (no record['parent'] and no _links.assignee): role "
        "assignment ids are unique only per principal, so it cannot be stored as an asset"
    )
