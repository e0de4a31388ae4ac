"""Changes to a served org between two syncs, as an admin's day would make them, consistent with the org model.

Every change moves the markers Okta offers to find it: a changed user's ``lastUpdated``, a changed policy rule's
``lastUpdated``, a group's ``lastMembershipUpdated``, and a System Log event for what no marker shows (an app
assignment: ``application.user_membership.add``, targets the app instance and the user). The benchmark
(``benchmarks/bench_sync.py``) uses :func:`small_change` between a full sync and a re-sync; tests use the parts.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from .model import Org
from .users import iso_ms

Json = dict[str, Any]


def _now_ms() -> int:
    return int(datetime.now(tz=UTC).timestamp() * 1000)


def log_event(org: Org, event_type: str, message: str, targets: list[Json], *, actor: Json | None = None,
              now_ms: int | None = None) -> Json:
    """Append a System Log event published now (events stay in published order)."""
    now = now_ms if now_ms is not None else _now_ms()
    last = org.logs[-1]["published"] if org.logs else ""
    published = max(iso_ms(now), last)
    key = f"{event_type}:{published}:{len(org.logs)}:{[t.get('id') for t in targets]}"
    event = {
        "uuid": str(uuid.UUID(bytes=hashlib.sha256(key.encode()).digest()[:16], version=4)),
        "published": published,
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "displayMessage": message,
        "actor": actor or {"id": "00u00000000000000000", "type": "User", "alternateId": "admin",
                           "displayName": "Admin"},
        "outcome": {"result": "SUCCESS"},
        "target": targets,
    }
    org.logs = list(org.logs) + [event]
    return event


def change_users(org: Org, count: int, *, seed: int = 0, now_ms: int | None = None) -> list[str]:
    """Change ``count`` users spread over the org (a third sign in, a third are suspended or unsuspended, a third
    change a profile attribute); each gets a newer ``lastUpdated``. Returns their ids."""
    n = len(org.users)
    if n == 0 or count <= 0:
        return []
    step = max(1, n // count)
    start = seed % step
    now = now_ms if now_ms is not None else _now_ms()
    changed = []
    touch = getattr(org.users, "touch", None)
    for k, i in enumerate(range(start, n, step)):
        if len(changed) >= count:
            break
        user = org.users[i]
        if k % 3 == 0:
            changes: Json = {"lastLogin": iso_ms(now)}
        elif k % 3 == 1:
            changes = {"status": "ACTIVE" if user.get("status") == "SUSPENDED" else "SUSPENDED"}
        else:
            changes = {"profile": {"title": f"Changed {now}"}}
        if touch is not None:
            touch(i, now_ms=now, **changes)
        else:  # a plain list of users (hand-built orgs)
            org.users[i] = {**user, **changes, "lastUpdated": iso_ms(now)}
        changed.append(str(user["id"]))
    return changed


def change_policy_rule(org: Org, *, policy_type: str = "PASSWORD", now_ms: int | None = None) -> str | None:
    """Change one rule of the first policy of ``policy_type`` (its name and ``lastUpdated``). Returns its id."""
    now = now_ms if now_ms is not None else _now_ms()
    for policy in org.policies.get(policy_type, []):
        rules = org.policy_rules.get(str(policy.get("id")), [])
        if rules:
            rule = dict(rules[0])
            rule["name"] = f"{rule.get('name', 'rule')} (changed)"
            rule["lastUpdated"] = iso_ms(now)
            org.policy_rules[str(policy["id"])] = [rule, *rules[1:]]
            log_event(org, "policy.rule.update", "Update policy rule",
                      [{"id": rule.get("id"), "type": "PolicyRule", "displayName": rule["name"]}], now_ms=now)
            return str(rule.get("id"))
    return None


def assign_user_to_app(org: Org, *, app_index: int = 0, now_ms: int | None = None) -> tuple[str, str] | None:
    """Assign one user not yet assigned to the ``app_index``-th app, with its System Log event. Returns
    ``(app id, user id)``."""
    if not org.apps:
        return None
    now = now_ms if now_ms is not None else _now_ms()
    app = org.apps[app_index % len(org.apps)]
    aid = str(app["id"])
    assigned = {str(a.get("id")) for a in org.app_users.get(aid, [])}
    for user in org.users:
        uid = str(user["id"])
        if uid in assigned or user.get("status") != "ACTIVE":
            continue
        login = (user.get("profile") or {}).get("login", uid)
        entry = {
            "id": uid, "created": iso_ms(now), "lastUpdated": iso_ms(now), "scope": "USER", "status": "ACTIVE",
            "statusChanged": iso_ms(now), "syncState": "DISABLED", "credentials": {"userName": login},
            "profile": {"email": login},
        }
        org.app_users[aid] = [*org.app_users.get(aid, []), entry]
        log_event(org, "application.user_membership.add", "Add user to application membership",
                  [{"id": aid, "type": "AppInstance", "displayName": app.get("label")},
                   {"id": uid, "type": "User", "alternateId": login}], now_ms=now)
        return aid, uid
    return None


def small_change(org: Org, *, users_percent: float = 1.0, seed: int = 0, now_ms: int | None = None) -> Json:
    """The benchmark's small change: ``users_percent`` % of users, one policy rule, one app assignment."""
    now = now_ms if now_ms is not None else _now_ms()
    users = change_users(org, max(1, round(len(org.users) * users_percent / 100.0)), seed=seed, now_ms=now)
    rule = change_policy_rule(org, now_ms=now)
    assignment = assign_user_to_app(org, now_ms=now)
    return {"users": len(users), "policy_rule": rule, "app_assignment": list(assignment) if assignment else None}
