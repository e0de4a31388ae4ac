"""Password policy checks: each ACTIVE PASSWORD policy is judged (field names from the Management API spec:
``settings.password.complexity.minUpperCase`` etc., never ``useUpperCase``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .context import CheckContext, Json
from .policyeval import active_policies, gap_evidence, no_policy_reason, policy_ref, rules_of
from .registry import check
from .results import dig, org_res, result, whole

WEAK_RESET_METHODS = {"sms", "voice", "email"}
CLASSIC_WEAK_RECOVERY = {"okta_sms", "okta_call", "okta_email"}


def _per_policy(ctx: CheckContext, judge: Callable[[Json], dict]) -> Iterator[dict]:
    pols = active_policies(ctx, "PASSWORD")
    if not pols:
        yield result("unknown", org_res(ctx), "No ACTIVE password policy was found (every org has a default one); "
                     f"{no_policy_reason(ctx, 'PASSWORD')}.", {"policies": 0})
        return
    for p in pols:
        yield judge(p)


def _minimum(check_id: str, path: str, label: str, threshold: str | None, fixed: int | None = None):
    field = path.rsplit(".", 1)[-1]

    @check(check_id)
    def _check(ctx: CheckContext) -> Iterator[dict]:
        need = ctx.t(threshold) if threshold else fixed

        def judge(p: Json) -> dict:
            read = dig(p, path)
            val = whole(read)  # 8.0 is 8
            ev = {field: read, "threshold": need, "policy": p.get("name")}
            if val is None:
                return result("unknown", policy_ref(p), f"Policy {p.get('name')!r} does not state {field}.", ev)
            if val < need:
                return result("fail", policy_ref(p), f"Password policy {p.get('name')!r}: {label} is {val}; at least "
                              f"{need} is required.", ev)
            return result("pass", policy_ref(p), f"{label} is {val} (at least {need}).", ev)

        yield from _per_policy(ctx, judge)

    return _check


_minimum("okta-password-min-length", "settings.password.complexity.minLength", "minimum length", "min_length")
_minimum("okta-password-uppercase", "settings.password.complexity.minUpperCase", "required uppercase letters", None, 1)
_minimum("okta-password-lowercase", "settings.password.complexity.minLowerCase", "required lowercase letters", None, 1)
_minimum("okta-password-number", "settings.password.complexity.minNumber", "required numbers", None, 1)
_minimum("okta-password-symbol", "settings.password.complexity.minSymbol", "required symbols", None, 1)
_minimum("okta-password-min-age", "settings.password.age.minAgeMinutes", "minimum password age (minutes)",
         "min_age_minutes")
_minimum("okta-password-history", "settings.password.age.historyCount", "password history", "min_history")


def _maximum(check_id: str, path: str, threshold: str, unstated: str, never: str, over: str, within: str):
    """A check that ``path`` is set, not 0 (0 = never) and at most the threshold. The messages are format
    strings over ``name`` (the policy's), ``val``, ``limit`` and ``profile``."""
    field = path.rsplit(".", 1)[-1]

    @check(check_id)
    def _check(ctx: CheckContext) -> Iterator[dict]:
        limit = ctx.t(threshold)

        def judge(p: Json) -> dict:
            read = dig(p, path)
            val = whole(read)  # 10.0 is 10
            ev = {field: read, "threshold": limit, "policy": p.get("name")}
            words = {"name": p.get("name"), "val": val, "limit": limit, "profile": ctx.profile}
            if val is None:
                return result("unknown", policy_ref(p), unstated, ev)
            if val == 0:
                return result("fail", policy_ref(p), never.format(**words), ev)
            if val > limit:
                return result("fail", policy_ref(p), over.format(**words), ev)
            return result("pass", policy_ref(p), within.format(**words), ev)

        yield from _per_policy(ctx, judge)

    return _check


_maximum("okta-password-max-age", "settings.password.age.maxAgeDays", "max_age_days",
         "The policy does not state maxAgeDays.",
         "Passwords of policy {name!r} never expire; the {profile} profile requires expiry after at most {limit} days.",
         "Passwords expire after {val} days; at most {limit} allowed.",
         "Passwords expire after {val} days (at most {limit}).")
_maximum("okta-password-lockout", "settings.password.lockout.maxAttempts", "max_attempts",
         "The policy does not state lockout.maxAttempts.",
         "Policy {name!r} never locks accounts (maxAttempts 0).",
         "Accounts lock after {val} failed attempts; at most {limit} allowed.",
         "Accounts lock after {val} failed attempts (at most {limit}).")


def _boolean(check_id: str, path: str, good: bool, ok_msg: str, bad_msg: str, bad_status: str = "fail"):
    field = path.rsplit(".", 1)[-1]

    @check(check_id)
    def _check(ctx: CheckContext) -> Iterator[dict]:
        def judge(p: Json) -> dict:
            val = dig(p, path)
            ev = {field: val, "expected": good, "policy": p.get("name")}
            if not isinstance(val, bool):
                return result("unknown", policy_ref(p), f"Policy {p.get('name')!r} does not state {field}.", ev)
            if val is good:
                return result("pass", policy_ref(p), ok_msg, ev)
            return result(bad_status, policy_ref(p), f"Password policy {p.get('name')!r}: {bad_msg}", ev)

        yield from _per_policy(ctx, judge)

    return _check


_boolean("okta-password-common-dictionary", "settings.password.complexity.dictionary.common.exclude", True,
         "Common passwords are rejected.", "common passwords are accepted.")
_boolean("okta-password-exclude-username", "settings.password.complexity.excludeUsername", True,
         "Passwords may not contain the username.", "passwords may contain the username.", "warning")


@check("okta-password-exclude-attributes")
def exclude_attributes(ctx: CheckContext) -> Iterator[dict]:
    def judge(p: Json) -> dict:
        val = dig(p, "settings.password.complexity.excludeAttributes")
        ev = {"excludeAttributes": val, "expected": ["firstName", "lastName"], "policy": p.get("name")}
        if not isinstance(val, list):
            return result("unknown", policy_ref(p), "The policy does not state excludeAttributes.", ev)
        missing = [a for a in ("firstName", "lastName") if a not in val]
        if missing:
            return result("warning", policy_ref(p), f"Passwords may contain {', '.join(missing)}.", ev)
        return result("pass", policy_ref(p), "Passwords may not contain the first or last name.", ev)

    yield from _per_policy(ctx, judge)


@check("okta-password-breached-protection")
def breached(ctx: CheckContext) -> Iterator[dict]:
    def judge(p: Json) -> dict:
        bp = dig(p, "settings.password.breachedProtection")
        ev = {"breachedProtection": bp, "policy": p.get("name")}
        if isinstance(bp, dict) and (whole(bp.get("expireAfterDays")) is not None or bp.get("logoutEnabled") is True
                                     or bp.get("delegatedWorkflowId")):
            return result("pass", policy_ref(p), "Breached-password protection is configured.", ev)
        return result("warning", policy_ref(p), f"Policy {p.get('name')!r} takes no action on breached passwords.", ev)

    yield from _per_policy(ctx, judge)


@check("okta-password-lockout-notification")
def lockout_notification(ctx: CheckContext) -> Iterator[dict]:
    def judge(p: Json) -> dict:
        ch = dig(p, "settings.password.lockout.userLockoutNotificationChannels")
        ev = {"userLockoutNotificationChannels": ch, "policy": p.get("name")}
        if not isinstance(ch, list):
            return result("unknown", policy_ref(p), "The policy does not state userLockoutNotificationChannels.", ev)
        if "EMAIL" in ch:
            return result("pass", policy_ref(p), "Users are emailed when locked out.", ev)
        return result("warning", policy_ref(p), f"Policy {p.get('name')!r} does not email locked-out users.", ev)

    yield from _per_policy(ctx, judge)


def _classic_recovery(p: Json) -> dict[str, str]:
    factors = dig(p, "settings.recovery.factors") or {}
    return {k: (v or {}).get("status") for k, v in factors.items() if isinstance(v, dict)}


def _unread(p: Json, gap) -> dict:
    return result("unknown", policy_ref(p), f"The rules of policy {p.get('name')!r} are unknown: {gap.sentence()}.",
                  gap_evidence(gap, policy=p.get("id")))


def _weak_reset_rules(rules: list[Json]) -> tuple[list[dict], list[dict], list[dict]]:
    """(weak rules, rules that cannot be judged, every judged rule that allows a reset)."""
    weak, undecided, judged = [], [], []
    for r in rules:
        sspr = dig(r, "actions.selfServicePasswordReset")
        access = sspr.get("access") if isinstance(sspr, dict) else None
        if access == "DENY":
            continue
        if access != "ALLOW":  # no reset action stated: whether the rule allows a reset cannot be told
            undecided.append({"rule": r.get("name"), "selfServicePasswordReset": sspr})
            continue
        methods = [str(m).lower() for m in (dig(sspr, "requirement.primary.methods") or [])]
        step = dig(sspr, "requirement.stepUp.required")
        control = dig(sspr, "requirement.accessControl")
        info = {"rule": r.get("name"), "methods": methods, "stepUp": step, "accessControl": control}
        judged.append(info)
        if control == "AUTH_POLICY":
            continue  # deferred to the Okta account management policy
        if not methods:
            undecided.append(info)
        elif set(methods) <= WEAK_RESET_METHODS and step is not True:
            weak.append(info)
    return weak, undecided, judged


@check("okta-password-recovery-weak")
def recovery_weak(ctx: CheckContext) -> Iterator[dict]:
    def judge(p: Json) -> dict:
        if ctx.org.is_oie:
            rules = rules_of(ctx, p)
            if rules.gap is not None:
                return _unread(p, rules.gap)
            weak, undecided, judged = _weak_reset_rules(rules.reachable)
            ev = {"reset_rules": judged, "undecided_rules": undecided, "weak_methods": sorted(WEAK_RESET_METHODS)}
            if weak:
                return result("fail", policy_ref(p), f"Password reset in policy {p.get('name')!r} needs only "
                              f"{', '.join(weak[0]['methods'])} with no additional verification.", ev)
            if undecided or not rules.reachable:
                return result("unknown", policy_ref(p), f"Policy {p.get('name')!r} has rules whose reset methods "
                              "are not stated (or no ACTIVE rule).", ev)
            return result("pass", policy_ref(p), "Self-service reset needs a strong method or a step-up.", ev)
        rec = _classic_recovery(p)
        ev = {"recovery_factors": rec}
        active = [k for k, v in rec.items() if v == "ACTIVE"]
        if not rec:
            return result("unknown", policy_ref(p), "The policy does not state settings.recovery.factors.", ev)
        weak = [k for k in active if k in CLASSIC_WEAK_RECOVERY]
        if weak and set(active) <= CLASSIC_WEAK_RECOVERY:
            return result("fail", policy_ref(p), f"Password recovery relies only on {', '.join(weak)}.", ev)
        return result("pass", policy_ref(p), "Password recovery does not rely on SMS, voice or email alone.", ev)

    yield from _per_policy(ctx, judge)


@check("okta-password-recovery-question")
def recovery_question(ctx: CheckContext) -> Iterator[dict]:
    def judge(p: Json) -> dict:
        rec = _classic_recovery(p)
        status = rec.get("recovery_question")
        ev = {"recovery_question": status}
        if status == "ACTIVE":
            return result("warning", policy_ref(p), f"Policy {p.get('name')!r} allows a security question for "
                          "password recovery.", ev)
        if status == "INACTIVE":
            return result("pass", policy_ref(p), "Security questions are not a recovery factor.", ev)
        return result("unknown", policy_ref(p), "The policy does not state the recovery_question factor "
                      "(settings.recovery.factors).", ev)

    yield from _per_policy(ctx, judge)


@check("okta-password-self-service-unlock")
def self_service_unlock(ctx: CheckContext) -> Iterator[dict]:
    def judge(p: Json) -> dict:
        rules = rules_of(ctx, p)
        if rules.gap is not None:
            return _unread(p, rules.gap)
        risky, undecided = [], []
        for r in rules.reachable:
            unlock = dig(r, "actions.selfServiceUnlock.access")
            if unlock == "DENY":
                continue
            if unlock != "ALLOW":
                undecided.append({"rule": r.get("name"), "selfServiceUnlock": unlock})
                continue
            if ctx.org.is_oie:
                methods = [str(m).lower() for m in
                           (dig(r, "actions.selfServicePasswordReset.requirement.primary.methods") or [])]
                weak = not methods or set(methods) <= WEAK_RESET_METHODS
            else:
                methods = [k for k, v in _classic_recovery(p).items() if v == "ACTIVE"]
                weak = set(methods) <= CLASSIC_WEAK_RECOVERY
            if weak:
                risky.append({"rule": r.get("name"), "methods": methods})
        ev = {"unlock_rules": risky, "undecided_rules": undecided}
        if risky:
            return result("warning", policy_ref(p), f"Self-service unlock in rule {risky[0]['rule']!r} needs only "
                          f"{', '.join(risky[0]['methods']) or 'weak methods'}.", ev)
        if undecided or not rules.reachable:
            return result("unknown", policy_ref(p), f"Policy {p.get('name')!r} has rules that do not state whether "
                          "self-service unlock is allowed (or no ACTIVE rule).", ev)
        return result("pass", policy_ref(p), "Self-service unlock is off or needs a strong method.", ev)

    yield from _per_policy(ctx, judge)
