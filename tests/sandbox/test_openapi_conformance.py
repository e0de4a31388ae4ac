"""Every object the sandbox serves matches the response schema of its operation in Okta's OpenAPI spec.

Two layers: (1) the generated ``Org`` collections validated directly (all scenarios, both pipelines, every object);
(2) a started sandbox server queried on every route it serves (first page of lists), each body validated
against the spec's response schema for that path. Okta's own contradictions are listed, precisely, in
``sandbox_openapi_spec.SPEC_EXCEPTIONS``; one test proves each listed exception is still needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from okta_sandbox.generator import generate, token_for_role
from okta_sandbox.model import Org
from sandbox_openapi_spec import SPEC_EXCEPTIONS, _leaf_errors, _loc, _validator, violations

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CASES = [(s, p) for s in ("hardened", "default", "weak") for p in ("idx", "v1")]


@pytest.fixture(scope="module")
def orgs() -> dict[tuple[str, str], Org]:
    return {(s, p): generate(s, users=300, pipeline=p, now=NOW) for s, p in CASES}


def org_bodies(o: Org) -> Iterator[tuple[str, Any]]:
    """(spec path, body as the server would return it) for every collection of the org."""
    yield "/api/v1/org", o.org
    yield "/api/v1/org/privacy/oktaSupport", o.org_support
    yield "/api/v1/org/contacts", o.org_contacts
    yield "/api/v1/threats/configuration", o.threat_insight
    if "admin_console_settings" not in o.missing_features:
        yield "/api/v1/first-party-app-settings/{appName}", o.admin_console_settings
    yield "/api/v1/users", list(o.users)
    yield "/api/v1/groups", o.groups
    yield "/api/v1/groups/rules", o.group_rules
    for factors in o.user_factors.values():
        yield "/api/v1/users/{userId}/factors", factors
    yield "/api/v1/apps", o.apps
    for assigned in o.app_users.values():
        yield "/api/v1/apps/{appId}/users", assigned
    for assigned in o.app_groups.values():
        yield "/api/v1/apps/{appId}/groups", assigned
    for policies in o.policies.values():
        yield "/api/v1/policies", policies
    for rules in o.policy_rules.values():
        yield "/api/v1/policies/{policyId}/rules", rules
    for mappings in o.policy_mappings.values():
        yield "/api/v1/policies/{policyId}/mappings", mappings
    if "authenticators" not in o.missing_features:
        yield "/api/v1/authenticators", o.authenticators
    yield "/api/v1/zones", o.zones
    yield "/api/v1/idps", o.idps
    yield "/api/v1/authorizationServers", o.authorization_servers
    for policies in o.as_policies.values():
        yield "/api/v1/authorizationServers/{authServerId}/policies", policies
    for rules in o.as_policy_rules.values():
        yield "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules", rules
    yield "/api/v1/behaviors", o.behaviors
    yield "/api/v1/device-assurances", o.device_assurances
    yield "/api/v1/devices", o.devices
    for roles in o.user_roles.values():
        yield "/api/v1/users/{userId}/roles", roles
    for roles in o.group_roles.values():
        yield "/api/v1/groups/{groupId}/roles", roles
    yield "/api/v1/api-tokens", o.api_tokens
    yield "/api/v1/trustedOrigins", o.trusted_origins
    yield "/api/v1/eventHooks", o.event_hooks
    yield "/api/v1/inlineHooks", o.inline_hooks
    yield "/api/v1/logStreams", o.log_streams
    yield "/api/v1/logs", o.logs


@pytest.mark.parametrize(("scenario", "pipeline"), CASES)
def test_org_objects_match_the_spec(orgs: dict, scenario: str, pipeline: str) -> None:
    org = orgs[(scenario, pipeline)]
    problems: list[str] = []
    checked = 0
    for path, body in org_bodies(org):
        checked += len(body) if isinstance(body, list) else 1
        problems += violations(path, body)
    assert checked > 500
    assert problems == []


def test_each_spec_exception_is_needed(orgs: dict) -> None:
    """Without its exception, each listed contradiction does occur in what the sandbox serves (no dead entries)."""
    hit: set[int] = set()
    for org in orgs.values():
        for path, body in org_bodies(org):
            for top in _validator(path).iter_errors(body):
                for err in _leaf_errors(top):
                    for k, ex in enumerate(SPEC_EXCEPTIONS):
                        if ex.matches(path, _loc(err), err.validator, err.instance, err.message):
                            hit.add(k)
    unused = [SPEC_EXCEPTIONS[k].reason[:80] for k in range(len(SPEC_EXCEPTIONS)) if k not in hit]
    assert unused == []


def test_validator_catches_a_real_mistake() -> None:
    bad_rule = {
        "id": "0pr1",
        "type": "SIGN_ON",
        "name": "x",
        "priority": "first",
        "actions": {"signon": {"access": "MAYBE", "session": {"maxSessionIdleMinutes": "15"}}},
    }
    errors = violations("/api/v1/policies/{policyId}/rules", [bad_rule])
    assert any("priority" in e for e in errors) and any("MAYBE" in e for e in errors)
    assert any("maxSessionIdleMinutes" in e for e in errors)


# --- over HTTP ---------------------------------------------------------------------------------------------------


def requests_for(org: Org) -> list[tuple[str, str]]:
    """(URL path with query, spec path) covering every route the server serves, with real ids from the org."""
    users = org.users
    admin_id = next(iter(org.user_roles))
    factor_user = next(u for u, f in org.user_factors.items() if f)
    group_with_role = next(iter(org.group_roles)) if org.group_roles else org.groups[0]["id"]
    app = next(a for a in org.apps if org.app_users.get(a["id"]))
    out = [
        ("/.well-known/okta-organization", "/.well-known/okta-organization"),
        ("/api/v1/org", "/api/v1/org"),
        ("/api/v1/org/privacy/oktaSupport", "/api/v1/org/privacy/oktaSupport"),
        ("/api/v1/org/contacts", "/api/v1/org/contacts"),
        ("/api/v1/org/contacts/technical", "/api/v1/org/contacts/{contactType}"),
        ("/api/v1/org/factors", ""),  # Classic, beta-documented: not in the spec (shape checked below)
        ("/api/v1/users?limit=200", "/api/v1/users"),
        ("/api/v1/users/me", "/api/v1/users/{id}"),
        (f"/api/v1/users/{users[5]['id']}", "/api/v1/users/{id}"),
        (f"/api/v1/users/{factor_user}/factors", "/api/v1/users/{userId}/factors"),
        (f"/api/v1/users/{admin_id}/roles", "/api/v1/users/{userId}/roles"),
        (f"/api/v1/users/{admin_id}/groups", "/api/v1/users/{id}/groups"),
        ("/api/v1/groups/rules", "/api/v1/groups/rules"),
        ("/api/v1/groups?limit=200", "/api/v1/groups"),
        (f"/api/v1/groups/{org.groups[1]['id']}", "/api/v1/groups/{groupId}"),
        (f"/api/v1/groups/{org.groups[1]['id']}/users", "/api/v1/groups/{groupId}/users"),
        (f"/api/v1/groups/{group_with_role}/roles", "/api/v1/groups/{groupId}/roles"),
        ("/api/v1/apps?limit=200", "/api/v1/apps"),
        (f"/api/v1/apps/{app['id']}", "/api/v1/apps/{appId}"),
        (f"/api/v1/apps/{app['id']}/users", "/api/v1/apps/{appId}/users"),
        (f"/api/v1/apps/{app['id']}/groups", "/api/v1/apps/{appId}/groups"),
        ("/api/v1/first-party-app-settings/admin-console", "/api/v1/first-party-app-settings/{appName}"),
        ("/api/v1/authenticators", "/api/v1/authenticators"),
        ("/api/v1/zones", "/api/v1/zones"),
        ("/api/v1/idps", "/api/v1/idps"),
        ("/api/v1/authorizationServers", "/api/v1/authorizationServers"),
        ("/api/v1/iam/assignees/users", "/api/v1/iam/assignees/users"),
        ("/api/v1/api-tokens", "/api/v1/api-tokens"),
        ("/api/v1/trustedOrigins", "/api/v1/trustedOrigins"),
        ("/api/v1/eventHooks", "/api/v1/eventHooks"),
        ("/api/v1/inlineHooks", "/api/v1/inlineHooks"),
        ("/api/v1/logStreams", "/api/v1/logStreams"),
        ("/api/v1/threats/configuration", "/api/v1/threats/configuration"),
        ("/api/v1/behaviors", "/api/v1/behaviors"),
        ("/api/v1/device-assurances", "/api/v1/device-assurances"),
        ("/api/v1/devices", "/api/v1/devices"),
        ("/api/v1/logs?limit=1000", "/api/v1/logs"),
    ]
    for ptype, policies in org.policies.items():
        out.append((f"/api/v1/policies?type={ptype}", "/api/v1/policies"))
        for p in policies:
            out.append((f"/api/v1/policies/{p['id']}", "/api/v1/policies/{policyId}"))
            out.append((f"/api/v1/policies/{p['id']}/rules", "/api/v1/policies/{policyId}/rules"))
            out.append((f"/api/v1/policies/{p['id']}/mappings", "/api/v1/policies/{policyId}/mappings"))
    for s in org.authorization_servers:
        out.append((f"/api/v1/authorizationServers/{s['id']}", "/api/v1/authorizationServers/{authServerId}"))
        out.append(
            (
                f"/api/v1/authorizationServers/{s['id']}/policies",
                "/api/v1/authorizationServers/{authServerId}/policies",
            )
        )
        for p in org.as_policies.get(s["id"], []):
            out.append(
                (
                    f"/api/v1/authorizationServers/{s['id']}/policies/{p['id']}",
                    "/api/v1/authorizationServers/{authServerId}/policies/{policyId}",
                )
            )
            out.append(
                (
                    f"/api/v1/authorizationServers/{s['id']}/policies/{p['id']}/rules",
                    "/api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules",
                )
            )
    return out


@pytest.mark.parametrize(("scenario", "pipeline"), CASES)
def test_served_bodies_match_the_spec(orgs: dict, scenario: str, pipeline: str) -> None:
    server = pytest.importorskip("okta_sandbox.server")
    routes = pytest.importorskip("okta_sandbox.routes")
    org = orgs[(scenario, pipeline)]
    token = token_for_role(org, "SUPER_ADMIN")  # Super Admin: every endpoint is readable
    problems: list[str] = []
    served: set[str] = set()
    with server.Sandbox(org) as sb, requests.Session() as http:
        http.headers.update({"Authorization": f"SSWS {token}", "Accept": "application/json"})
        for url, spec_path in requests_for(org):
            route = routes.match(urlsplit(url).path)
            assert route is not None, f"the sandbox does not serve {url}"
            served.add(route[0].name)
            r = http.get(sb.url + url, timeout=30)
            feature = route[0].feature
            if feature and feature in org.missing_features:
                assert r.status_code == 401 and r.json()["errorCode"] == "E0000015", url
                continue
            assert r.status_code == 200, f"{url}: {r.status_code} {r.text[:200]}"
            body = r.json()
            if not spec_path:  # /api/v1/org/factors: Classic factor objects (beta docs, not in the spec)
                assert isinstance(body, list) and all(
                    {"id", "factorType", "provider", "status"} <= set(f) for f in body
                )
                continue
            problems += [f"{url}: {p}" for p in violations(spec_path, body)]
    assert problems == []
    missing = {r.name for r in routes.ROUTES} - served
    assert missing == set(), f"routes not exercised by this test: {sorted(missing)}"
