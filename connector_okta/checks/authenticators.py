"""Authenticator (OIE ``/api/v1/authenticators``), Classic org factor and enrollment policy checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .context import CheckContext, Json
from .policyeval import active_policies, no_policy_reason, policy_ref
from .registry import check
from .results import dig, org_res, res, result, unknown_collection

PHISHING_RESISTANT_KEYS = ("webauthn", "smart_card_idp")
CLASSIC_PR_FACTORS = ("webauthn", "u2f")
WEAK_KEYS = ("security_question", "phone_number", "okta_email")
STRONG_KEYS = ("okta_verify", "webauthn", "smart_card_idp", "yubikey_token", "custom_app")
CLASSIC_WEAK = ("okta_question", "okta_sms", "okta_call", "okta_email")
CLASSIC_STRONG = ("okta_otp", "okta_push", "fido_webauthn", "fido_u2f", "yubikey_token", "okta_verify_push")


def _by_key(ctx: CheckContext, key: str) -> Json | None:
    for a in ctx.collection("authenticators").items:
        if a.get("key") == key:
            return a
    return None


@check("okta-authenticator-phishing-resistant")
def phishing_resistant(ctx: CheckContext) -> Iterator[dict]:
    # Identity Engine lists authenticators by key, Classic lists org factors by factorType
    name, kind, accepted = (("authenticators", "key", PHISHING_RESISTANT_KEYS) if ctx.org.is_oie
                            else ("org_factors", "factorType", CLASSIC_PR_FACTORS))
    coll = ctx.collection(name)
    if not coll.complete:
        yield unknown_collection(ctx, coll)
        return
    active = [a.get(kind) for a in coll.items if a.get(kind) in accepted and a.get("status") == "ACTIVE"]
    ev = {"active": active, "accepted": list(accepted)}
    if active:
        yield result("pass", org_res(ctx), f"Phishing-resistant authenticator active: {', '.join(ev['active'])}.", ev)
    else:
        yield result("fail", org_res(ctx), "No phishing-resistant authenticator (FIDO2/WebAuthn, smart card) is "
                     "active, so no policy can require one.", ev)


def _allowed_for(ctx: CheckContext, key: str, bad: tuple[str, ...], bad_status: str, what: str) -> Iterator[dict]:
    a = _by_key(ctx, key)
    if a is None:
        yield result("pass", org_res(ctx), f"The {what} authenticator is not set up.", {"key": key})
        return
    allowed = dig(a, "settings.allowedFor")
    ev = {"key": key, "status": a.get("status"), "allowedFor": allowed}
    r = res("authenticator", a)
    if a.get("status") != "ACTIVE":
        yield result("pass", r, f"The {what} authenticator is not active.", ev)
    elif allowed in bad:
        yield result(bad_status, r, f"The {what} authenticator can be used for sign-in (allowedFor {allowed}).", ev)
    elif allowed in ("recovery", "none"):
        yield result("pass", r, f"The {what} authenticator is limited to {allowed}.", ev)
    else:
        yield result("unknown", r, f"The {what} authenticator states no known allowedFor value.", ev)


@check("okta-authenticator-security-question")
def security_question(ctx: CheckContext) -> Iterator[dict]:
    yield from _allowed_for(ctx, "security_question", ("any", "sso"), "fail", "security question")


@check("okta-authenticator-phone")
def phone(ctx: CheckContext) -> Iterator[dict]:
    yield from _allowed_for(ctx, "phone_number", ("any", "sso"), "fail", "phone (SMS/voice)")


@check("okta-authenticator-email")
def email(ctx: CheckContext) -> Iterator[dict]:
    yield from _allowed_for(ctx, "okta_email", ("any", "sso"), "warning", "email")


def _okta_verify(ctx: CheckContext) -> tuple[Json | None, dict | None]:
    ov = _by_key(ctx, "okta_verify")
    if ov is None or ov.get("status") != "ACTIVE":
        return None, result("pass", org_res(ctx), "Okta Verify is not active.",
                            {"status": ov.get("status") if ov else None})
    return ov, None


@check("okta-okta-verify-number-challenge")
def number_challenge(ctx: CheckContext) -> Iterator[dict]:
    ov, done = _okta_verify(ctx)
    if done:
        yield done
        return
    cb = dig(ov, "settings.channelBinding") or {}
    ev = {"channelBinding.style": cb.get("style"), "channelBinding.required": cb.get("required")}
    r = res("authenticator", ov)
    if cb.get("style") == "NUMBER_CHALLENGE" and cb.get("required") == "ALWAYS":
        yield result("pass", r, "Every Okta Verify push uses number challenge.", ev)
    elif cb.get("style") == "NUMBER_CHALLENGE" and cb.get("required") == "HIGH_RISK_ONLY":
        yield result("warning", r, "Number challenge is used only for high-risk pushes.", ev)
    else:
        yield result("fail", r, "Okta Verify push does not use number challenge.", ev)


@check("okta-okta-verify-fips")
def fips(ctx: CheckContext) -> Iterator[dict]:
    if not ctx.org.is_oie:
        yield result("manual", org_res(ctx), "Classic org: Security > Multifactor > Okta Verify: confirm "
                     "FIPS-compliant devices only.", {"pipeline": ctx.org.pipeline})
        return
    coll = ctx.collection("authenticators")
    if not coll.complete:
        yield unknown_collection(ctx, coll)
        return
    ov = _by_key(ctx, "okta_verify")
    if ov is None or ov.get("status") != "ACTIVE":
        yield result("pass", org_res(ctx), "Okta Verify is not active, so no non-FIPS device can use it.",
                     {"status": ov.get("status") if ov else None, "collection": coll.status})
        return
    val = dig(ov, "settings.compliance.fips")
    ev = {"compliance.fips": val, "required": "REQUIRED"}
    if val == "REQUIRED":
        yield result("pass", res("authenticator", ov), "Okta Verify is limited to FIPS-compliant devices.", ev)
    else:
        yield result("fail", res("authenticator", ov), f"Okta Verify FIPS compliance is {val or 'not set'}; "
                     "REQUIRED is needed.", ev)


@check("okta-okta-verify-user-verification")
def ov_user_verification(ctx: CheckContext) -> Iterator[dict]:
    ov, done = _okta_verify(ctx)
    if done:
        yield done
        return
    val = dig(ov, "settings.userVerification")
    ev = {"userVerification": val}
    if val == "REQUIRED":
        yield result("pass", res("authenticator", ov), "Okta Verify requires biometrics or a PIN.", ev)
    else:
        yield result("warning", res("authenticator", ov), f"Okta Verify user verification is {val or 'not set'}.", ev)


@check("okta-smart-card-authenticator")
def smart_card(ctx: CheckContext) -> Iterator[dict]:
    if ctx.org.is_oie:
        coll = ctx.collection("authenticators")
        if not coll.complete:
            yield unknown_collection(ctx, coll)
            return
        sc = _by_key(ctx, "smart_card_idp")
        ev = {"smart_card_idp": sc.get("status") if sc else None}
        if sc and sc.get("status") == "ACTIVE":
            yield result("pass", res("authenticator", sc), "The Smart Card authenticator is active.", ev)
        else:
            yield result("fail", org_res(ctx), "The Smart Card (PIV/CAC) authenticator is not active.", ev)
        return
    coll = ctx.collection("idps")
    if not coll.complete:
        yield unknown_collection(ctx, coll)
        return
    x509 = [i for i in coll.items if i.get("type") == "X509" and i.get("status") == "ACTIVE"]
    ev = {"active_x509_idps": [i.get("name") for i in x509]}
    if x509:
        yield result("pass", res("idp", x509[0]), "A Smart Card identity provider is active.", ev)
    else:
        yield result("fail", org_res(ctx), "No Smart Card (X509) identity provider is active.", ev)


def _enrollment(p: Json) -> dict[str, str | None]:
    """key -> enroll.self for OIE (settings.authenticators) and Classic (settings.factors)."""
    out: dict[str, str | None] = {}
    for a in dig(p, "settings.authenticators") or []:
        if isinstance(a, dict) and a.get("key"):
            out[a["key"]] = dig(a, "enroll.self")
    factors = dig(p, "settings.factors") or {}
    if isinstance(factors, dict):
        for k, v in factors.items():
            if isinstance(v, dict):
                out[k] = dig(v, "enroll.self")
    return out


def _per_enroll_policy(
    ctx: CheckContext, judge: Callable[[Json, dict[str, str | None], dict], dict]
) -> Iterator[dict]:
    """``judge(policy, enrollment, evidence)`` for every ACTIVE enrollment policy (MFA_ENROLL) that lists
    authenticators; ``unknown`` when there is no such policy, or for a policy that lists none."""
    pols = active_policies(ctx, "MFA_ENROLL")
    if not pols:
        yield result("unknown", org_res(ctx), "No ACTIVE enrollment policy (MFA_ENROLL) was found; "
                     f"{no_policy_reason(ctx, 'MFA_ENROLL')}.", {})
        return
    for p in pols:
        en = _enrollment(p)
        ev = {"enrollment": en}
        if not en:
            yield result("unknown", policy_ref(p), "The policy lists no authenticators.", ev)
            continue
        yield judge(p, en, ev)


@check("okta-enrollment-weak-authenticators")
def enrollment_weak(ctx: CheckContext) -> Iterator[dict]:
    weak = WEAK_KEYS + CLASSIC_WEAK

    def judge(p: Json, en: dict[str, str | None], ev: dict) -> dict:
        required = [k for k, v in en.items() if k in weak and v == "REQUIRED"]
        optional = [k for k, v in en.items() if k in weak and v == "OPTIONAL"]
        unstated = [k for k, v in en.items() if k in weak and v not in ("REQUIRED", "OPTIONAL", "NOT_ALLOWED")]
        if required:
            return result("fail", policy_ref(p), f"Enrollment policy {p.get('name')!r} requires weak authenticators: "
                          f"{', '.join(required)}.", ev)
        if optional:
            return result("warning", policy_ref(p), f"Enrollment policy {p.get('name')!r} offers weak authenticators: "
                          f"{', '.join(optional)}.", ev)
        if unstated:
            return result("unknown", policy_ref(p), f"Enrollment policy {p.get('name')!r} lists weak authenticators "
                          f"without stating enroll.self: {', '.join(unstated)}.", ev)
        return result("pass", policy_ref(p), "No weak authenticator is enrolled by this policy.", ev)

    yield from _per_enroll_policy(ctx, judge)


@check("okta-enrollment-strong-authenticator")
def enrollment_strong(ctx: CheckContext) -> Iterator[dict]:
    strong = STRONG_KEYS + CLASSIC_STRONG

    def judge(p: Json, en: dict[str, str | None], ev: dict) -> dict:
        offered = [k for k, v in en.items() if k in strong and v in ("REQUIRED", "OPTIONAL")]
        if offered:
            return result("pass", policy_ref(p), f"Strong authenticators offered: {', '.join(offered)}.", ev)
        return result("fail", policy_ref(p), f"Enrollment policy {p.get('name')!r} offers no strong authenticator "
                      "(Okta Verify, FIDO2, smart card).", ev)

    yield from _per_enroll_policy(ctx, judge)
