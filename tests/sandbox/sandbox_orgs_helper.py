"""Small hand-built orgs for the sandbox server tests (independent of the generator)."""

from __future__ import annotations

from okta_sandbox.model import ApiTokenGrant, Org

SUPER_TOKEN = "00super-admin-token-aaaaaaaaaaaaaaaaaaaaaaa"
READONLY_TOKEN = "00read-only-admin-token-bbbbbbbbbbbbbbbbbb"
NOBODY_TOKEN = "00no-admin-role-token-cccccccccccccccccccccc"

STATUSES = ["ACTIVE", "ACTIVE", "SUSPENDED", "DEPROVISIONED", "PROVISIONED", "STAGED", "LOCKED_OUT"]


def uid(i: int) -> str:
    return f"00u{i:017d}"


def user(i: int) -> dict:
    return {
        "id": uid(i),
        "status": STATUSES[i % len(STATUSES)],
        "created": "2024-01-01T00:00:00.000Z",
        "lastUpdated": f"2024-{1 + i % 12:02d}-15T10:00:00.000Z",
        "type": {"id": "oty1"},
        "profile": {"login": f"user{i}@example.com", "email": f"user{i}@example.com",
                    "firstName": f"First{i}", "lastName": f"Last{i}"},
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
    }


def small_org(users: int = 30, *, pipeline: str = "idx", groups: int = 5, apps: int = 5, logs: int = 7) -> Org:
    """``users`` users (user 0 super admin, user 1 read-only admin, user 2 no role), ``groups`` groups
    (group 0 = everyone), ``apps`` apps, two policies, a few objects in every other collection."""
    us = [user(i) for i in range(users)]
    gs = [{"id": f"00g{i:017d}", "type": "OKTA_GROUP" if i else "BUILT_IN",
           "profile": {"name": "Everyone" if i == 0 else f"Group {i}", "description": None},
           "lastUpdated": f"2024-{1 + i:02d}-01T00:00:00.000Z"} for i in range(groups)]
    members = {g["id"]: [u["id"] for k, u in enumerate(us) if j == 0 or k % groups == j] for j, g in enumerate(gs)}
    aps = [{"id": f"0oa{i:017d}", "name": "bookmark", "label": f"App {i}", "status": "ACTIVE",
            "signOnMode": "BOOKMARK"} for i in range(apps)]
    org = Org(
        pipeline=pipeline,
        org={"id": "00o1sandbox", "subdomain": "sandbox", "companyName": "Sandbox Inc", "status": "ACTIVE"},
        org_support={"support": "DISABLED", "expiration": None, "caseNumber": None},
        org_contacts=[{"contactType": "BILLING", "_links": {}}],
        threat_insight={"action": "none", "excludeZones": []},
        admin_console_settings={"sessionIdleTimeoutMinutes": 15, "sessionMaxLifetimeMinutes": 720},
        org_factors=[{"id": "okta_otp", "factorType": "token:software:totp", "provider": "OKTA", "status": "ACTIVE"}],
        users=us,
        groups=gs,
        group_members=members,
        group_rules=[{"id": f"0pr{i:017d}", "name": f"Rule {i}", "status": "ACTIVE"} for i in range(3)],
        user_factors={uid(0): [{"id": "mfa1", "factorType": "push", "provider": "OKTA", "status": "ACTIVE"}]},
        apps=aps,
        app_users={a["id"]: [{"id": u["id"], "scope": "USER", "status": "ACTIVE"} for u in us[:12]] for a in aps},
        app_groups={a["id"]: [{"id": g["id"], "priority": k} for k, g in enumerate(gs)] for a in aps},
        policies={
            "OKTA_SIGN_ON": [{"id": "00p0000000000000signon", "type": "OKTA_SIGN_ON", "name": "Default Policy",
                              "status": "ACTIVE", "priority": 1, "system": True}],
            "PASSWORD": [{"id": "00p00000000000password", "type": "PASSWORD", "name": "Default Policy",
                          "status": "ACTIVE", "priority": 1, "system": True}],
        },
        policy_rules={"00p0000000000000signon": [{"id": f"0pr{i:017d}", "name": f"Rule {i}", "priority": i + 1}
                                                 for i in range(60)]},
        policy_mappings={"00p0000000000000signon": [{"id": "rsm1", "_links": {}}]},
        authenticators=[{"id": "aut1", "key": "okta_password", "status": "ACTIVE", "name": "Password"}],
        zones=[{"id": f"nzo{i:017d}", "name": f"Zone {i}", "type": "IP", "usage": "POLICY", "status": "ACTIVE"}
               for i in range(25)],
        idps=[{"id": "0oaidp1", "type": "SAML2", "name": "IdP", "status": "ACTIVE"}],
        authorization_servers=[{"id": "aus1", "name": "default", "status": "ACTIVE"}],
        as_policies={"aus1": [{"id": "00pas1", "name": "Default", "status": "ACTIVE"}]},
        as_policy_rules={"aus1/00pas1": [{"id": "0prasr1", "name": "Default rule"}]},
        behaviors=[{"id": "abc1", "name": "New Country", "type": "ANOMALOUS_LOCATION", "status": "ACTIVE"}],
        device_assurances=[{"id": "dae1", "name": "Mac", "platform": "MACOS"}],
        devices=[{"id": f"guo{i:017d}", "status": "ACTIVE"} for i in range(3)],
        user_roles={
            uid(0): [{"id": "ra1", "type": "SUPER_ADMIN", "status": "ACTIVE", "assignmentType": "USER"}],
            uid(1): [{"id": "ra2", "type": "READ_ONLY_ADMIN", "status": "ACTIVE", "assignmentType": "USER"}],
        },
        group_roles={} if groups < 4 else {gs[3]["id"]: [{"id": "ra3", "type": "HELP_DESK_ADMIN", "status": "ACTIVE", "assignmentType": "GROUP"}]},
        api_tokens=[{"id": "tok-super", "name": "super", "userId": uid(0)}],
        trusted_origins=[{"id": "tos1", "name": "o", "origin": "https://x.example", "status": "ACTIVE"}],
        event_hooks=[{"id": "who1", "name": "hook", "status": "ACTIVE"}],
        inline_hooks=[{"id": "cal1", "name": "ih", "type": "com.okta.oauth2.tokens.transform", "status": "ACTIVE"}],
        log_streams=[{"id": "0oals1", "name": "splunk", "type": "splunk_cloud_logstreaming", "status": "ACTIVE"}],
        logs=[{"uuid": f"evt{i:05d}", "published": f"2024-06-01T00:00:{i:02d}.000Z", "eventType": "user.session.start"}
              for i in range(logs)],
        tokens={
            SUPER_TOKEN: ApiTokenGrant(SUPER_TOKEN, uid(0), "tok-super"),
            READONLY_TOKEN: ApiTokenGrant(READONLY_TOKEN, uid(1), "tok-ro"),
            NOBODY_TOKEN: ApiTokenGrant(NOBODY_TOKEN, uid(2), "tok-nobody"),
        },
    )
    if pipeline == "v1":
        org.missing_features = {"authenticators"}
    return org
