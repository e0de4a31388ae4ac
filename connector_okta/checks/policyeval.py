"""Policy semantics shared by checks: every ACTIVE policy and every reachable ACTIVE rule, in priority order.

A rule is *reachable* unless a higher-priority ACTIVE rule of the same policy matches every request (a catch-all:
no narrowing people, network, risk, device... condition). Unknown condition keys count as narrowing, so the
analysis only ever drops rules that Okta can never evaluate.

First-party policies (Okta Admin Console, Okta Dashboard) are found through the app objects: the app named
``saasure`` (Admin Console) or ``okta_enduser`` (Dashboard) and its ``_links.accessPolicy.href``; as a fallback the
``policy_mappings`` of ACCESS_POLICY policies (``_links.application.href``). Never by policy name.
"""

from __future__ import annotations

from typing import Any

from .context import CheckContext, Json
from .results import dig, last_segment

ADMIN_CONSOLE_APP = "saasure"
DASHBOARD_APP = "okta_enduser"

_NEUTRAL_EMPTY = (None, "", [], {})
# condition -> the field that narrows it when it is anything but "ANY" (absent counts as "ANY")
_ANY_FIELDS = {"riskScore": "level", "identityProvider": "provider", "authContext": "authType"}


def _prio(obj: Json) -> tuple[int, int]:
    p = obj.get("priority")
    return (0, p) if isinstance(p, int) else (1, 0)


def active_policies(ctx: CheckContext, ptype: str) -> list[Json]:
    pols = [p for p in ctx.collection("policies").items if p.get("type") == ptype and p.get("status") == "ACTIVE"]
    return sorted(pols, key=_prio)


def everyone_ids(ctx: CheckContext) -> set[str]:
    if "everyone_ids" not in ctx.cache:
        ids = set()
        groups = ctx.collection("groups")
        for g in groups.items:
            if g.get("type") == "BUILT_IN" and dig(g, "profile.name") == "Everyone":
                ids.add(str(g.get("id")))
        ctx.cache["everyone_ids"] = ids
    return ctx.cache["everyone_ids"]


def _people_catch_all(people: Any, everyone: set[str]) -> bool:
    if people in _NEUTRAL_EMPTY:
        return True
    if not isinstance(people, dict):
        return False
    for key, cond in people.items():
        if cond in _NEUTRAL_EMPTY:
            continue
        if not isinstance(cond, dict):
            return False
        if cond.get("exclude"):
            return False
        inc = cond.get("include")
        if not inc:
            continue
        if key == "groups" and all(str(g) in everyone for g in inc):
            continue
        return False
    return True


def is_catch_all(rule: Json, everyone: set[str]) -> bool:
    """True when the rule's conditions match every request (so lower-priority rules are unreachable)."""
    conds = rule.get("conditions")
    if conds in _NEUTRAL_EMPTY:
        return True
    if not isinstance(conds, dict):
        return False
    for key, cond in conds.items():
        if cond in _NEUTRAL_EMPTY:
            continue
        if key == "people":
            if not _people_catch_all(cond, everyone):
                return False
        elif key == "network":
            if cond.get("connection", "ANYWHERE") != "ANYWHERE" or cond.get("include") or cond.get("exclude"):
                return False
        elif key in _ANY_FIELDS:
            if cond.get(_ANY_FIELDS[key], "ANY") != "ANY":
                return False
        elif key == "risk":
            if cond.get("behaviors"):
                return False
        else:
            return False  # device, platform, elCondition, userType, ... or anything unknown: narrowing
    return True


def rules_for(ctx: CheckContext, policy: Json) -> tuple[list[Json] | None, list[Json]]:
    """``(reachable ACTIVE rules in priority order, unreachable ACTIVE rules)``; ``(None, [])`` if not read."""
    coll = ctx.collection("policy_rules")
    pid = str(policy.get("id"))
    if pid in coll.by_parent:
        rules = coll.by_parent[pid]
    elif coll.complete:
        rules = []
    else:
        return None, []
    active = sorted((r for r in rules if r.get("status") == "ACTIVE"), key=_prio)
    everyone = everyone_ids(ctx)
    for i, r in enumerate(active):
        if is_catch_all(r, everyone):  # every rule below it is unreachable
            return active[: i + 1], active[i + 1 :]
    return active, []


def app_by_name(ctx: CheckContext, name: str) -> Json | None:
    for app in ctx.collection("apps").items:
        if app.get("name") == name:
            return app
    return None


def app_policy_id(ctx: CheckContext, app: Json) -> str | None:
    pid = last_segment(dig(app, "_links.accessPolicy.href"))
    if pid:
        return pid
    app_id = str(app.get("id"))
    for policy_id, mappings in ctx.collection("policy_mappings").by_parent.items():
        for m in mappings:
            if last_segment(dig(m, "_links.application.href")) == app_id:
                return policy_id
    return None


def policy_by_id(ctx: CheckContext, pid: str) -> Json | None:
    for p in ctx.collection("policies").items:
        if str(p.get("id")) == pid:
            return p
    return None


def first_party_policy(ctx: CheckContext, app_name: str) -> tuple[Json | None, Json | None, str | None]:
    """``(app, policy, None)`` or ``(app_or_None, None, why)``."""
    app = app_by_name(ctx, app_name)
    if app is None:
        return None, None, (
            f"the app named {app_name!r} is not in /api/v1/apps, so its authentication policy cannot be located"
        )
    pid = app_policy_id(ctx, app)
    if not pid:
        return app, None, f"the app {app_name!r} has no _links.accessPolicy and no policy mapping names it"
    pol = policy_by_id(ctx, pid)
    if pol is None:
        return app, None, f"the policy {pid} linked from the app {app_name!r} is not in the policies collection"
    return app, pol, None


def allow_rule(rule: Json, action_key: str) -> bool:
    access = dig(rule, f"actions.{action_key}.access", "ALLOW")
    return access != "DENY"


def network_zone_limited(rule: Json) -> bool:
    net = dig(rule, "conditions.network") or {}
    return net.get("connection") == "ZONE" and bool(net.get("include") or net.get("exclude"))


def rule_ref(rule: Json, policy: Json) -> dict:
    return {"type": "policy_rule", "uid": str(rule.get("id")), "name": str(rule.get("name", "")),
            "parent_uid": str(policy.get("id"))}


def policy_ref(policy: Json) -> dict:
    return {"type": "policy", "uid": str(policy.get("id")), "name": str(policy.get("name", ""))}
