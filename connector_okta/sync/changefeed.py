"""What the System Log says changed since the last sync, where no marker on the objects can (issue 18).

App assignments (``/api/v1/apps/{id}/users`` and ``/groups``) carry no filterable ``lastUpdated`` and cost one
request per app in Okta's scarcest bucket, so a re-sync asks the System Log instead: one bounded query
(``since`` the last sync's start, less :data:`OVERLAP` for events Okta records late, ``until`` this sync's start)
for the event types that change them, and re-reads only the apps they name. It also names users deleted since
(``user.lifecycle.delete.completed``), whom no ``lastUpdated`` filter can show.

The feed needs ``okta.logs.read`` (and an admin who may read the System Log); when Okta refuses it, or the query
fails, the re-sync knows nothing from it and spreads the re-reads over the syncs instead (``sync/delta.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PATH = "/api/v1/logs"
OVERLAP_MS = 15 * 60 * 1000  # events published this long before the last sync started are asked for again
PAGE_LIMIT = "1000"
MAX_PAGES = 50  # 50,000 relevant events: past that, the re-sync re-reads every app (the feed says "many")

APP_USER_EVENTS = (
    "application.user_membership.add", "application.user_membership.remove", "application.user_membership.update",
    "application.user_membership.change_username", "application.user_membership.provision",
    "application.user_membership.deprovision", "application.user_membership.restore",
)
APP_GROUP_EVENTS = (
    "group.application_assignment.add", "group.application_assignment.remove", "group.application_assignment.update",
)
USER_DELETED_EVENTS = ("user.lifecycle.delete.completed",)
EVENTS = APP_USER_EVENTS + APP_GROUP_EVENTS + USER_DELETED_EVENTS


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{int(ms) % 1000:03d}Z"


@dataclass
class Changes:
    """What the feed named: apps whose user or group assignments changed, users deleted."""

    app_users: set[str] = field(default_factory=set)
    app_groups: set[str] = field(default_factory=set)
    deleted_users: set[str] = field(default_factory=set)
    events: int = 0
    too_many: bool = False  # more events than MAX_PAGES pages: treat every app as changed


def query(since: str, until: str) -> dict[str, str]:
    return {"since": since, "until": until, "limit": PAGE_LIMIT,
            "filter": " or ".join(f'eventType eq "{t}"' for t in EVENTS)}


def targets(event: Mapping[str, Any], kind: str) -> list[str]:
    out = []
    for t in event.get("target") or ():
        if isinstance(t, Mapping) and t.get("type") == kind and isinstance(t.get("id"), str) and t["id"]:
            out.append(t["id"])
    return out


def read(pages: Iterable[list[Any]]) -> Changes:
    """The changes named by the pages of one feed query (``client.paginate(PATH, query(...))``)."""
    changes = Changes()
    for n, page in enumerate(pages):
        if n >= MAX_PAGES:
            changes.too_many = True
            break
        for event in page or ():
            if not isinstance(event, Mapping):
                continue
            etype = event.get("eventType")
            changes.events += 1
            if etype in APP_USER_EVENTS:
                changes.app_users.update(targets(event, "AppInstance"))
            elif etype in APP_GROUP_EVENTS:
                changes.app_groups.update(targets(event, "AppInstance"))
            elif etype in USER_DELETED_EVENTS:
                changes.deleted_users.update(targets(event, "User"))
    return changes
