"""The scenarios' posture, pinned: ``hardened`` passes every automatable DISA Okta STIG V1R2 rule, ``weak`` fails
every one of them (and the other findings it is built for), ``default`` holds a fresh org's defaults.

The STIG evaluation below is written from the rule text (okta-posture-checks.md section 2) over the raw Okta
objects, independently of the connector's checks, and evaluates every ACTIVE policy and rule, not only the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources

import pytest
from okta_sandbox.generator import SERVICE_APP_ID, generate
from okta_sandbox.model import Org
from okta_sandbox.users import parse_iso_ms

NOW = datetime(2026, 11, 1, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
DAY_MS = 86_400_000
PHISHING_RESISTANT_FACTORS = {"webauthn", "u2f"}


def active(items: list[dict]) -> list[dict]:
    return [x for x in items if x.get("status") == "ACTIVE"]


def signon_rules(org: Org) -> list[dict]:
    return [
        r
        for p in active(org.policies.get("OKTA_SIGN_ON", []))
        for r in active(org.policy_rules.get(p["id"], []))
    ]


def password_settings(org: Org) -> list[dict]:
    return [p["settings"]["password"] for p in active(org.policies.get("PASSWORD", []))]


def app_policy_rules(org: Org, app_name: str) -> list[dict]:
    """ACTIVE rules of the app's authentication policy, found through the app's accessPolicy link (not by name)."""
    app = next(a for a in org.apps if a["name"] == app_name)
    pid = app["_links"]["accessPolicy"]["href"].rsplit("/", 1)[-1]
    return active(org.policy_rules[pid])


def allow_rules(rules: list[dict]) -> list[dict]:
    return [r for r in rules if r["actions"]["appSignOn"]["access"] == "ALLOW"]


def phishing_resistant(rule: dict) -> bool:
    cs = rule["actions"]["appSignOn"]["verificationMethod"].get("constraints") or []
    return bool(cs) and all((c.get("possession") or {}).get("phishingResistant") == "REQUIRED" for c in cs)


def authenticator(org: Org, key: str) -> dict | None:
    return next((a for a in org.authenticators if a["key"] == key), None)


def stig(org: Org) -> dict[str, bool]:
    """Vuln ID -> passes (True) / fails (False), for the automatable rules that apply to the org's pipeline."""
    rules = signon_rules(org)
    sess = [
        r["actions"]["signon"]["session"] for r in rules if r["actions"]["signon"]["access"] == "ALLOW"
    ] or [r["actions"]["signon"]["session"] for r in rules]
    pw = password_settings(org)
    default_gsp = next(p for p in org.policies["OKTA_SIGN_ON"] if p["system"])
    first_rule = min(active(org.policy_rules[default_gsp["id"]]), key=lambda r: r["priority"])
    out = {
        "V-273186": first_rule["name"] != "Default Rule"
        and all(
            0 < s["maxSessionIdleMinutes"] <= 15 for s in (r["actions"]["signon"]["session"] for r in rules)
        ),
        "V-273189": all(0 < p["lockout"]["maxAttempts"] <= 3 for p in pw),
        "V-273195": all(p["complexity"]["minLength"] >= 15 for p in pw),
        "V-273196": all(p["complexity"]["minUpperCase"] >= 1 for p in pw),
        "V-273197": all(p["complexity"]["minLowerCase"] >= 1 for p in pw),
        "V-273198": all(p["complexity"]["minNumber"] >= 1 for p in pw),
        "V-273199": all(p["complexity"]["minSymbol"] >= 1 for p in pw),
        "V-273200": all(p["age"]["minAgeMinutes"] >= 1440 for p in pw),
        "V-273201": all(0 < p["age"]["maxAgeDays"] <= 60 for p in pw),
        "V-273202": any(s["status"] == "ACTIVE" for s in org.log_streams),
        "V-273203": all(
            0 < r["actions"]["signon"]["session"]["maxSessionLifetimeMinutes"] <= 1080 for r in rules
        ),
        "V-273206": all(r["actions"]["signon"]["session"]["usePersistentCookie"] is False for r in rules),
        "V-273207": any(i["type"] == "X509" and i["status"] == "ACTIVE" for i in org.idps),
        "V-273208": all(p["complexity"]["dictionary"]["common"]["exclude"] is True for p in pw),
        "V-273209": all(p["age"]["historyCount"] >= 5 for p in pw),
        "V-279689": all(
            t["network"]["connection"] == "ZONE" and t["network"].get("include") for t in org.api_tokens
        ),
        "V-279690": not any(
            r["type"] == "SUPER_ADMIN" for t in org.api_tokens for r in org.user_roles.get(t["userId"], [])
        ),
        "V-279691": any(r["conditions"]["network"]["connection"] == "ZONE" for r in rules),
        "V-279692": any(
            z["type"] == "DYNAMIC_V2"
            and z["status"] == "ACTIVE"
            and z.get("usage") == "BLOCKLIST"
            and "ALL_ANONYMIZERS" in z.get("ipServiceCategories", {}).get("include", [])
            for z in org.zones
        ),
    }
    assert sess  # the org has sign-on rules at all
    if org.pipeline == "idx":
        admin, dash = app_policy_rules(org, "saasure"), app_policy_rules(org, "okta_enduser")

        def factor(rs: list[dict]) -> bool:
            return all(
                r["actions"]["appSignOn"]["verificationMethod"]["factorMode"] == "2FA"
                for r in allow_rules(rs)
            )

        out |= {
            "V-273187": 0 < org.admin_console_settings["sessionIdleTimeoutMinutes"] <= 15,
            "V-273190": all(phishing_resistant(r) for r in allow_rules(dash)),
            "V-273191": all(phishing_resistant(r) for r in allow_rules(admin)),
            "V-273193": factor(admin),
            "V-273194": factor(dash),
            "V-273204": (authenticator(org, "smart_card_idp") or {}).get("status") == "ACTIVE",
            "V-273205": ((authenticator(org, "okta_verify") or {}).get("settings") or {})
            .get("compliance", {})
            .get("fips")
            == "REQUIRED",
            "V-279693": all(
                r.get("conditions") and r["conditions"].get("network", {}).get("connection") == "ZONE"
                for a in org.apps
                if a["id"] != SERVICE_APP_ID
                for r in allow_rules(
                    active(org.policy_rules[a["_links"]["accessPolicy"]["href"].rsplit("/", 1)[-1]])
                )
            ),
        }
    else:
        # Classic: sign-on rules must require a second factor
        out["OKTA-SESS-006"] = all(
            r["actions"]["signon"].get("requireFactor") is True
            for r in rules
            if r["actions"]["signon"]["access"] == "ALLOW"
        )
    return out


def admins(org: Org) -> dict[str, set[str]]:
    """user id -> role types (direct and through groups)."""
    return {uid: {r["type"] for r in roles} for uid, roles in org.user_roles.items()}


def other_findings(org: Org) -> dict[str, bool]:
    """Non-STIG posture items the scenarios are built around (True = good)."""
    users = {org.users[i]["id"]: org.users[i] for i in range(len(admins(org)) + 40) if i < len(org.users)}
    adm = admins(org)
    supers = [u for u, r in adm.items() if "SUPER_ADMIN" in r]

    def fresh(uid: str) -> bool:
        u = users.get(uid)
        return bool(
            u
            and u["status"] == "ACTIVE"
            and u["lastLogin"]
            and NOW_MS - parse_iso_ms(u["lastLogin"]) <= 90 * DAY_MS
        )

    out = {
        "threatinsight-block": org.threat_insight["action"] == "block",
        "support-access-off": org.org_support["support"] == "DISABLED",
        "super-admins-at-most-3": len(supers) <= 3,
        "admins-active-and-recent": all(fresh(u) for u in adm),
        "admins-phishing-resistant-factor": all(
            any(
                f["factorType"] in PHISHING_RESISTANT_FACTORS and f["status"] == "ACTIVE"
                for f in org.user_factors.get(u, [])
            )
            for u in adm
        ),
        "behaviors-active": any(b["status"] == "ACTIVE" for b in org.behaviors),
        "trusted-origins-https-no-wildcard": all(
            t["origin"].startswith("https://") and "*" not in t["origin"] for t in active(org.trusted_origins)
        ),
        "idp-no-unfiltered-auto-link": not any(
            (i.get("policy", {}).get("accountLink") or {}).get("action") == "AUTO"
            and not (i["policy"]["accountLink"].get("filter"))
            for i in active(org.idps)
        ),
        "no-weak-grants": not any(
            set(a.get("settings", {}).get("oauthClient", {}).get("grant_types", []))
            & {"implicit", "password"}
            for a in active(org.apps)
        ),
    }
    everyone = list(org.users)
    out["active-users-signed-in-within-35-days"] = all(
        u["lastLogin"] and NOW_MS - parse_iso_ms(u["lastLogin"]) <= 35 * DAY_MS
        for u in everyone
        if u["status"] == "ACTIVE"
    )
    out["no-pending-users-older-than-30-days"] = all(
        NOW_MS - parse_iso_ms(u["created"]) <= 30 * DAY_MS
        for u in everyone
        if u["status"] in ("STAGED", "PROVISIONED")
    )
    if org.pipeline == "idx":
        out["no-security-question-or-sms"] = all(
            (authenticator(org, k) or {}).get("status") != "ACTIVE"
            for k in ("security_question", "phone_number")
        )
    return out


@pytest.fixture(scope="module", params=["idx", "v1"])
def pipeline(request: pytest.FixtureRequest) -> str:
    return request.param


def org_for(scenario: str, pipeline: str) -> Org:
    return generate(scenario, users=200, pipeline=pipeline, now=NOW)


def test_hardened_passes_every_automatable_stig_rule(pipeline: str) -> None:
    results = stig(org_for("hardened", pipeline))
    assert len(results) >= (27 if pipeline == "idx" else 20)
    assert [v for v, ok in results.items() if not ok] == []


def test_hardened_passes_the_other_posture_items(pipeline: str) -> None:
    results = other_findings(org_for("hardened", pipeline))
    assert [k for k, ok in results.items() if not ok] == []


def weak_ids_from_readme() -> set[str]:
    text = (resources.files("okta_sandbox") / "scenarios" / "README.md").read_text(encoding="utf-8")
    section = text.split("## weak", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"V-27\d{4}", section))


def test_weak_fails_every_automatable_stig_rule_and_the_readme_lists_them(pipeline: str) -> None:
    results = stig(org_for("weak", pipeline))
    failing = {v for v, ok in results.items() if not ok}
    assert failing == set(results)
    documented = weak_ids_from_readme()
    assert {v for v in failing if v.startswith("V-")} <= documented


def test_weak_fails_the_other_posture_items(pipeline: str) -> None:
    results = other_findings(org_for("weak", pipeline))
    assert [k for k, ok in results.items() if ok] == []


def test_weak_hides_a_permissive_rule_behind_a_strict_first_rule() -> None:
    org = org_for("weak", "idx")
    gsp = next(p for p in org.policies["OKTA_SIGN_ON"] if p["system"])
    rules = sorted(active(org.policy_rules[gsp["id"]]), key=lambda r: r["priority"])
    first, second = rules[0]["actions"]["signon"]["session"], rules[1]["actions"]["signon"]["session"]
    assert (
        first["maxSessionIdleMinutes"] <= 15 and not first["usePersistentCookie"]
    )  # a first-rule-only tool passes
    assert (
        second["maxSessionIdleMinutes"] > 15 and second["usePersistentCookie"] and rules[1]["priority"] == 2
    )
    admin_rules = sorted(app_policy_rules(org, "saasure"), key=lambda r: r["priority"])
    assert admin_rules[0]["actions"]["appSignOn"]["verificationMethod"]["factorMode"] == "2FA"
    assert admin_rules[-1]["actions"]["appSignOn"]["verificationMethod"]["factorMode"] == "1FA"


def test_weak_admin_population() -> None:
    org = org_for("weak", "idx")
    adm = admins(org)
    supers = [u for u, r in adm.items() if "SUPER_ADMIN" in r]
    assert len(supers) > 15  # direct super admins plus an oversized "IT Super Admins" group
    big = [
        g
        for g, members in org.group_members.items()
        if any(r["type"] == "SUPER_ADMIN" for r in org.group_roles.get(g, []))
    ]
    assert big and len(org.group_members[big[0]]) > 25
    no_mfa = [u for u in adm if not org.user_factors.get(u)]
    assert no_mfa
    statuses = {org.users[i]["status"] for i in range(9)}
    assert {"DEPROVISIONED", "SUSPENDED"} <= statuses
    assert any(t["lastUpdated"] < "2026-06-01" for t in org.api_tokens)  # a stale token (> 90 days)


@pytest.mark.parametrize(
    ("getter", "expected"),
    [
        (lambda o: o.threat_insight["action"], "none"),
        (lambda o: o.org_support["support"], "DISABLED"),
        (lambda o: o.admin_console_settings["sessionIdleTimeoutMinutes"], 15),
        (lambda o: signon_rules(o)[0]["name"], "Default Rule"),
        (lambda o: signon_rules(o)[0]["actions"]["signon"]["session"]["maxSessionIdleMinutes"], 120),
        (lambda o: signon_rules(o)[0]["actions"]["signon"]["session"]["usePersistentCookie"], False),
        (lambda o: password_settings(o)[0]["complexity"]["minLength"], 8),
        (lambda o: password_settings(o)[0]["complexity"]["dictionary"]["common"]["exclude"], False),
        (lambda o: password_settings(o)[0]["lockout"]["maxAttempts"], 10),
        (lambda o: password_settings(o)[0]["age"]["historyCount"], 4),
        (
            lambda o: app_policy_rules(o, "saasure")[0]["actions"]["appSignOn"]["verificationMethod"][
                "factorMode"
            ],
            "2FA",
        ),
        (
            lambda o: app_policy_rules(o, "okta_enduser")[0]["actions"]["appSignOn"]["verificationMethod"][
                "factorMode"
            ],
            "1FA",
        ),
        (lambda o: authenticator(o, "okta_verify")["settings"]["compliance"]["fips"], "OPTIONAL"),
        (lambda o: authenticator(o, "security_question")["status"], "INACTIVE"),
        (lambda o: [s["status"] for s in o.log_streams], []),
        (lambda o: [t["network"]["connection"] for t in o.api_tokens], ["ANYWHERE", "ANYWHERE"]),
    ],
)
def test_default_holds_fresh_org_values(getter: Callable[[Org], object], expected: object) -> None:
    assert getter(org_for("default", "idx")) == expected


def test_hardened_key_values() -> None:
    org = org_for("hardened", "idx")
    for r in signon_rules(org):
        s = r["actions"]["signon"]["session"]
        assert (
            s["maxSessionIdleMinutes"] <= 15
            and s["maxSessionLifetimeMinutes"] <= 1080
            and not s["usePersistentCookie"]
        )
    (pw,) = password_settings(org)
    assert pw["complexity"]["minLength"] >= 15 and pw["lockout"]["maxAttempts"] == 3
    assert pw["age"] == {"maxAgeDays": 60, "expireWarnDays": 7, "minAgeMinutes": 1440, "historyCount": 5}
    assert org.admin_console_settings["sessionIdleTimeoutMinutes"] <= 15
    assert authenticator(org, "okta_verify")["settings"]["compliance"]["fips"] == "REQUIRED"
    assert org.threat_insight["action"] == "block"
    assert len([u for u, r in admins(org).items() if "SUPER_ADMIN" in r]) <= 3
