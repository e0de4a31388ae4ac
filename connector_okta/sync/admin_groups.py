"""Which groups hold admin roles, before reading ``/api/v1/groups/{id}/roles`` (issue 18).

Okta answers it for free: the groups listing with ``expand=stats`` (the ``groups`` collection asks for it) puts
``_embedded.stats`` on every group, whose ``hasAdminPrivilege`` says whether the group holds an admin role
assignment ("has admin privileges via a group-level role assignment", spec ``Group._embedded.stats``; the spec
spells it ``hasAdminPrivlege``, real responses ``hasAdminPrivilege``: both are read). So group roles are read only
for the groups flagged, plus any group an admin's roles name (``assignmentType: GROUP``, read just before), and
every other group is known to hold none: ``[]``, without a request. A small org no longer pays one request per
group.

When the flag is missing from any group read (an org or a proxy that drops ``expand``), nothing is assumed: the
reads fall back to every group, those the admins' roles name first, within the fan-out budget; groups the budget
leaves out are gaps (the admin checks cannot pass on them). When neither works (the roles endpoint refused), the
collection is unavailable and the admin checks are ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FLAG_NAMES = ("hasAdminPrivilege", "hasAdminPrivlege")  # as served, and as the spec's schema spells it


def admin_flag(group: Mapping[str, Any]) -> bool | None:
    """Okta's own word on whether ``group`` holds an admin role: True, False, or None when it does not say."""
    stats = (group.get("_embedded") or {}).get("stats") if isinstance(group.get("_embedded"), Mapping) else None
    if not isinstance(stats, Mapping):
        return None
    for name in FLAG_NAMES:
        value = stats.get(name)
        if isinstance(value, bool):
            return value
    return None


def flagged_groups(groups: Iterable[Any]) -> set[str] | None:
    """The ids of the groups flagged as holding an admin role, or None when some group does not say."""
    out: set[str] = set()
    for group in groups:
        if not isinstance(group, Mapping) or not isinstance(group.get("id"), str):
            continue
        flag = admin_flag(group)
        if flag is None:
            return None
        if flag:
            out.add(group["id"])
    return out


def role_group_plan(parent_ids: list[str], groups: Iterable[Any], known: set[str]) -> tuple[list[str], list[str]] | None:
    """``(to read, known to hold no role)`` for the group roles, when every group states its flag; else None (read
    them all, within the budget). ``known``: groups an admin's role assignment names (read whatever the flag)."""
    flagged = flagged_groups(groups)
    if flagged is None:
        return None
    read = [g for g in parent_ids if g in flagged or g in known]
    chosen = set(read)
    return read, [g for g in parent_ids if g not in chosen]
