"""Test helpers for the posture checks: an org shaped like real Okta JSON (built from the Management API spec's
``components/examples`` where they exist), hardened enough that every check passes under the ``stig`` profile,
and a runner that feeds it to the CheckEngine the way the sync engine does (kept collections, then streams)."""

from __future__ import annotations

import copy
import functools
from typing import Any

import yaml
from reference_paths import OKTA_SPEC as SPEC
from reference_paths import require

from connector_okta.checks import CheckEngine, Collection, OrgInfo
from connector_okta.checks.context import BudgetExhausted

NOW_MS = 1_795_000_000_000  # 2026-11-18
RECENT = "2026-11-10T10:00:00.000Z"
OLD = "2024-01-01T00:00:00.000Z"
STREAMED = ("users", "group_members")


@functools.lru_cache(maxsize=1)
def okta_spec() -> dict[str, Any]:
    """Okta's Management API OpenAPI spec, parsed once per session."""
    require(SPEC, "Okta's OpenAPI spec")
    with SPEC.open("rb") as fh:
        return yaml.load(fh, Loader=yaml.CSafeLoader)


def spec_examples() -> dict[str, Any]:
    return okta_spec()["components"]["examples"]


def ex(name: str) -> Any:
    return copy.deepcopy(spec_examples()[name]["value"])


def _rule(base: dict, **kw: Any) -> dict:
    r = copy.deepcopy(base)
    r.update(kw)
    return r


def build_org() -> dict[str, Any]:
    """The 'good' org: collection name -> items (or by_parent dict), plus streams and fan-out bodies."""
    o: dict[str, Any] = {}
    o["org"] = [{"id": "00o1acme", "subdomain": "acme", "status": "ACTIVE"}]
    o["groups"] = [{"id": "00gEveryone", "type": "BUILT_IN", "profile": {"name": "Everyone"}},
                   {"id": "00gHelpdesk", "type": "OKTA_GROUP", "profile": {"name": "Helpdesk"}}]

    # ---- global session policy: custom priority-1 zone rule, a catch-all DENY, then the unreachable Default Rule
    gsp = ex("list-okta-sign-on-policy-response")[0]
    gsp.update(id="00pGSP", name="Default Policy", system=True, conditions={"people": {"groups": {"include": [
        "00gEveryone"]}}})
    so_rule = ex("list-all-sign-on-policy-rule-response")[0]
    corp = _rule(so_rule, id="0prCorp", name="Corp network", priority=1)
    corp["conditions"]["network"] = {"connection": "ZONE", "include": ["nzoCorp"]}
    corp["actions"]["signon"].update(requireFactor=True, session={"maxSessionIdleMinutes": 15,
                                                                  "maxSessionLifetimeMinutes": 720,
                                                                  "usePersistentCookie": False})
    deny = _rule(so_rule, id="0prDeny", name="Deny elsewhere", priority=2)
    deny["actions"]["signon"]["access"] = "DENY"
    default_rule = _rule(so_rule, id="0prDefault", name="Default Rule", priority=3, system=True)  # unreachable

    # ---- password policy (spec example, hardened)
    pw = ex("password-policy-with-breached-protection-response")
    pw.update(id="00pPW", name="Default Policy")
    pw["settings"]["password"]["complexity"].update(minLength=15, minUpperCase=1, minLowerCase=1, minNumber=1,
                                                    minSymbol=1, excludeUsername=True,
                                                    excludeAttributes=["firstName", "lastName"],
                                                    dictionary={"common": {"exclude": True}})
    pw["settings"]["password"]["age"].update(maxAgeDays=60, minAgeMinutes=1440, historyCount=5)
    pw["settings"]["password"]["lockout"].update(maxAttempts=3, userLockoutNotificationChannels=["EMAIL"])
    pw["settings"]["recovery"]["factors"]["recovery_question"]["status"] = "INACTIVE"
    pw_rule = ex("list-all-password-policy-rule-response")[0]
    pw_rule.update(id="0prPW")
    pw_rule["actions"]["selfServicePasswordReset"]["requirement"] = {"primary": {"methods": ["push", "email"]},
                                                                     "stepUp": {"required": True}}

    # ---- app sign-in policies (Admin Console, Dashboard, one app)
    acc_rule = ex("list-all-access-policy-rule-response")[0]

    def access_policy(pid: str, name: str) -> tuple[dict, list[dict]]:
        pol = ex("list-access-policy-response")[0]
        pol.update(id=pid, name=name)
        strict = _rule(acc_rule, id=f"{pid}R1", name="Phishing resistant from corp", priority=1, system=False,
                       conditions={"network": {"connection": "ZONE", "include": ["nzoCorp"]}})
        strict["actions"]["appSignOn"]["verificationMethod"].update(
            factorMode="2FA", constraints=[{"possession": {"phishingResistant": "REQUIRED", "userPresence": "REQUIRED"},
                                            "knowledge": {"required": True}}])
        catch_all = _rule(acc_rule, id=f"{pid}R99")
        catch_all["actions"]["appSignOn"]["access"] = "DENY"
        return pol, [strict, catch_all]

    admin_pol, admin_rules = access_policy("rstAdmin", "Okta Admin Console")
    dash_pol, dash_rules = access_policy("rstDash", "Okta Dashboard")
    app_pol, app_rules = access_policy("rstApps", "Any two factors")

    enroll = ex("list-mfa-enroll-policy-response")[0]
    enroll.update(id="00pEnroll")
    enroll["settings"]["authenticators"] = [
        {"key": "okta_email", "enroll": {"self": "NOT_ALLOWED"}},
        {"key": "okta_verify", "enroll": {"self": "REQUIRED"}},
        {"key": "webauthn", "enroll": {"self": "OPTIONAL"}},
        {"key": "okta_password", "enroll": {"self": "REQUIRED"}},
    ]
    o["policies"] = [gsp, pw, admin_pol, dash_pol, app_pol, enroll]
    o["policy_rules"] = {"00pGSP": [corp, deny, default_rule], "00pPW": [pw_rule], "rstAdmin": admin_rules,
                         "rstDash": dash_rules, "rstApps": app_rules, "00pEnroll": []}
    o["policy_mappings"] = {}

    # ---- apps, found by name (saasure / okta_enduser) and their accessPolicy links
    def app(aid: str, name: str, label: str, pid: str, **kw: Any) -> dict:
        a = {"id": aid, "name": name, "label": label, "status": "ACTIVE", "signOnMode": "SAML_2_0",
             "_links": {"accessPolicy": {"href": f"https://acme.okta.com/api/v1/policies/{pid}"}}}
        a.update(kw)
        return a

    o["apps"] = [
        app("0oaAdmin", "saasure", "Okta Admin Console", "rstAdmin"),
        app("0oaDash", "okta_enduser", "Okta Dashboard", "rstDash"),
        app("0oaOidc", "oidc_client", "Portal", "rstApps", signOnMode="OPENID_CONNECT",
            settings={"oauthClient": {"grant_types": ["authorization_code", "refresh_token"]}},
            features=["PUSH_NEW_USERS", "PUSH_USER_DEACTIVATION"]),
    ]
    o["app_groups"] = {}

    # ---- authenticators (spec example + Okta Verify + smart card)
    auths = ex("AuthenticatorsResponse")
    for a in auths:
        if a["key"] == "okta_email":
            a["settings"]["allowedFor"] = "recovery"
    auths.append({"type": "app", "id": "autOV", "key": "okta_verify", "status": "ACTIVE", "name": "Okta Verify",
                  "settings": {"channelBinding": {"style": "NUMBER_CHALLENGE", "required": "ALWAYS"},
                               "compliance": {"fips": "REQUIRED"}, "userVerification": "REQUIRED"}})
    auths.append({"type": "security_question", "id": "autSQ", "key": "security_question", "status": "ACTIVE",
                  "name": "Security Question", "settings": {"allowedFor": "recovery"}})
    auths.append({"type": "smart_card", "id": "autSC", "key": "smart_card_idp", "status": "ACTIVE",
                  "name": "Smart Card Authenticator"})
    o["authenticators"] = auths
    o["org_factors"] = [{"id": "fwf1", "factorType": "webauthn", "provider": "FIDO", "status": "ACTIVE"}]

    o["admin_console_settings"] = [ex("AdminConsoleSettingsExample")]
    o["org_support"] = [{"support": "DISABLED", "expiration": None}]
    o["org_contacts"] = [{"contactType": "TECHNICAL", "userId": "00uAdmin1"}]
    o["threat_insight"] = [ex("ThreatInsightResponseExample") | {"action": "block"}]

    # ---- admins
    assignees = ex("RoleAssignedUsersResponseExample")["value"]
    first = dict(assignees[0], id="00uAdmin1")
    o["admin_users"] = [first, {"id": "00uAdmin2", "orn": "orn:okta:00o1acme:users:00uAdmin2"}]
    roles = ex("StandardRolesListResponse")
    o["user_roles"] = {"00uAdmin1": [dict(roles[2], type="SUPER_ADMIN", label="Super administrator")],
                       "00uAdmin2": [roles[0]]}
    o["group_roles"] = {"00gHelpdesk": [roles[1]]}

    token = ex("ApiTokenListMetadataResponse")[0]
    token.update(userId="00uAdmin2", network={"connection": "ZONE", "include": ["nzoCorp"]}, lastUpdated=RECENT)
    o["api_tokens"] = [token]

    zones = ex("RetrieveAllZones")
    zones.append({"type": "IP", "id": "nzoCorp", "name": "Corp", "status": "ACTIVE", "usage": "POLICY",
                  "system": False, "gateways": [{"type": "CIDR", "value": "198.51.100.0/24"}]})
    o["zones"] = zones
    o["behaviors"] = [ex("BehaviorRuleResponse")]
    o["device_assurances"] = [{"id": "dae1", "name": "Windows 11", "platform": "WINDOWS"}]
    o["trusted_origins"] = [dict(ex("TrustedOriginsResponse")[0], origin="https://portal.example.com")]
    o["idps"] = [ex("SmartCardIdPResponse")]

    o["authorization_servers"] = [{"id": "ausA", "name": "default", "status": "ACTIVE"}]
    as_pol = ex("ListAuthorizationServerPolicies")[0] if "ListAuthorizationServerPolicies" in spec_examples() else {}
    as_pol = dict(as_pol, id="00pAS", status="ACTIVE", name=as_pol.get("name", "Default Policy"))
    as_rule = ex("ListAuthorizationServerPolicyRules")[0]
    as_rule["conditions"]["grantTypes"]["include"] = ["authorization_code", "client_credentials"]
    as_rule["actions"]["token"]["refreshTokenLifetimeMinutes"] = 10080
    o["authorization_server_policies"] = {"ausA": [as_pol]}
    o["authorization_server_policy_rules"] = {"00pAS": [as_rule]}

    o["event_hooks"] = ex("RetrieveAllEventHooks")
    o["inline_hooks"] = []
    o["log_streams"] = ex("LogStreamGetAllResponse")

    # ---- streams
    user = ex("user-example")
    o["users"] = [
        dict(user, id="00uAdmin1", lastLogin=RECENT, passwordChanged=RECENT),
        dict(user, id="00uAdmin2", lastLogin=RECENT, passwordChanged=RECENT),
        dict(user, id="00uUser1", lastLogin=RECENT, passwordChanged=OLD),
    ]
    o["group_members"] = [{"groupId": "00gHelpdesk", "userId": f"00uH{i}"} for i in range(3)]

    # ---- fan-out bodies (GET path -> body)
    webauthn = {"id": "fwf1", "factorType": "webauthn", "provider": "FIDO", "status": "ACTIVE"}
    o["_fanout"] = {"/api/v1/users/00uAdmin1/factors": [webauthn] + ex("ListFactorsResults"),
                    "/api/v1/users/00uAdmin2/factors": [webauthn]}
    return o


class FakeFanout:
    def __init__(self, bodies: dict[str, Any], budget: int | None = None, errors: dict[str, Exception] | None = None):
        self.bodies, self.budget, self.errors, self.calls = bodies, budget, errors or {}, []

    def get_json(self, path: str) -> Any:
        if self.budget is not None and len(self.calls) >= self.budget:
            raise BudgetExhausted(path)
        self.calls.append(path)
        if path in self.errors:
            raise self.errors[path]
        if path not in self.bodies:
            raise LookupError(f"unexpected fan-out call {path}")
        return copy.deepcopy(self.bodies[path])


def run(org: dict[str, Any], *, profile: str = "stig", pipeline: str | None = "idx",
        statuses: dict[str, tuple[str, str | None]] | None = None, fanout: Any = "default",
        overrides: dict | None = None, only: str | None = None) -> list[dict]:
    """Feed ``org`` to a CheckEngine like the sync engine does; ``statuses`` sets collection status/reason."""
    statuses = statuses or {}
    fo = FakeFanout(org.get("_fanout", {})) if fanout == "default" else fanout
    eng = CheckEngine(profile, overrides, org=OrgInfo("00o1acme", "acme.okta.com", "https://acme.okta.com", pipeline),
                      fanout=fo, now_ms=NOW_MS)
    for name in sorted(eng.required_collections()):
        status, reason = statuses.get(name, ("complete", None))
        data = org.get(name, [])
        if status in ("unavailable", "skipped", "not_applicable"):
            data = []
        if isinstance(data, dict):
            eng.set_collection(Collection(name, status, reason, [], data))
        else:
            eng.set_collection(Collection(name, status, reason, list(data)))
    out: list[dict] = []
    for stream in sorted(eng.streams()):
        status, reason = statuses.get(stream, ("complete", None))
        if status == "unvisited":
            continue
        for item in org.get(stream, []):
            out.extend(eng.visit(stream, item))
        eng.set_collection(Collection(stream, status, reason))
    out.extend(eng.finish())
    if only:
        out = [r for r in out if r["check_id"] == only]
    return out


