"""Small builders for check results (the engine adds ``check_id`` and ``profile``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .context import CheckContext, Collection, Json

DAY_MS = 86_400_000


def result(
    status: str,
    resource: dict,
    message: str,
    evidence: dict | None = None,
    related: list[dict] | None = None,
    *,
    absence: bool = False,
) -> dict:
    """A result without ``check_id``/``profile`` (the engine adds them). ``absence=True`` marks a verdict that
    rests on something *not* being found: the engine turns it into ``unknown`` when the data was incomplete."""
    out = {
        "status": status,
        "resource": resource,
        "related": related or [],
        "message": message,
        "evidence": evidence if evidence is not None else {},
    }
    if absence:
        out["absence"] = True
    return out


def org_res(ctx: CheckContext) -> dict:
    return {"type": "org", "uid": ctx.org.id, "name": ctx.org.name}


def res(rtype: str, obj: Json, parent_uid: str | None = None, name_key: str = "name") -> dict:
    r: dict[str, Any] = {"type": rtype, "uid": str(obj.get("id", "")), "name": _name(obj, name_key)}
    if parent_uid:
        r["parent_uid"] = parent_uid
    return r


def user_ref(uid: str) -> dict:
    """A user known only by id (an admin, a token owner)."""
    return {"type": "user", "uid": uid, "name": uid}


def login_ref(user: Json) -> dict:
    """A user object as read from /api/v1/users, named by its login."""
    return {"type": "user", "uid": str(user.get("id")), "name": str((user.get("profile") or {}).get("login", ""))}


def _name(obj: Json, key: str) -> str:
    v = obj.get(key)
    if v is None and isinstance(obj.get("profile"), dict):
        v = obj["profile"].get("login")
    if v is None:
        v = obj.get("label") or obj.get("id") or ""
    return str(v)


def unknown_collection(ctx: CheckContext, coll: Collection, resource: dict | None = None) -> dict:
    return result(
        "unknown",
        resource or org_res(ctx),
        f"Cannot evaluate: {coll.why()}.",
        {"collection": coll.name, "collection_status": coll.status, "reason": coll.reason},
    )


def whole(value: Any) -> int | None:
    """``value`` as an integer when it is a whole number: ``8`` and ``8.0`` are 8 (some Okta objects carry
    integers as floats: ``minLength: 8.0``, ``priority: 1.0``); None for anything else (booleans, ``8.5``,
    strings, infinities, NaN). Every check that reads an integer reads it through this."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def dig(obj: Any, path: str, default: Any = None) -> Any:
    """``dig(policy, "settings.password.complexity.minLength")``; ``default`` if any step is missing or null."""
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return default if cur is None else cur


def parse_ms(ts: Any) -> int | None:
    """Okta timestamps ("2024-04-25T17:35:02.000Z") to epoch ms; None if absent or unparsable."""
    if not isinstance(ts, str) or not ts:
        return None
    try:
        s = ts.strip().replace("Z", "+00:00")
        if " " in s and "T" not in s:
            s = s.replace(" ", "T", 1)
        dt = datetime.fromisoformat(s)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp() * 1000)
    except ValueError:
        return None


def age_days(ctx: CheckContext, ts: Any) -> float | None:
    ms = parse_ms(ts)
    if ms is None:
        return None
    return (ctx.now_ms - ms) / DAY_MS


def last_segment(href: Any) -> str | None:
    if not isinstance(href, str) or not href:
        return None
    return href.split("?")[0].rstrip("/").split("/")[-1] or None
