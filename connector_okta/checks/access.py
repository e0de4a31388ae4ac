"""App sign-in (authentication) policy checks (Identity Engine ACCESS_POLICY).

The Admin Console and Dashboard policies are found through their apps (``saasure``, ``okta_enduser``), never by
policy name; every reachable ACTIVE ALLOW rule is judged, so a strict priority-1 rule cannot hide a permissive
rule below it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .context import CheckContext, Json
from .policyeval import (
    ADMIN_CONSOLE_APP,
    DASHBOARD_APP,
    active_policies,
    allow_rule,
    app_policy_id,
    device_limited,
    first_party_policy,
    gap_evidence,
    missing_policy_reason,
    policy_by_id,
    policy_ref,
    rule_ref,
    rules_of,
    zone_restriction,
)
from .registry import check
from .results import dig, org_res, res, result

Verdict = tuple[str, str, dict]  # status, message, evidence


def _mfa(rule: Json) -> Verdict:
    vm = dig(rule, "actions.appSignOn.verificationMethod") or {}
    vtype, mode = vm.get("type"), vm.get("factorMode")
    ev = {"verificationMethod.type": vtype, "factorMode": mode}
    if vtype == "AUTH_METHOD_CHAIN":
        return "manual", "The rule uses an authentication method chain; confirm each chain has two factors.", ev
    if mode == "2FA":
        return "pass", "The rule requires two factors.", ev
    if mode == "1FA":
        return "fail", f"Rule {rule.get('name')!r} allows sign-in with one factor.", ev
    return "unknown", "The rule states no factorMode.", ev


def _phishing_resistant(rule: Json) -> Verdict:
    vm = dig(rule, "actions.appSignOn.verificationMethod") or {}
    constraints = vm.get("constraints") or []
    values = [dig(c, "possession.phishingResistant") for c in constraints if isinstance(c, dict)]
    ev = {"constraints.possession.phishingResistant": values, "factorMode": vm.get("factorMode")}
    if vm.get("type") == "AUTH_METHOD_CHAIN":
        return "manual", "The rule uses an authentication method chain; confirm each chain is phishing resistant.", ev
    if values and all(v == "REQUIRED" for v in values):
        return "pass", "Every constraint requires a phishing-resistant possession factor.", ev
    if not values:
        return "fail", f"Rule {rule.get('name')!r} sets no authenticator constraint (phishing resistance not " \
                       "required).", ev
    return "fail", f"Rule {rule.get('name')!r} can be satisfied without a phishing-resistant factor.", ev


def _first_party(ctx: CheckContext, app_name: str, what: str, judge: Callable[[Json], Verdict]) -> Iterator[dict]:
    if not ctx.org.is_oie:
        yield result("manual", org_res(ctx), f"Classic org: {what} is configured outside authentication policies. "
                     + _manual_text(ctx.check_id), {"pipeline": ctx.org.pipeline})
        return
    app, pol, why = first_party_policy(ctx, app_name)
    if pol is None:
        target = res("app", app, name_key="label") if app else org_res(ctx)
        yield result("unknown", target, f"Cannot evaluate the {what} policy: {why}.", {"app_name": app_name})
        return
    app_ref = res("app", app, name_key="label")
    if pol.get("status") != "ACTIVE":
        yield result("unknown", policy_ref(pol), f"The {what} policy is not ACTIVE.", {"status": pol.get("status")})
        return
    rules = rules_of(ctx, pol)
    if rules.gap is not None:
        yield result("unknown", policy_ref(pol), f"The rules of the {what} policy are unknown: "
                     f"{rules.gap.sentence()}.", gap_evidence(rules.gap, policy=pol.get("id")), [app_ref])
        return
    if not rules.reachable:
        yield result("unknown", policy_ref(pol), f"No ACTIVE rule was read for the {what} policy; how Okta "
                     "evaluates it cannot be told.", {"policy": pol.get("id"), "rules": 0}, [app_ref])
        return
    shadowed = rules.unreachable
    allow = [r for r in rules.reachable if allow_rule(r, "appSignOn")]
    if not allow:
        yield result("pass", policy_ref(pol), f"Every reachable rule of the {what} policy denies access.",
                     {"rules": len(rules.reachable)}, [app_ref])
        return
    for r in allow:
        status, msg, ev = judge(r)
        ev.update({"policy": pol.get("name"), "rule": r.get("name"), "priority": r.get("priority"),
                   "app": app_name, "unreachable_rules": [s.get("name") for s in shadowed]})
        yield rules.confirm(r, result(status, rule_ref(r, pol), f"{what}: {msg}", ev, [policy_ref(pol), app_ref]))


_MANUAL: dict[str, str] = {}


def _manual_text(check_id: str) -> str:
    if not _MANUAL:
        from .catalog import load_catalog

        _MANUAL.update({c["id"]: c.get("manual", "") for c in load_catalog()})
    return _MANUAL.get(check_id, "")


@check("okta-admin-console-mfa")
def admin_console_mfa(ctx: CheckContext) -> Iterator[dict]:
    yield from _first_party(ctx, ADMIN_CONSOLE_APP, "Okta Admin Console", _mfa)


@check("okta-admin-console-phishing-resistant")
def admin_console_pr(ctx: CheckContext) -> Iterator[dict]:
    yield from _first_party(ctx, ADMIN_CONSOLE_APP, "Okta Admin Console", _phishing_resistant)


@check("okta-dashboard-mfa")
def dashboard_mfa(ctx: CheckContext) -> Iterator[dict]:
    yield from _first_party(ctx, DASHBOARD_APP, "Okta Dashboard", _mfa)


@check("okta-dashboard-phishing-resistant")
def dashboard_pr(ctx: CheckContext) -> Iterator[dict]:
    yield from _first_party(ctx, DASHBOARD_APP, "Okta Dashboard", _phishing_resistant)


def _judge_app_policy(
    ctx: CheckContext, pid: str, judge_policy: Callable[[Json, list[Json]], Verdict]
) -> Verdict:
    """The verdict on the authentication policy ``pid`` (``unknown`` when it or its rules cannot be read)."""
    pol = policy_by_id(ctx, pid)
    if pol is None:
        return "unknown", f"{missing_policy_reason(ctx, pid)}.", {"policy": pid}
    if pol.get("status") != "ACTIVE":
        return "unknown", f"Its policy {pol.get('name')!r} is not ACTIVE.", {"policy": pid}
    rules = rules_of(ctx, pol)
    if rules.gap is not None:
        return ("unknown", f"The rules of its policy {pol.get('name')!r} are unknown: {rules.gap.sentence()}.",
                gap_evidence(rules.gap, policy=pid))
    if not rules.reachable:
        return "unknown", f"No ACTIVE rule was read for its policy {pol.get('name')!r}.", {"policy": pid}
    st, msg, ev = judge_policy(pol, [r for r in rules.reachable if allow_rule(r, "appSignOn")])
    return st, msg, {**ev, "policy": pol.get("name"), "policy_id": pid}


def _per_app(ctx: CheckContext, judge_policy: Callable[[Json, list[Json]], Verdict]) -> Iterator[dict]:
    cache: dict[str, Verdict] = {}  # policy id -> verdict: many apps share a policy
    apps = [a for a in ctx.collection("apps").items if a.get("status") == "ACTIVE"]
    if not apps:
        yield result("pass", org_res(ctx), "No ACTIVE apps.", {"apps": 0})
        return
    for app in apps:
        if dig(app, "settings.oauthClient.application_type") == "service":
            continue  # machine-to-machine apps (client_credentials) have no user sign-in policy
        app_ref = res("app", app, name_key="label")
        pid = app_policy_id(ctx, app)
        if not pid:
            yield result("unknown", app_ref, "The app names no authentication policy (_links.accessPolicy).",
                         {"app": app.get("name")})
            continue
        if pid not in cache:
            cache[pid] = _judge_app_policy(ctx, pid, judge_policy)
        st, msg, ev = cache[pid]
        yield result(st, app_ref, f"App {app.get('label') or app.get('name')!r}: {msg}", dict(ev),
                     [{"type": "policy", "uid": pid, "name": str(ev.get("policy", ""))}])


def _verdict(bad: list, undecided: list, bad_msg: str, undecided_msg: str, ok_msg: str, ev: dict) -> Verdict:
    if bad:
        return "fail", bad_msg, ev
    if undecided:
        return "unknown", undecided_msg, ev
    return "pass", ok_msg, ev


@check("okta-app-policy-1fa-anywhere")
def app_1fa_anywhere(ctx: CheckContext) -> Iterator[dict]:
    def judge(pol: Json, allow: list[Json]) -> Verdict:
        bad, undecided = [], []
        for r in allow:
            mode = dig(r, "actions.appSignOn.verificationMethod.factorMode")
            if mode == "2FA" or device_limited(r):
                continue
            limited, why = zone_restriction(ctx, dig(r, "conditions.network"))
            if limited is True:
                continue
            if mode == "1FA" and limited is False:
                bad.append(r.get("name"))
            else:  # a factor mode it does not state, or a zone limit it cannot confirm
                undecided.append({"rule": r.get("name"), "factorMode": mode, "network": why})
        ev = {"one_factor_anywhere_rules": bad, "undecided_rules": undecided}
        return _verdict(bad, undecided,
                        f"rule {bad[0]!r} of its policy allows one factor from any network and device." if bad else "",
                        f"whether rule {undecided[0]['rule']!r} of its policy allows one factor from anywhere cannot "
                        "be told (it states no factorMode, or its zones cannot be resolved)." if undecided else "",
                        "its policy requires two factors or limits one-factor access by zone or device.", ev)

    yield from _per_app(ctx, judge)


@check("okta-app-policy-network-zones")
def app_zones(ctx: CheckContext) -> Iterator[dict]:
    if ctx.org.pipeline == "v1":  # Classic app sign-on rules are not authentication policies the API lists
        yield result("manual", org_res(ctx), "Classic org: app sign-on policies are configured on each app, outside "
                     "authentication policies. " + _manual_text(ctx.check_id), {"pipeline": ctx.org.pipeline})
        return

    def judge(pol: Json, allow: list[Json]) -> Verdict:
        open_rules, undecided = [], []
        for r in allow:
            limited, why = zone_restriction(ctx, dig(r, "conditions.network"))
            if limited is False:
                open_rules.append(r.get("name"))
            elif limited is None:
                undecided.append({"rule": r.get("name"), "network": why})
        ev = {"rules_without_zone": open_rules, "undecided_rules": undecided, "allow_rules": len(allow)}
        return _verdict(open_rules, undecided,
                        f"ALLOW rule {open_rules[0]!r} of its policy applies from any network." if open_rules else "",
                        f"whether ALLOW rule {undecided[0]['rule']!r} is limited by zone cannot be told: "
                        f"{undecided[0]['network']}." if undecided else "",
                        "every reachable ALLOW rule of its policy is limited by network zone.", ev)

    yield from _per_app(ctx, judge)


@check("okta-access-policy-context")
def access_context(ctx: CheckContext) -> Iterator[dict]:
    used: list[dict] = []
    unread: list[str] = []
    for ptype in ("OKTA_SIGN_ON", "ACCESS_POLICY"):
        for pol in active_policies(ctx, ptype):
            rules = rules_of(ctx, pol)
            if rules.gap is not None:
                unread.append(str(pol.get("name")))
                continue
            for r in rules.reachable:
                c = r.get("conditions") or {}
                kinds = []
                if dig(c, "riskScore.level", "ANY") != "ANY":
                    kinds.append("riskScore")
                if dig(c, "risk.behaviors"):
                    kinds.append("behaviors")
                if device_limited(r):
                    kinds.append("device")
                if zone_restriction(ctx, dig(r, "conditions.network"))[0] is True:
                    kinds.append("network")
                if kinds:
                    used.append({"policy": pol.get("name"), "rule": r.get("name"), "conditions": kinds})
    ev = {"context_rules": used[:20], "count": len(used), "policies_with_unread_rules": unread}
    if used:
        yield result("pass", org_res(ctx), f"{len(used)} ACTIVE rules use risk, device or network context.", ev)
    elif unread:
        yield result("unknown", org_res(ctx), "No rule read uses risk, device or network context, but the rules of "
                     f"{len(unread)} policies are unknown.", ev)
    else:
        yield result("warning", org_res(ctx), "No ACTIVE sign-in rule uses risk, device, behavior or network context.",
                     ev, absence=True)
