"""Helpers the sync tests share (on the path as tests/sync is: ``from sync_helpers import ...``)."""

from __future__ import annotations

from typing import Any


def restat(org: Any) -> None:
    """Give every group of the fake org its stats, as ``expand=stats`` serves them (members, admin privilege)."""
    org.groups = [{**g, "_embedded": {"stats": {"usersCount": len(org.group_members.get(g["id"], [])),
                                                "hasAdminPrivilege": bool(org.group_roles.get(g["id"]))}}}
                  for g in org.groups]


def with_everyone(org: Any) -> Any:
    """The fake org with an Everyone group holding every user, and every group's stats: what lets a re-sync be
    incremental."""
    everyone = {"id": "00gEVERYONE", "type": "BUILT_IN", "profile": {"name": "Everyone"},
                "lastUpdated": "2025-01-01T00:00:00.000Z", "lastMembershipUpdated": "2025-01-01T00:00:00.000Z"}
    org.groups = [everyone, *org.groups]
    org.group_members["00gEVERYONE"] = [u["id"] for u in org.users]
    restat(org)
    return org
