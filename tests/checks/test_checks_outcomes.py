"""Every check in three outcomes on Okta-shaped fixtures: pass (the hardened org), fail or warning (one setting
broken), unknown (the data it needs is missing, and the reason is said). The meta-test in test_checks_catalog.py
asserts every catalog id appears here in each outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from checks_fixtures import OLD, build_org, run

from connector_okta.checks.catalog import load_catalog

Org = dict[str, Any]
META = {c["id"]: c for c in load_catalog()}
V1_ONLY = {cid for cid, m in META.items() if m["pipelines"] == ["v1"]}


def pol(o: Org, pid: str) -> dict:
    return next(p for p in o["policies"] if p["id"] == pid)


def pwd(o: Org) -> dict:
    return pol(o, "00pPW")["settings"]["password"]


def auth(o: Org, key: str) -> dict:
    return next(a for a in o["authenticators"] if a["key"] == key)


def session(o: Org, **kw: Any) -> None:
    o["policy_rules"]["00pGSP"][0]["actions"]["signon"]["session"].update(kw)


def user(o: Org, uid: str) -> dict:
    return next(u for u in o["users"] if u["id"] == uid)


def set_(fn: Callable[[Org], Any]) -> Callable[[Org], None]:
    def mutate(o: Org) -> None:
        fn(o)

    return mutate


def _saml_idp(o: Org, **policy: Any) -> None:
    idp = {"id": "0oaSaml", "type": "SAML2", "name": "Partner", "status": "ACTIVE",
           "policy": {"provisioning": {"action": "DISABLED"}, "accountLink": {"action": "AUTO", "filter": None},
                      "trustClaims": False, "mapAMRClaims": False}}
    idp["policy"].update(policy)
    o["idps"].append(idp)


# check id -> (mutation making it fail/warn, expected status)
FAIL: dict[str, tuple[Callable[[Org], None], str]] = {
    "okta-session-idle-timeout": (lambda o: session(o, maxSessionIdleMinutes=30), "fail"),
    "okta-session-max-lifetime": (lambda o: session(o, maxSessionLifetimeMinutes=0), "fail"),
    "okta-session-persistent-cookie": (lambda o: session(o, usePersistentCookie=True), "fail"),
    "okta-session-default-rule-priority": (lambda o: o["policy_rules"].__setitem__(
        "00pGSP", o["policy_rules"]["00pGSP"][2:]), "fail"),
    "okta-session-network-zones": (lambda o: o["policy_rules"]["00pGSP"][1]["actions"]["signon"].update(
        access="ALLOW"), "fail"),
    "okta-signon-classic-mfa": (lambda o: o["policy_rules"]["00pGSP"][0]["actions"]["signon"].update(
        requireFactor=False), "fail"),
    "okta-admin-console-session-idle": (lambda o: o["admin_console_settings"][0].update(
        sessionIdleTimeoutMinutes=30), "fail"),
    "okta-admin-console-session-lifetime": (lambda o: o["admin_console_settings"][0].update(
        sessionMaxLifetimeMinutes=1440), "fail"),
    "okta-password-min-length": (lambda o: pwd(o)["complexity"].update(minLength=8), "fail"),
    "okta-password-uppercase": (lambda o: pwd(o)["complexity"].update(minUpperCase=0), "fail"),
    "okta-password-lowercase": (lambda o: pwd(o)["complexity"].update(minLowerCase=0), "fail"),
    "okta-password-number": (lambda o: pwd(o)["complexity"].update(minNumber=0), "fail"),
    "okta-password-symbol": (lambda o: pwd(o)["complexity"].update(minSymbol=0), "fail"),
    "okta-password-min-age": (lambda o: pwd(o)["age"].update(minAgeMinutes=0), "fail"),
    "okta-password-max-age": (lambda o: pwd(o)["age"].update(maxAgeDays=0), "fail"),
    "okta-password-lockout": (lambda o: pwd(o)["lockout"].update(maxAttempts=10), "fail"),
    "okta-password-common-dictionary": (lambda o: pwd(o)["complexity"]["dictionary"]["common"].update(
        exclude=False), "fail"),
    "okta-password-history": (lambda o: pwd(o)["age"].update(historyCount=4), "fail"),
    "okta-password-exclude-username": (lambda o: pwd(o)["complexity"].update(excludeUsername=False), "warning"),
    "okta-password-exclude-attributes": (lambda o: pwd(o)["complexity"].update(excludeAttributes=[]), "warning"),
    "okta-password-breached-protection": (lambda o: pwd(o).pop("breachedProtection"), "warning"),
    "okta-password-recovery-weak": (lambda o: o["policy_rules"]["00pPW"][0]["actions"][
        "selfServicePasswordReset"].update(requirement={"primary": {"methods": ["sms", "email"]},
                                                        "stepUp": {"required": False}}), "fail"),
    "okta-password-recovery-question": (lambda o: pol(o, "00pPW")["settings"]["recovery"]["factors"][
        "recovery_question"].update(status="ACTIVE"), "warning"),
    "okta-password-self-service-unlock": (lambda o: o["policy_rules"]["00pPW"][0]["actions"].update(
        selfServiceUnlock={"access": "ALLOW"}, selfServicePasswordReset={
            "access": "ALLOW", "requirement": {"primary": {"methods": ["email"]}}}), "warning"),
    "okta-password-lockout-notification": (lambda o: pwd(o)["lockout"].update(userLockoutNotificationChannels=[]),
                                           "warning"),
    "okta-admin-console-mfa": (lambda o: o["policy_rules"]["rstAdmin"][1]["actions"]["appSignOn"].update(
        access="ALLOW"), "fail"),
    "okta-admin-console-phishing-resistant": (lambda o: o["policy_rules"]["rstAdmin"][0]["actions"]["appSignOn"][
        "verificationMethod"]["constraints"].append({"possession": {"phishingResistant": "OPTIONAL"}}), "fail"),
    "okta-dashboard-mfa": (lambda o: o["policy_rules"]["rstDash"][0]["actions"]["appSignOn"][
        "verificationMethod"].update(factorMode="1FA"), "fail"),
    "okta-dashboard-phishing-resistant": (lambda o: o["policy_rules"]["rstDash"][0]["actions"]["appSignOn"][
        "verificationMethod"].update(constraints=[]), "fail"),
    "okta-app-policy-1fa-anywhere": (lambda o: o["policy_rules"]["rstApps"][1]["actions"]["appSignOn"].update(
        access="ALLOW"), "fail"),
    "okta-app-policy-network-zones": (lambda o: o["policy_rules"]["rstApps"][0]["conditions"].update(
        network={"connection": "ANYWHERE"}), "fail"),
    "okta-access-policy-context": (lambda o: [r.update(conditions=None) for rs in o["policy_rules"].values()
                                              for r in rs], "warning"),
    "okta-authenticator-phishing-resistant": (lambda o: [auth(o, k).update(status="INACTIVE") for k in
                                                         ("webauthn", "smart_card_idp")], "fail"),
    "okta-authenticator-security-question": (lambda o: auth(o, "security_question")["settings"].update(
        allowedFor="any"), "fail"),
    "okta-authenticator-phone": (lambda o: auth(o, "phone_number").update(status="ACTIVE", settings={
        "allowedFor": "any"}), "fail"),
    "okta-authenticator-email": (lambda o: auth(o, "okta_email")["settings"].update(allowedFor="any"), "warning"),
    "okta-okta-verify-number-challenge": (lambda o: auth(o, "okta_verify")["settings"]["channelBinding"].update(
        required="HIGH_RISK_ONLY"), "warning"),
    "okta-okta-verify-fips": (lambda o: auth(o, "okta_verify")["settings"]["compliance"].update(fips="OPTIONAL"),
                              "fail"),
    "okta-okta-verify-user-verification": (lambda o: auth(o, "okta_verify")["settings"].update(
        userVerification="PREFERRED"), "warning"),
    "okta-smart-card-authenticator": (lambda o: auth(o, "smart_card_idp").update(status="INACTIVE"), "fail"),
    "okta-enrollment-weak-authenticators": (lambda o: pol(o, "00pEnroll")["settings"]["authenticators"].append(
        {"key": "phone_number", "enroll": {"self": "REQUIRED"}}), "fail"),
    "okta-enrollment-strong-authenticator": (lambda o: pol(o, "00pEnroll")["settings"].update(authenticators=[
        {"key": "okta_password", "enroll": {"self": "REQUIRED"}}, {"key": "okta_email", "enroll": {
            "self": "REQUIRED"}}]), "fail"),
    "okta-admin-super-admin-count": (lambda o: [o["user_roles"].__setitem__(f"00uS{i}", o["user_roles"]["00uAdmin1"])
                                                or o["admin_users"].append({"id": f"00uS{i}"}) for i in range(6)],
                                     "fail"),
    "okta-admin-super-admin-share": (lambda o: [o["user_roles"].__setitem__(f"00uS{i}", o["user_roles"]["00uAdmin1"])
                                                or o["admin_users"].append({"id": f"00uS{i}"}) for i in range(3)],
                                     "fail"),
    "okta-admin-no-mfa": (lambda o: o["_fanout"].__setitem__("/api/v1/users/00uAdmin2/factors", [
        {"id": "x", "factorType": "sms", "status": "PENDING_ACTIVATION"}]), "fail"),
    "okta-admin-phishing-resistant-factor": (lambda o: o["_fanout"].__setitem__("/api/v1/users/00uAdmin2/factors", [
        {"id": "x", "factorType": "sms", "status": "ACTIVE"}]), "warning"),
    "okta-admin-stale": (lambda o: user(o, "00uAdmin2").update(lastLogin=OLD), "fail"),
    "okta-admin-password-age": (lambda o: user(o, "00uAdmin1").update(passwordChanged=OLD), "warning"),
    "okta-admin-group-size": (lambda o: o["group_members"].extend(
        {"groupId": "00gHelpdesk", "userId": f"00uX{i}"} for i in range(30)), "warning"),
    "okta-support-access": (lambda o: o["org_support"].__setitem__(0, {"support": "ENABLED",
                                                                       "expiration": "2026-11-20T00:00:00.000Z"}),
                            "warning"),
    "okta-api-token-network": (lambda o: o["api_tokens"][0].update(network={"connection": "ANYWHERE"}), "fail"),
    "okta-api-token-super-admin": (lambda o: o["api_tokens"][0].update(userId="00uAdmin1"), "fail"),
    "okta-api-token-owner-inactive": (lambda o: user(o, "00uAdmin2").update(status="SUSPENDED"), "warning"),
    "okta-api-token-stale": (lambda o: o["api_tokens"][0].update(lastUpdated=OLD), "warning"),
    "okta-user-inactive": (lambda o: user(o, "00uUser1").update(lastLogin=OLD), "fail"),
    "okta-user-stale-pending": (lambda o: o["users"].append(dict(user(o, "00uUser1"), id="00uStaged",
                                                                 status="STAGED", created=OLD)), "warning"),
    "okta-user-attention-states": (lambda o: user(o, "00uUser1").update(status="LOCKED_OUT"), "warning"),
    "okta-threatinsight-mode": (lambda o: o["threat_insight"][0].update(action="none"), "fail"),
    "okta-threatinsight-exempt-zones": (lambda o: o["threat_insight"][0].update(excludeZones=["nzoCorp"]),
                                        "warning"),
    "okta-network-custom-zones": (lambda o: o.update(zones=[z for z in o["zones"] if z["id"] != "nzoCorp"] and [
        dict(z, status="INACTIVE") for z in o["zones"]]), "warning"),
    "okta-network-anonymizer-blocklist": (lambda o: [z["ipServiceCategories"].update(include=["ALL_PROXIES_VPNS"])
                                                     for z in o["zones"] if "ipServiceCategories" in z], "fail"),
    "okta-behaviors-active": (lambda o: o["behaviors"][0].update(status="INACTIVE"), "warning"),
    "okta-device-assurance": (lambda o: o.update(device_assurances=[]), "warning"),
    "okta-app-insecure-grants": (lambda o: o["apps"][2]["settings"]["oauthClient"]["grant_types"].append("implicit"),
                                 "fail"),
    "okta-trusted-origin-insecure": (lambda o: o["trusted_origins"][0].update(origin="http://*.example.com"), "fail"),
    "okta-app-provisioning-deprovisioning": (lambda o: o["apps"][2].update(features=["PUSH_NEW_USERS"]), "fail"),
    "okta-app-inactive": (lambda o: o["apps"][2].update(status="INACTIVE"), "warning"),
    "okta-authz-server-insecure-grants": (lambda o: o["authorization_server_policy_rules"]["00pAS"][0][
        "conditions"]["grantTypes"]["include"].append("password"), "fail"),
    "okta-authz-server-token-lifetime": (lambda o: o["authorization_server_policy_rules"]["00pAS"][0]["actions"][
        "token"].update(refreshTokenLifetimeMinutes=0), "warning"),
    "okta-hook-insecure-endpoint": (lambda o: o["event_hooks"][0]["channel"]["config"].update(
        uri="http://hooks.example.com/x"), "fail"),
    "okta-idp-auto-link": (lambda o: _saml_idp(o), "fail"),
    "okta-idp-trust-claims": (lambda o: _saml_idp(o, trustClaims=True, accountLink={"action": "DISABLED"}),
                              "warning"),
    "okta-idp-jit-provisioning": (lambda o: _saml_idp(o, provisioning={"action": "AUTO"}), "warning"),
    "okta-smart-card-idp-dod-ca": (lambda o: o["idps"][0].update(status="INACTIVE"), "fail"),
    "okta-log-streaming": (lambda o: o["log_streams"][0].update(status="INACTIVE"), "fail"),
    "okta-org-technical-contact": (lambda o: o.update(org_contacts=[{"contactType": "BILLING"}]), "fail"),
}

MISSING_SCOPE = "403 E0000006: the token lacks scope okta.%s.read"


def _unavailable(*names: str) -> dict:
    return {n: ("unavailable", MISSING_SCOPE % n) for n in names}


# check id -> run keyword arguments (and optional mutation) that leave it without trustworthy data
UNKNOWN: dict[str, dict[str, Any]] = {
    **{cid: {"statuses": _unavailable("policies")} for cid in META
       if "policies" in META[cid]["collections"]},
    **{cid: {"statuses": _unavailable("admin_console_settings")} for cid in
       ("okta-admin-console-session-idle", "okta-admin-console-session-lifetime")},
    **{cid: {"statuses": _unavailable("authenticators")} for cid in
       ("okta-authenticator-phishing-resistant", "okta-authenticator-security-question", "okta-authenticator-phone",
        "okta-authenticator-email", "okta-okta-verify-number-challenge", "okta-okta-verify-fips",
        "okta-okta-verify-user-verification", "okta-smart-card-authenticator")},
    "okta-admin-super-admin-count": {"statuses": {"user_roles": ("incomplete", "budget spent")},
                                     "mutate": lambda o: o["user_roles"].pop("00uAdmin2")},
    "okta-admin-super-admin-share": {"statuses": _unavailable("roles")
                                     | {"user_roles": ("unavailable", MISSING_SCOPE % "roles")}},
    "okta-admin-no-mfa": {"fanout": None},
    "okta-admin-phishing-resistant-factor": {"budget": 0},
    "okta-admin-stale": {"statuses": {"users": ("incomplete", "rate limited")}},
    "okta-admin-password-age": {"statuses": {"users": ("unvisited", None)}},
    "okta-admin-group-size": {"statuses": {"group_members": ("incomplete", "budget")}},
    "okta-support-access": {"statuses": _unavailable("org_support")},
    "okta-api-token-network": {"statuses": _unavailable("api_tokens")},
    "okta-api-token-super-admin": {"budget": 0, "mutate": lambda o: o["user_roles"].pop(o["admin_users"].pop()["id"]),
                                   "statuses": {"admin_users": ("incomplete", "page 2 failed")}},
    "okta-api-token-owner-inactive": {"statuses": {"users": ("incomplete", "rate limited")}},
    "okta-api-token-stale": {"mutate": lambda o: o["api_tokens"][0].pop("lastUpdated")},
    "okta-user-inactive": {"statuses": {"users": ("incomplete", "rate limited")}},
    "okta-user-stale-pending": {"statuses": {"users": ("unvisited", None)}},
    "okta-user-attention-states": {"statuses": {"users": ("incomplete", "rate limited")}},
    "okta-threatinsight-mode": {"statuses": _unavailable("threat_insight")},
    "okta-threatinsight-exempt-zones": {"statuses": _unavailable("threat_insight")},
    "okta-network-custom-zones": {"statuses": _unavailable("zones")},
    "okta-network-anonymizer-blocklist": {"statuses": {"zones": ("incomplete", "page 2 failed")},
                                          "mutate": lambda o: o.update(zones=o["zones"][-1:])},
    "okta-behaviors-active": {"statuses": _unavailable("behaviors")},
    "okta-device-assurance": {"statuses": _unavailable("device_assurances")},
    "okta-app-insecure-grants": {"statuses": _unavailable("apps")},
    "okta-trusted-origin-insecure": {"statuses": _unavailable("trusted_origins")},
    "okta-app-provisioning-deprovisioning": {"statuses": _unavailable("apps")},
    "okta-app-inactive": {"statuses": {"apps": ("incomplete", "rate limited")}},
    "okta-authz-server-insecure-grants": {"statuses": _unavailable("authorization_servers")},
    "okta-authz-server-token-lifetime": {"statuses": _unavailable("authorization_server_policy_rules")},
    "okta-hook-insecure-endpoint": {"statuses": _unavailable("inline_hooks")},
    "okta-idp-auto-link": {"statuses": _unavailable("idps")},
    "okta-idp-trust-claims": {"statuses": _unavailable("idps")},
    "okta-idp-jit-provisioning": {"statuses": _unavailable("idps")},
    "okta-smart-card-idp-dod-ca": {"statuses": _unavailable("idps")},
    "okta-log-streaming": {"statuses": _unavailable("log_streams")},
    "okta-org-technical-contact": {"statuses": _unavailable("org_contacts")},
}

MANUAL = [cid for cid, m in META.items() if m["kind"] == "manual"] + ["okta-smart-card-idp-dod-ca"]
AUTOMATED = [cid for cid, m in META.items() if m["kind"] == "automated"]


def _pipeline(cid: str) -> str:
    return "v1" if cid in V1_ONLY else "idx"


@pytest.mark.parametrize("cid", [c for c in AUTOMATED if c != "okta-smart-card-idp-dod-ca"])
def test_pass_on_hardened_org(cid: str) -> None:
    results = run(build_org(), pipeline=_pipeline(cid), only=cid)
    assert results, f"{cid} produced no result"
    assert {r["status"] for r in results} == {"pass"}, [(r["status"], r["message"]) for r in results]
    for r in results:
        assert r["evidence"]["profile"] == "stig" and r["profile"] == "stig"


@pytest.mark.parametrize("cid", sorted(FAIL))
def test_fail_or_warning(cid: str) -> None:
    mutate, expected = FAIL[cid]
    org = build_org()
    mutate(org)
    results = run(org, pipeline=_pipeline(cid), only=cid)
    statuses = [r["status"] for r in results]
    assert expected in statuses, [(r["status"], r["message"]) for r in results]
    bad = next(r for r in results if r["status"] == expected)
    assert bad["message"] and bad["evidence"], bad
    assert {"type", "uid", "name"} <= set(bad["resource"])


@pytest.mark.parametrize("cid", sorted(UNKNOWN))
def test_unknown_when_data_is_missing(cid: str) -> None:
    spec = dict(UNKNOWN[cid])
    org = build_org()
    if "mutate" in spec:
        spec.pop("mutate")(org)
    kwargs: dict[str, Any] = {"statuses": spec.get("statuses")}
    if "fanout" in spec:
        kwargs["fanout"] = spec["fanout"]
    if "budget" in spec:
        from checks_fixtures import FakeFanout

        kwargs["fanout"] = FakeFanout(org["_fanout"], budget=spec["budget"])
    results = run(org, pipeline=_pipeline(cid), only=cid, **kwargs)
    statuses = {r["status"] for r in results}
    assert "unknown" in statuses, [(r["status"], r["message"]) for r in results]
    assert "pass" not in statuses, [(r["status"], r["message"]) for r in results]
    unknown = next(r for r in results if r["status"] == "unknown")
    assert unknown["message"]
    reason = (spec.get("statuses") or {})
    for _name, (status, why) in reason.items():
        if status == "unavailable" and why:
            assert any(why in r["message"] for r in results if r["status"] == "unknown")


@pytest.mark.parametrize("cid", MANUAL)
def test_manual_checks_say_where_to_look(cid: str) -> None:
    results = run(build_org(), only=cid)
    assert results and {r["status"] for r in results} == {"manual"}
    assert all(">" in r["message"] for r in results), "a manual result names the Admin Console location"


def test_overrides_disable_and_thresholds() -> None:
    org = build_org()
    session(org, maxSessionIdleMinutes=30)
    assert run(org, only="okta-session-idle-timeout", overrides={
        "okta-session-idle-timeout": {"enabled": False}}) == []
    relaxed = run(org, only="okta-session-idle-timeout", overrides={
        "okta-session-idle-timeout": {"thresholds": {"max_idle_minutes": 30}}})
    assert {r["status"] for r in relaxed} == {"pass"}
    assert relaxed[0]["evidence"]["threshold"] == 30
