"""Global session policy (OKTA_SIGN_ON) and Admin Console session checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .context import CheckContext, Gap, Json
from .policyeval import (
    active_policies,
    allow_rule,
    gap_evidence,
    no_policy_reason,
    policy_ref,
    rule_ref,
    rules_of,
    zone_restriction,
)
from .registry import check
from .results import dig, org_res, result, unknown_collection, whole


def _no_policy(ctx: CheckContext, ptype: str = "OKTA_SIGN_ON") -> dict:
    return result("unknown", org_res(ctx), f"No ACTIVE global session policy ({ptype}) was found; "
                  f"{no_policy_reason(ctx, ptype)}.", {"policies": 0})


def rules_unread(pol: Json, gap: Gap, what: str = "") -> dict:
    """``unknown`` for a policy whose rules are not known: which read failed, its status, its request id."""
    return result("unknown", policy_ref(pol), f"The rules of {what or 'policy'} {pol.get('name')!r} are unknown: "
                  f"{gap.sentence()}.", gap_evidence(gap, policy=pol.get("id")))


def no_active_rule(pol: Json, what: str = "policy") -> dict:
    return result("unknown", policy_ref(pol), f"No ACTIVE rule was read for {what} {pol.get('name')!r}; how Okta "
                  "evaluates it cannot be told.", {"policy": pol.get("id"), "rules": 0})


def _per_rule(
    ctx: CheckContext, judge: Callable[[Json, Json], dict], ptype: str = "OKTA_SIGN_ON"
) -> Iterator[dict]:
    """``judge(policy, rule)`` for every reachable ALLOW rule of every ACTIVE policy of ``ptype``, in priority
    order; a policy whose reachable rules all deny passes (it creates no session); one whose rules are unknown, or
    that has no ACTIVE rule, is unknown."""
    policies = active_policies(ctx, ptype)
    if not policies:
        yield _no_policy(ctx, ptype)
        return
    for pol in policies:
        rules = rules_of(ctx, pol)
        if rules.gap is not None:
            yield rules_unread(pol, rules.gap)
            continue
        if not rules.reachable:
            yield no_active_rule(pol)
            continue
        allow = [r for r in rules.reachable if allow_rule(r, "signon")]
        for r in allow:
            yield rules.confirm(r, judge(pol, r))
        if not allow:
            yield result("pass", policy_ref(pol), f"Every reachable rule of policy {pol.get('name')!r} denies "
                         "access (it creates no session).",
                         {"rules": len(rules.reachable), "unreachable_rules": [r.get("name") for r in
                                                                               rules.unreachable]})


@check("okta-session-idle-timeout")
def session_idle(ctx: CheckContext) -> Iterator[dict]:
    limit = ctx.t("max_idle_minutes")

    def judge(pol: Json, rule: Json) -> dict:
        read = dig(rule, "actions.signon.session.maxSessionIdleMinutes")
        idle = whole(read)  # 120.0 is 120
        ev = {"maxSessionIdleMinutes": read, "threshold": limit, "policy": pol.get("name"), "rule": rule.get("name"),
              "priority": rule.get("priority")}
        res, rel = rule_ref(rule, pol), [policy_ref(pol)]
        if idle is None:
            return result("unknown", res, "The rule does not state maxSessionIdleMinutes.", ev, rel)
        if idle <= 0 or idle > limit:
            return result("fail", res, f"Global session idle timeout is {idle} minutes in rule {rule.get('name')!r}; "
                          f"the {ctx.profile} profile allows at most {limit}.", ev, rel)
        return result("pass", res, f"Idle timeout {idle} minutes (at most {limit}).", ev, rel)

    yield from _per_rule(ctx, judge)


@check("okta-session-max-lifetime")
def session_lifetime(ctx: CheckContext) -> Iterator[dict]:
    limit = ctx.t("max_lifetime_minutes")

    def judge(pol: Json, rule: Json) -> dict:
        read = dig(rule, "actions.signon.session.maxSessionLifetimeMinutes")
        life = whole(read)  # 0.0 is 0
        ev = {"maxSessionLifetimeMinutes": read, "threshold": limit, "policy": pol.get("name"),
              "rule": rule.get("name"), "priority": rule.get("priority")}
        res, rel = rule_ref(rule, pol), [policy_ref(pol)]
        if life is None:
            return result("unknown", res, "The rule does not state maxSessionLifetimeMinutes.", ev, rel)
        if life == 0:
            return result("fail", res, f"Rule {rule.get('name')!r} sets no maximum session lifetime (0 = unlimited); "
                          f"the {ctx.profile} profile requires at most {limit} minutes.", ev, rel)
        if life > limit:
            return result("fail", res, f"Maximum session lifetime is {life} minutes in rule {rule.get('name')!r}; "
                          f"the {ctx.profile} profile allows at most {limit}.", ev, rel)
        return result("pass", res, f"Maximum session lifetime {life} minutes (at most {limit}).", ev, rel)

    yield from _per_rule(ctx, judge)


@check("okta-session-persistent-cookie")
def session_cookie(ctx: CheckContext) -> Iterator[dict]:
    def judge(pol: Json, rule: Json) -> dict:
        val = dig(rule, "actions.signon.session.usePersistentCookie")
        ev = {"usePersistentCookie": val, "policy": pol.get("name"), "rule": rule.get("name")}
        res, rel = rule_ref(rule, pol), [policy_ref(pol)]
        if val is True:
            return result("fail", res, f"Rule {rule.get('name')!r} keeps the Okta session across browser restarts.",
                          ev, rel)
        if val is False:
            return result("pass", res, "Session cookies do not persist across browser sessions.", ev, rel)
        return result("unknown", res, "The rule does not state usePersistentCookie.", ev, rel)

    yield from _per_rule(ctx, judge)


@check("okta-session-default-rule-priority")
def default_rule_priority(ctx: CheckContext) -> Iterator[dict]:
    policies = active_policies(ctx, "OKTA_SIGN_ON")
    defaults = [p for p in policies if p.get("system") is True]
    if not defaults:
        yield result("unknown", org_res(ctx), "The Default global session policy (system: true) was not found; "
                     f"{no_policy_reason(ctx, 'OKTA_SIGN_ON')}.", {"policies": len(policies)})
        return
    for pol in defaults:
        rules = rules_of(ctx, pol)
        if rules.gap is not None:
            yield rules_unread(pol, rules.gap)
            continue
        if not rules.reachable:
            yield no_active_rule(pol, "the Default Policy")
            continue
        top = rules.reachable[0]
        ev = {"priority_1_rule": top.get("name"), "system": top.get("system"), "priority": top.get("priority")}
        if top.get("system") is True or top.get("name") == "Default Rule":
            yield result("fail", rule_ref(top, pol), "The top-priority rule of the Default Policy is the built-in "
                         f"{top.get('name')!r}; add a custom rule at priority 1.", ev, [policy_ref(pol)])
        elif top.get("status") != "ACTIVE":
            yield result("unknown", rule_ref(top, pol), f"The top-priority rule {top.get('name')!r} is not stated "
                         "ACTIVE, so whether it is the one Okta applies first cannot be told.", ev, [policy_ref(pol)])
        else:
            yield result("pass", rule_ref(top, pol), f"The Default Policy's priority-1 rule is the custom rule "
                         f"{top.get('name')!r}.", ev, [policy_ref(pol)])


@check("okta-session-network-zones")
def session_zones(ctx: CheckContext) -> Iterator[dict]:
    def judge(pol: Json, rule: Json) -> dict:
        net = dig(rule, "conditions.network") or {}
        limited, why = zone_restriction(ctx, net)
        ev = {"network": net, "policy": pol.get("name"), "rule": rule.get("name"), "priority": rule.get("priority"),
              "zones": why}
        res, rel = rule_ref(rule, pol), [policy_ref(pol)]
        if limited is True:
            return result("pass", res, f"The rule is limited by network zone ({why}).", ev, rel)
        if limited is None:
            return result("unknown", res, f"Whether ALLOW rule {rule.get('name')!r} is limited by network zone "
                          f"cannot be told: {why}.", ev, rel)
        return result("fail", res, f"ALLOW rule {rule.get('name')!r} applies from any network ({why}).", ev, rel)

    yield from _per_rule(ctx, judge)


@check("okta-signon-classic-mfa")
def classic_mfa(ctx: CheckContext) -> Iterator[dict]:
    def judge(pol: Json, rule: Json) -> dict:
        req = dig(rule, "actions.signon.requireFactor")
        ev = {"requireFactor": req, "factorPromptMode": dig(rule, "actions.signon.factorPromptMode"),
              "network": dig(rule, "conditions.network"), "policy": pol.get("name"), "rule": rule.get("name")}
        res, rel = rule_ref(rule, pol), [policy_ref(pol)]
        if req is True:
            return result("pass", res, "The rule prompts for a second factor.", ev, rel)
        if req is False:
            return result("fail", res, f"ALLOW rule {rule.get('name')!r} signs users in without a second factor.",
                          ev, rel)
        return result("unknown", res, "The rule does not state requireFactor.", ev, rel)

    yield from _per_rule(ctx, judge)


def _admin_console(ctx: CheckContext, field: str, name: str, what: str) -> Iterator[dict]:
    coll = ctx.collection("admin_console_settings")
    obj = coll.first()
    if obj is None:
        yield unknown_collection(ctx, coll)
        return
    limit = ctx.t(name)
    read = obj.get(field)
    val = whole(read)  # 15.0 is 15
    # the asset the admin_console_settings collection is emitted as (normalize/asset.py: a singleton's uid)
    res = {"type": "org_setting", "uid": f"{ctx.org.id}:admin_console_settings", "name": "Okta Admin Console settings"}
    ev = {field: read, "threshold": limit}
    if val is None:
        yield result("unknown", res, f"{field} is not in the Admin Console settings.", ev)
    elif val > limit:
        yield result("fail", res, f"Admin Console {what} is {val} minutes; the {ctx.profile} profile allows at most "
                     f"{limit}.", ev)
    else:
        yield result("pass", res, f"Admin Console {what} is {val} minutes (at most {limit}).", ev)


@check("okta-admin-console-session-idle")
def admin_console_idle(ctx: CheckContext) -> Iterator[dict]:
    yield from _admin_console(ctx, "sessionIdleTimeoutMinutes", "max_idle_minutes", "session idle timeout")


@check("okta-admin-console-session-lifetime")
def admin_console_lifetime(ctx: CheckContext) -> Iterator[dict]:
    yield from _admin_console(ctx, "sessionMaxLifetimeMinutes", "max_lifetime_minutes", "session maximum lifetime")
