"""Build an :class:`~okta_sandbox.model.Org` from a scenario plus generated directory data.

``generate("weak", users=10_000, seed=1)``: the posture objects (policies, authenticators, zones, ...) come from
the scenario's JSON files (``okta_sandbox/scenarios/<name>/``); the directory (users, groups, memberships, apps
and their assignments, admins and roles, factors, devices, System Log events, API tokens, the OAuth service app)
is generated deterministically from ``seed``. Users are a lazy sequence (:class:`~okta_sandbox.users.LazyUsers`),
so 100,000 users cost a few MB.

Determinism: the same arguments (and the same ``now``) give the same org, except the OAuth service app's RSA key,
which is generated once per ``seed`` per process (cached), because RSA key generation cannot be seeded.
``now`` defaults to midnight UTC today, so orgs generated on the same day are identical and "recent" stays recent.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from .ids import okta_id, standard_role_id
from .model import ApiTokenGrant, OAuthClient, Org
from .names import APP_CATALOG, DEPARTMENTS, LOCATIONS
from .scenarios import ScenarioError, load_dir, load_scenario, resolve_times
from .users import DAY_MS, LazyUsers, iso_ms

Json = dict[str, Any]

PIPELINES = ("idx", "v1")
EMAIL_DOMAIN = "example.com"
EVERYONE_GROUP_ID = okta_id("00g", 0)
SERVICE_APP_ID = okta_id("0oa", 500)
MAX_DIRECT_APP_USERS = 50  # direct (scope USER) assignments per app; the rest come through groups
#: the factors of sampled ordinary users: those of the first entry whose bound a random draw in [0, 1) is
#: below (none above the last bound)
_SAMPLE_FACTOR_MIX = (
    (0.5, ["push"]), (0.65, ["push", "webauthn"]), (0.85, ["sms"]), (0.95, ["sms", "question"]),
)
#: factor kind -> (id prefix, factorType, provider (also the vendorName), profile(factor id, user index))
_FACTORS: dict[str, tuple[str, str, str, Callable[[str, int], Json]]] = {
    "webauthn": ("fwf", "webauthn", "FIDO", lambda fid, i: {
        "credentialId": hashlib.sha256(fid.encode()).hexdigest()[:43],
        "authenticatorName": "YubiKey 5 NFC",
    }),
    "push": ("opf", "push", "OKTA", lambda fid, i: {
        "credentialId": f"user{i}@{EMAIL_DOMAIN}",
        "deviceType": "SmartPhone_IPhone",
        "keys": [],
        "name": "iPhone",
        "platform": "IOS",
        "version": "17.4",
    }),
    "sms": ("mbl", "sms", "OKTA", lambda fid, i: {"phoneNumber": f"+1555010{i % 10000:04d}"}),
    "question": ("ufs", "question", "OKTA", lambda fid, i: {
        "question": "favorite_art_piece",
        "questionText": "What is your favorite piece of art?",
    }),
    "email": ("emf", "email", "OKTA", lambda fid, i: {"email": f"user{i}@{EMAIL_DOMAIN}"}),
    "totp": ("ost", "token:software:totp", "GOOGLE", lambda fid, i: {"credentialId": f"user{i}@{EMAIL_DOMAIN}"}),
    "call": ("clf", "call", "OKTA", lambda fid, i: {"phoneNumber": f"+1555020{i % 10000:04d}"}),
}
#: features (named by Org field, as the server's routes name them) an org lacks; the server answers 401 E0000015
CLASSIC_MISSING_FEATURES = frozenset(
    {"authenticators", "devices", "device_assurances", "admin_console_settings"}
)
#: Identity Engine orgs list authenticators, not the Classic org factors
IDX_MISSING_FEATURES = frozenset({"org_factors"})
READ_SCOPES = (
    "okta.apiTokens.read okta.apps.read okta.authenticators.read okta.authorizationServers.read okta.behaviors.read "
    "okta.deviceAssurance.read okta.devices.read okta.eventHooks.read okta.groups.read okta.idps.read "
    "okta.inlineHooks.read okta.logStreams.read okta.logs.read okta.networkZones.read okta.orgs.read "
    "okta.policies.read okta.roles.read okta.threatInsights.read okta.trustedOrigins.read okta.users.read"
).split()
ROLE_LABELS = {
    "SUPER_ADMIN": "Super Administrator",
    "ORG_ADMIN": "Organizational Administrator",
    "APP_ADMIN": "Application Administrator",
    "USER_ADMIN": "Group Administrator",
    "HELP_DESK_ADMIN": "Help Desk Administrator",
    "READ_ONLY_ADMIN": "Read-only Administrator",
    "REPORT_ADMIN": "Report Administrator",
    "MOBILE_ADMIN": "Mobile Administrator",
    "API_ACCESS_MANAGEMENT_ADMIN": "API Access Management Administrator",
    "GROUP_MEMBERSHIP_ADMIN": "Group Membership Administrator",
}


def default_now_ms() -> int:
    """Midnight UTC today, in epoch ms."""
    today = datetime.now(tz=UTC).date()
    return int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp() * 1000)


def generate(
    scenario: str = "default",
    users: int = 50,
    seed: int = 0,
    pipeline: str | None = None,
    groups: int | None = None,
    apps: int | None = None,
    *,
    scenario_dir: str | Path | None = None,
    now: datetime | int | None = None,
    base_url: str = "https://sandbox.okta.example",
) -> Org:
    """Generate an org. ``groups`` defaults to ``max(5, users // 20)``, ``apps`` (besides the first-party ones
    and the service app) to ``max(5, users // 500)``. Each ``<field>.json`` in ``scenario_dir`` replaces that Org
    collection: posture collections before generation (so generated apps link the pinned policies), and every
    pinned collection again afterwards, so a pinned ``users.json`` or ``apps.json`` is served exactly."""
    pipeline = pipeline or "idx"
    if pipeline not in PIPELINES:
        raise ScenarioError(f"pipeline must be 'idx' (Identity Engine) or 'v1' (Classic), got {pipeline!r}")
    if users < 0:
        raise ScenarioError("users must be >= 0")
    anchor = _now_ms(now)
    data = load_scenario(scenario, pipeline)
    pinned = resolve_times(load_dir(scenario_dir), anchor) if scenario_dir is not None else {}
    data.update(pinned)
    data = resolve_times(data, anchor)
    if base_url != "https://sandbox.okta.example":
        data = json.loads(json.dumps(data).replace("https://sandbox.okta.example", base_url))
    recipe = data.pop("admins", {"users": [], "groups": []})
    n_admins = len(recipe.get("users", []))
    if users < n_admins + 1:
        raise ScenarioError(
            f"scenario {scenario!r} needs at least {n_admins + 1} users (it defines {n_admins} admins); got users={users}"
        )
    n_groups = max(5, users // 20) if groups is None else groups
    n_apps = max(5, users // 500) if apps is None else apps

    org = Org(pipeline=pipeline, base_url=base_url)
    for name, value in data.items():
        setattr(org, name, value)
    if pipeline == "v1":
        org.missing_features = set(CLASSIC_MISSING_FEATURES)
        org.authenticators = []
        org.device_assurances = []
        org.admin_console_settings = {}
        for t in ("ACCESS_POLICY", "PROFILE_ENROLLMENT"):
            org.policies.pop(t, None)
    else:
        org.missing_features = set(IDX_MISSING_FEATURES)
        org.org_factors = []
    policy_ids = {p["id"] for ps in org.policies.values() for p in ps}
    org.policy_rules = {k: v for k, v in org.policy_rules.items() if k in policy_ids}
    org.policy_mappings = {k: v for k, v in org.policy_mappings.items() if k in policy_ids}

    lazy = LazyUsers(
        users,
        seed=seed,
        anchor_ms=anchor,
        domain=EMAIL_DOMAIN,
        base_url=base_url,
        hygiene=scenario == "hardened",
    )
    org.users = lazy
    ctx = _Ctx(org=org, users=lazy, seed=seed, anchor=anchor, base=base_url, weak=scenario == "weak")
    ctx.admins(recipe)
    if not org.org_contact_users and n_admins:  # every listed contact type names the first admin
        first_admin = okta_id("00u", 0)
        org.org_contact_users = {str(c.get("contactType")): first_admin for c in org.org_contacts}
    ctx.groups(recipe, n_groups)
    ctx.apps(n_apps)
    ctx.factors()
    ctx.tokens()
    ctx.service_app()
    if pipeline == "idx":
        ctx.devices()
    ctx.logs()
    # pinned collections win over generated ones too (e.g. a test's own users.json or devices.json)
    for name, value in pinned.items():
        if name != "admins":
            setattr(org, name, value)
    return org


def _now_ms(now: datetime | int | None) -> int:
    if now is None:
        return default_now_ms()
    if isinstance(now, int):
        return now
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return int(now.timestamp() * 1000)


class _Ctx:
    def __init__(self, *, org: Org, users: LazyUsers, seed: int, anchor: int, base: str, weak: bool) -> None:
        self.org = org
        self.users = users
        self.seed = seed
        self.anchor = anchor
        self.base = base
        self.weak = weak
        self.rng = random.Random(f"org:{seed}")
        self.admin_roles: dict[int, list[str]] = {}  # user index -> roles (direct and through groups)
        self.admin_factor_kinds: dict[int, list[str]] = {}
        self.n_admins = 0
        self.group_ids: list[str] = []

    def ts(self, days_ago: float) -> str:
        return iso_ms(self.anchor - int(days_ago * DAY_MS))

    # --- admins and roles ------------------------------------------------------------------------------------
    def admins(self, recipe: Json) -> None:
        for i, a in enumerate(recipe.get("users", [])):
            login = f"{a['login']}@{EMAIL_DOMAIN}"
            days = a.get("lastLoginDaysAgo")
            status = a.get("status", "ACTIVE")
            self.users.set_overrides(
                i,
                {
                    "status": status,
                    "created": self.ts(500),
                    "activated": self.ts(400),
                    "lastUpdated": self.ts(20),
                    "statusChanged": self.ts(300 if status == "ACTIVE" else 100),
                    "lastLogin": self.ts(days) if days is not None else None,
                    "passwordChanged": self.ts(20),
                    "profile": {
                        "login": login,
                        "email": login,
                        "firstName": a["firstName"],
                        "lastName": a["lastName"],
                        "department": "IT",
                        "title": "Administrator" if a.get("roles") else "Help desk",
                    },
                    **(
                        {"credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}}
                        if status == "DEPROVISIONED"
                        else {}
                    ),
                },
            )
            self.n_admins += 1
            self.admin_factor_kinds[i] = list(a.get("factors", []))
            uid = okta_id("00u", i)
            roles = []
            for r in a.get("roles", []):
                roles.append(self.role(r, "USER", f"{self.base}/api/v1/users/{uid}", seed_key=f"u{i}{r}"))
                self.admin_roles.setdefault(i, []).append(r)
            if roles:
                self.org.user_roles[uid] = roles

    def role(self, type_: str, assignment: str, assignee_href: str, *, seed_key: str) -> Json:
        # as real Okta: a standard role's assignment id is derived from the role type, shared by every principal
        # holding it (unique only per principal); a custom role's binding gets an id of its own
        if type_ == "CUSTOM":
            rid = "irb" + hashlib.sha256(f"{self.seed}:{seed_key}".encode()).hexdigest()[:17]
        else:
            rid = standard_role_id(type_)
        return {
            "id": rid,
            "label": ROLE_LABELS.get(type_, type_.replace("_", " ").title()),
            "type": type_,
            "status": "ACTIVE",
            "created": self.ts(300),
            "lastUpdated": self.ts(300),
            "assignmentType": assignment,
            "_links": {"assignee": {"href": assignee_href}},
        }

    # --- groups and memberships ------------------------------------------------------------------------------
    def groups(self, recipe: Json, n_groups: int) -> None:
        org, users, rng = self.org, self.users, self.rng
        n = len(users)
        uid = [okta_id("00u", i) for i in range(n)]
        gl: list[Json] = []

        def group(idx: int, name: str, desc: str, type_: str = "OKTA_GROUP") -> Json:
            gid = okta_id("00g", idx)
            g = {
                "id": gid,
                "created": self.ts(500 - idx % 300),
                "lastUpdated": self.ts(30 + idx % 200),
                "lastMembershipUpdated": self.ts(1 + idx % 20),
                "objectClass": ["okta:user_group"],
                "type": type_,
                "profile": {"name": name, "description": desc},
                "_links": {
                    "users": {"href": f"{self.base}/api/v1/groups/{gid}/users"},
                    "apps": {"href": f"{self.base}/api/v1/groups/{gid}/apps"},
                },
            }
            gl.append(g)
            return g

        group(0, "Everyone", "All users in your organization", "BUILT_IN")
        org.group_members[EVERYONE_GROUP_ID] = uid  # every user, id order
        next_regular = self.n_admins  # non-admin users handed out as extra admin-group members
        for k, g in enumerate(recipe.get("groups", []), start=1):
            gobj = group(k, g["name"], g.get("description", g["name"]))
            members = list(g.get("members", []))
            extra = min(int(g.get("extra_members", 0)), max(0, n - next_regular))
            members += list(range(next_regular, next_regular + extra))
            next_regular += extra
            members = sorted(set(m for m in members if m < n))
            org.group_members[gobj["id"]] = [uid[m] for m in members]
            if g.get("roles"):
                href = f"{self.base}/api/v1/groups/{gobj['id']}"
                roles = [self.role(r, "GROUP", href, seed_key=f"g{k}{r}") for r in g["roles"]]
                org.group_roles[gobj["id"]] = roles
                for m in members:
                    org.user_roles.setdefault(uid[m], []).extend(roles)
                    self.admin_roles.setdefault(m, []).extend(g["roles"])
        first_generated = 1 + len(recipe.get("groups", []))
        count = max(0, n_groups - first_generated)
        gen_ids: list[str] = []
        for j in range(count):
            dept = DEPARTMENTS[j % len(DEPARTMENTS)]
            loc = LOCATIONS[(j // len(DEPARTMENTS)) % len(LOCATIONS)]
            suffix = "" if j < len(DEPARTMENTS) else f" {loc}"
            if j >= len(DEPARTMENTS) * len(LOCATIONS):
                suffix += f" {j}"
            g = group(first_generated + j, f"{dept}{suffix}", f"{dept} team{suffix}")
            gen_ids.append(g["id"])
        if gen_ids:
            buckets: list[list[str]] = [[] for _ in gen_ids]
            for i in range(n):
                k = 1 + (i * 7 + self.seed) % 3  # each user in 1..3 groups
                for _ in range(k):
                    buckets[rng.randrange(len(gen_ids))].append(uid[i])
            for gid, members in zip(gen_ids, buckets, strict=True):
                org.group_members[gid] = sorted(set(members))
        org.groups = gl
        self.group_ids = [g["id"] for g in gl]
        self.generated_group_ids = gen_ids
        if gen_ids:
            target = gen_ids[0]
            org.group_rules = [
                {
                    "type": "group_rule",
                    "id": okta_id("0pr", 900),
                    "status": "ACTIVE",
                    "name": "Engineering by department",
                    "created": self.ts(200),
                    "lastUpdated": self.ts(20),
                    "conditions": {
                        "people": {"users": {"exclude": []}, "groups": {"exclude": []}},
                        "expression": {
                            "value": 'user.department=="Engineering"',
                            "type": "urn:okta:expression:1.0",
                        },
                    },
                    "actions": {"assignUserToGroups": {"groupIds": [target]}},
                    "_links": {"self": {"href": f"{self.base}/api/v1/groups/rules/{okta_id('0pr', 900)}"}},
                }
            ]

    # --- apps ---------------------------------------------------------------------------------------------------
    def apps(self, n_apps: int) -> None:
        org, rng, users = self.org, self.rng, self.users
        first_party_policies = {
            a.get("_links", {}).get("accessPolicy", {}).get("href", "").rsplit("/", 1)[-1] for a in org.apps
        }
        access_policies = [
            p["id"] for p in org.policies.get("ACCESS_POLICY", []) if p["id"] not in first_party_policies
        ]
        weak = self.weak
        active_idx = [i for i in self.users.indices_with_status("ACTIVE") if i >= self.n_admins]
        generated: list[Json] = []
        for k in range(n_apps):
            label, mode, name = APP_CATALOG[k % len(APP_CATALOG)]
            if k >= len(APP_CATALOG):
                label = f"{label} {k // len(APP_CATALOG) + 1}"
            aid = okta_id("0oa", 1000 + k)
            status = "INACTIVE" if weak and k % 4 == 3 else "ACTIVE"
            app = self._app(aid, name, label, mode, status, k, weak)
            if access_policies:
                pol = access_policies[k % len(access_policies)]
                app["_links"]["accessPolicy"] = {"href": f"{self.base}/api/v1/policies/{pol}"}
                org.policy_mappings.setdefault(pol, []).append(
                    {"id": aid, "_links": {"application": {"href": f"{self.base}/api/v1/apps/{aid}"}}}
                )
            generated.append(app)
            # assignments: a few groups, plus up to MAX_DIRECT_APP_USERS direct users
            if self.generated_group_ids:
                gsample = rng.sample(self.generated_group_ids, min(len(self.generated_group_ids), 1 + k % 3))
                org.app_groups[aid] = [
                    {
                        "id": gid,
                        "lastUpdated": self.ts(10 + p),
                        "priority": p,
                        "profile": {},
                        "_links": {
                            "app": {"href": f"{self.base}/api/v1/apps/{aid}"},
                            "group": {"href": f"{self.base}/api/v1/groups/{gid}"},
                        },
                    }
                    for p, gid in enumerate(gsample)
                ]
            direct = sorted(rng.sample(active_idx, min(len(active_idx), MAX_DIRECT_APP_USERS, 5 + k * 3)))
            org.app_users[aid] = [self._app_user(aid, users[i]) for i in direct]
        org.apps = list(org.apps) + generated

    def _app(self, aid: str, name: str, label: str, mode: str, status: str, k: int, weak: bool) -> Json:
        app: Json = {
            "id": aid,
            "name": name,
            "label": label,
            "status": status,
            "created": self.ts(700 - k % 500),
            "lastUpdated": self.ts(5 + k % 90),
            "accessibility": {"selfService": False},
            "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": False, "web": False}, "appLinks": {}},
            "features": [],
            "signOnMode": mode,
            "credentials": {
                "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
                "signing": {},
            },
            "settings": {"app": {}, "notifications": {"vpn": {"network": {"connection": "DISABLED"}}}},
            "_links": {
                "self": {"href": f"{self.base}/api/v1/apps/{aid}"},
                "users": {"href": f"{self.base}/api/v1/apps/{aid}/users"},
                "groups": {"href": f"{self.base}/api/v1/apps/{aid}/groups"},
            },
        }
        if mode == "SAML_2_0":
            if k % 3 == 0:
                # provisioning apps; on the weak org some do not push deactivations
                feats = ["PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "IMPORT_NEW_USERS"]
                if not (weak and k % 2 == 0):
                    feats.append("PUSH_USER_DEACTIVATION")
                app["features"] = feats
            app["settings"]["signOn"] = {
                "defaultRelayState": "",
                "ssoAcsUrl": f"https://{name}.example.net/sso/saml",
                "idpIssuer": "http://www.okta.com/${org.externalKey}",
                "audience": f"https://{name}.example.net",
                "recipient": f"https://{name}.example.net/sso/saml",
                "destination": f"https://{name}.example.net/sso/saml",
                "subjectNameIdTemplate": "${user.userName}",
                "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                "responseSigned": True,
                "assertionSigned": True,
                "signatureAlgorithm": "RSA_SHA256",
                "digestAlgorithm": "SHA256",
                "honorForceAuthn": True,
                "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "requestCompressed": False,
                "allowMultipleAcsEndpoints": False,
                "acsEndpoints": [],
                "attributeStatements": [],
            }
        elif mode == "OPENID_CONNECT":
            grants = ["authorization_code", "refresh_token"]
            if weak and k % 2 == 1:
                grants = ["authorization_code", "implicit", "password"]
            app["credentials"]["oauthClient"] = {
                "autoKeyRotation": True,
                "client_id": aid,
                "token_endpoint_auth_method": "client_secret_basic",
            }
            app["settings"]["oauthClient"] = {
                "redirect_uris": [f"https://app{k}.example.com/callback"],
                "response_types": ["code"] + (["token"] if "implicit" in grants else []),
                "grant_types": grants,
                "application_type": "web",
                "consent_method": "REQUIRED",
                "issuer_mode": "ORG_URL",
            }
        elif mode == "BOOKMARK":
            app["settings"]["app"] = {"requestIntegration": False, "url": "https://handbook.example.com"}
        elif mode == "AUTO_LOGIN":
            app["settings"]["signOn"] = {
                "loginUrl": "https://intranet.example.com/login",
                "redirectUrl": "https://intranet.example.com/",
            }
            app["credentials"]["scheme"] = "EDIT_USERNAME_AND_PASSWORD"
            app["credentials"]["revealPassword"] = False
        return app

    def _app_user(self, aid: str, user: Json) -> Json:
        login = user["profile"]["login"]
        return {
            "id": user["id"],
            "created": user["created"],
            "lastUpdated": user["lastUpdated"],
            "scope": "USER",
            "status": "ACTIVE",
            "statusChanged": user["lastUpdated"],
            "syncState": "DISABLED",
            "credentials": {"userName": login},
            "profile": {
                "email": login,
                "firstName": user["profile"]["firstName"],
                "lastName": user["profile"]["lastName"],
            },
            "_links": {
                "app": {"href": f"{self.base}/api/v1/apps/{aid}"},
                "user": {"href": f"{self.base}/api/v1/users/{user['id']}"},
            },
        }

    # --- factors --------------------------------------------------------------------------------------------------
    def factors(self) -> None:
        rng = self.rng
        n = len(self.users)
        for i, kinds in self.admin_factor_kinds.items():
            self._enroll(i, kinds)
        sample_n = min(2000, max(10, n // 20), max(0, n - self.n_admins))
        if sample_n:
            pool = range(self.n_admins, n)
            for i in sorted(rng.sample(pool, sample_n)):
                r = rng.random()
                self._enroll(i, next((kinds for below, kinds in _SAMPLE_FACTOR_MIX if r < below), []))

    def _enroll(self, i: int, kinds: Sequence[str]) -> None:
        uid = okta_id("00u", i)
        self.org.user_factors[uid] = [self._factor(uid, kind, i, j) for j, kind in enumerate(kinds)]

    def _factor(self, uid: str, kind: str, i: int, j: int) -> Json:
        prefix, factor_type, provider, profile = _FACTORS[kind]
        fid = prefix + hashlib.sha256(f"{self.seed}:{uid}:{j}:{kind}".encode()).hexdigest()[:17]
        created = self.ts(200 - (i % 150))
        return {
            "id": fid,
            "status": "ACTIVE",
            "created": created,
            "lastUpdated": created,
            "_links": {
                "self": {
                    "href": f"{self.base}/api/v1/users/{uid}/factors/{fid}",
                    "hints": {"allow": ["GET", "DELETE"]},
                },
                "user": {"href": f"{self.base}/api/v1/users/{uid}", "hints": {"allow": ["GET"]}},
            },
            "factorType": factor_type,
            "provider": provider,
            "vendorName": provider,
            "profile": profile(fid, i),
        }

    # --- API tokens and OAuth ---------------------------------------------------------------------------------
    def token_secret(self, token_id: str) -> str:
        digest = hashlib.sha256(f"okta-sandbox-token:{self.seed}:{token_id}".encode()).digest()
        import base64

        return "00" + base64.urlsafe_b64encode(digest).decode().rstrip("=")[:40]

    def tokens(self) -> None:
        org = self.org
        for meta in org.api_tokens:
            secret = self.token_secret(meta["id"])
            org.tokens[secret] = ApiTokenGrant(token=secret, user_id=meta["userId"], token_id=meta["id"])
        owners_super = [t for t in org.tokens.values() if "SUPER_ADMIN" in self._roles_of(t.user_id)]
        if not owners_super:
            # e.g. hardened: no listed token belongs to a Super Admin (STIG V-279690); tests still need one credential
            # with Super Admin rights, so the sandbox accepts an unlisted one (it is not in /api/v1/api-tokens).
            supers = [i for i, r in sorted(self.admin_roles.items()) if "SUPER_ADMIN" in r]
            if supers:
                tid = okta_id("00T", 999)
                secret = self.token_secret(tid)
                org.tokens[secret] = ApiTokenGrant(
                    token=secret, user_id=okta_id("00u", supers[0]), token_id=tid
                )

    def _roles_of(self, user_id: str) -> list[str]:
        return [r["type"] for r in self.org.user_roles.get(user_id, [])]

    def service_app(self) -> None:
        org = self.org
        pem, jwk = _service_key(self.seed)
        jwk = dict(jwk, kid=f"sandbox-{self.seed}", use="sig", alg="RS256")
        org.oauth_clients[SERVICE_APP_ID] = OAuthClient(
            client_id=SERVICE_APP_ID,
            jwks={"keys": [jwk]},
            scopes=list(READ_SCOPES),
            roles=["READ_ONLY_ADMIN"],
            private_key_pem=pem,
        )
        org.oauth_private_keys[SERVICE_APP_ID] = pem
        app = self._app(
            SERVICE_APP_ID,
            "oidc_client",
            "Posture connector (service app)",
            "OPENID_CONNECT",
            "ACTIVE",
            0,
            False,
        )
        app["credentials"]["oauthClient"] = {
            "autoKeyRotation": False,
            "client_id": SERVICE_APP_ID,
            "token_endpoint_auth_method": "private_key_jwt",
        }
        app["settings"]["oauthClient"] = {
            "response_types": ["token"],
            "grant_types": ["client_credentials"],
            "application_type": "service",
            "issuer_mode": "ORG_URL",
            "jwks": {"keys": [{k: v for k, v in jwk.items()}]},
            "dpop_bound_access_tokens": False,
        }
        app["settings"]["oauthClient"].pop("redirect_uris", None)
        org.apps = list(org.apps) + [app]

    # --- devices and logs ---------------------------------------------------------------------------------------
    def devices(self) -> None:
        rng, n = self.rng, len(self.users)
        count = min(500, max(3, n // 10))
        platforms = (
            ("WINDOWS", "ALL_INTERNAL_VOLUMES"),
            ("MACOS", "ALL_INTERNAL_VOLUMES"),
            ("IOS", "USER"),
            ("ANDROID", "FULL"),
        )
        out = []
        for k in range(count):
            did = okta_id("guo", k + 1)
            plat, enc = platforms[k % len(platforms)]
            name = f"{plat.title()} device {k + 1}"
            owner = self.users[rng.randrange(n)]
            out.append(
                {
                    "id": did,
                    "status": "ACTIVE" if k % 17 else "SUSPENDED",
                    "created": self.ts(300 - k % 250),
                    "lastUpdated": self.ts(k % 60),
                    "profile": {
                        "displayName": name,
                        "platform": plat,
                        "serialNumber": f"SN{k:08d}",
                        "registered": True,
                        "secureHardwarePresent": k % 3 != 0,
                        "diskEncryptionType": enc,
                    },
                    "resourceType": "UDDevice",
                    "resourceDisplayName": {"value": name, "sensitive": False},
                    "resourceId": did,
                    "_embedded": {
                        "users": [
                            {
                                "created": self.ts(200),
                                "managementStatus": "MANAGED" if k % 2 else "NOT_MANAGED",
                                "screenLockType": "BIOMETRIC",
                                "user": {"id": owner["id"], "status": owner["status"]},
                            }
                        ]
                    },
                    "_links": {
                        "self": {"href": f"{self.base}/api/v1/devices/{did}"},
                        "users": {"href": f"{self.base}/api/v1/devices/{did}/users"},
                    },
                }
            )
        self.org.devices = out

    def logs(self, count: int = 300) -> None:
        rng, n = self.rng, len(self.users)
        kinds = (
            ("user.session.start", "User login to Okta", "INFO"),
            ("user.authentication.sso", "User single sign on to app", "INFO"),
            ("policy.evaluate_sign_on", "Evaluation of sign-on policy", "INFO"),
            ("user.account.lock", "Max sign in attempts exceeded", "WARN"),
            ("user.mfa.factor.activate", "Activate factor or authenticator", "INFO"),
            ("system.api_token.create", "Create API token", "INFO"),
            ("user.account.privilege.grant", "Grant user privilege", "INFO"),
            ("group.user_membership.add", "Add user to group membership", "INFO"),
        )
        out = []
        start = self.anchor - 7 * DAY_MS
        times = sorted(rng.randrange(start, self.anchor) for _ in range(count))
        for k, t in enumerate(times):
            etype, msg, sev = kinds[rng.randrange(len(kinds))]
            actor = self.users[
                rng.randrange(min(n, max(1, self.n_admins)))
                if etype.startswith(("system.", "user.account.privilege"))
                else rng.randrange(n)
            ]
            ok = etype != "user.account.lock" and rng.random() > 0.1
            out.append(
                {
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "published": iso_ms(t),
                    "eventType": etype,
                    "version": "0",
                    "severity": sev,
                    "displayMessage": msg,
                    "actor": {
                        "id": actor["id"],
                        "type": "User",
                        "alternateId": actor["profile"]["login"],
                        "displayName": f"{actor['profile']['firstName']} {actor['profile']['lastName']}",
                    },
                    "client": {
                        "userAgent": {
                            "rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/127.0.0.0 Safari/537.36",
                            "os": "Mac OS X",
                            "browser": "CHROME",
                        },
                        "device": "Computer",
                        "ipAddress": f"198.51.100.{k % 250 + 1}",
                        "geographicalContext": {
                            "city": "Springfield",
                            "state": "Illinois",
                            "country": "United States",
                            "postalCode": "62701",
                            "geolocation": {"lat": 39.78, "lon": -89.65},
                        },
                    },
                    "outcome": {"result": "SUCCESS"}
                    if ok
                    else {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
                    "transaction": {
                        "type": "WEB",
                        "id": hashlib.sha256(f"{self.seed}:{k}".encode()).hexdigest()[:24],
                        "detail": {},
                    },
                    "debugContext": {"debugData": {"requestUri": "/idp/idx/identify"}},
                    "authenticationContext": {"authenticationStep": 0, "externalSessionId": f"idx{k:020d}"},
                    "securityContext": {
                        "asNumber": 64496,
                        "asOrg": "example isp",
                        "isp": "example isp",
                        "domain": "example.net",
                        "isProxy": False,
                    },
                    "request": {"ipChain": [{"ip": f"198.51.100.{k % 250 + 1}", "version": "V4"}]},
                    "target": [
                        {
                            "id": self.org.apps[0]["id"] if self.org.apps else "0oa00000000000000001",
                            "type": "AppInstance",
                            "alternateId": "Okta Admin Console",
                            "displayName": "Okta Admin Console",
                        }
                    ],
                }
            )
        self.org.logs = out


@lru_cache(maxsize=8)
def _service_key(seed: int) -> tuple[str, dict[str, Any]]:
    """(PKCS#8 PEM private key, public JWK) for the service app; generated once per seed per process."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return pem, jwk


def user_index(org: Org, user_id: str) -> int:
    """Index of a user id in ``org.users`` (sandbox ids are counters)."""
    from .ids import id_index

    i = id_index(user_id)
    users: Sequence[Json] = org.users
    if not 0 <= i < len(users):
        raise KeyError(user_id)
    return i


def token_for_role(org: Org, role: str) -> str:
    """An SSWS token in ``org.tokens`` whose user holds ``role`` (e.g. ``"SUPER_ADMIN"``); ``LookupError`` if none."""
    for grant in org.tokens.values():
        if grant.revoked:
            continue
        if any(r.get("type") == role for r in org.user_roles.get(grant.user_id, [])):
            return grant.token
    raise LookupError(f"no API token of a {role} in this org")
