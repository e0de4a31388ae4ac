"""Feed a generated sandbox ``Org`` straight into the CheckEngine (no HTTP): the Org fields become Collections
exactly as the sync engine would build them from the API."""

from __future__ import annotations

from typing import Any

from checks_fixtures import FakeFanout

from connector_okta.checks import CheckEngine, Collection, OrgInfo


def org_collections(org: Any) -> dict[str, Collection]:
    def one(name: str, obj: dict) -> Collection:
        return Collection(name, "complete", items=[obj] if obj else [])

    def many(name: str, items: list) -> Collection:
        return Collection(name, "complete", items=list(items))

    def parents(name: str, by: dict) -> Collection:
        return Collection(name, "complete", by_parent={k: list(v) for k, v in by.items()})

    oie = org.pipeline == "idx"
    na = Collection
    as_rules: dict[str, list] = {}
    for key, rules in org.as_policy_rules.items():
        as_rules.setdefault(key.split("/")[-1], []).extend(rules)
    admin_ids = sorted(uid for uid, roles in org.user_roles.items() if roles)
    c = {
        "org": one("org", org.org),
        "org_support": one("org_support", org.org_support),
        "org_contacts": many("org_contacts", org.org_contacts),
        "threat_insight": one("threat_insight", org.threat_insight),
        "admin_console_settings": one("admin_console_settings", org.admin_console_settings) if oie else
        na("admin_console_settings", "not_applicable", "Classic org"),
        "org_factors": many("org_factors", org.org_factors) if not oie else
        na("org_factors", "not_applicable", "Identity Engine org"),
        "groups": many("groups", org.groups),
        "group_rules": many("group_rules", org.group_rules),
        "admin_users": many("admin_users", [{"id": u, "orn": f"orn:okta:{org.org.get('id')}:users:{u}"}
                                            for u in admin_ids]),
        "user_roles": parents("user_roles", {u: org.user_roles[u] for u in admin_ids}),
        "group_roles": parents("group_roles", org.group_roles),
        "apps": many("apps", org.apps),
        "app_groups": parents("app_groups", org.app_groups),
        "policies": many("policies", [p for pols in org.policies.values() for p in pols]),
        "policy_rules": parents("policy_rules", org.policy_rules),
        "policy_mappings": parents("policy_mappings", org.policy_mappings),
        "authenticators": many("authenticators", org.authenticators) if oie else
        na("authenticators", "not_applicable", "Classic org"),
        "zones": many("zones", org.zones),
        "idps": many("idps", org.idps),
        "authorization_servers": many("authorization_servers", org.authorization_servers),
        "authorization_server_policies": parents("authorization_server_policies", org.as_policies),
        "authorization_server_policy_rules": parents("authorization_server_policy_rules", as_rules),
        "api_tokens": many("api_tokens", org.api_tokens),
        "trusted_origins": many("trusted_origins", org.trusted_origins),
        "event_hooks": many("event_hooks", org.event_hooks),
        "inline_hooks": many("inline_hooks", org.inline_hooks),
        "log_streams": many("log_streams", org.log_streams),
        "behaviors": many("behaviors", org.behaviors),
        "device_assurances": many("device_assurances", org.device_assurances) if oie else
        na("device_assurances", "not_applicable", "Classic org"),
    }
    return c


def run_org(org: Any, profile: str = "stig", now_ms: int | None = None) -> list[dict]:
    from okta_sandbox.generator import default_now_ms

    bodies = {f"/api/v1/users/{u}/factors": f for u, f in org.user_factors.items()}
    bodies.update({f"/api/v1/users/{u}/roles": r for u, r in org.user_roles.items()})
    fanout = FakeFanout(bodies, budget=500)
    fanout.bodies = _DefaultDict(bodies)
    eng = CheckEngine(profile, org=OrgInfo(org.org.get("id", "00o"), "sandbox", org.base_url, org.pipeline),
                      fanout=fanout, now_ms=now_ms or default_now_ms())
    colls = org_collections(org)
    for name in eng.required_collections():
        eng.set_collection(colls.get(name) or Collection(name, "unavailable", "not modelled by the sandbox"))
    out: list[dict] = []
    for i in range(len(org.users)):
        out.extend(eng.visit("users", org.users[i]))
    eng.set_collection(Collection("users", "complete"))
    for gid, members in org.group_members.items():
        for uid in members:
            out.extend(eng.visit("group_members", {"groupId": gid, "userId": uid}))
    eng.set_collection(Collection("group_members", "complete"))
    out.extend(eng.finish())
    return out


class _DefaultDict(dict):
    """Users without factors or roles answer ``[]``, as Okta does."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Any:
        return dict.get(self, key, [])
