"""Route templates, rate-limit buckets and OAuth scopes of Management API paths.

``route_template("/api/v1/users/00u1abcdEFGH2345ijkl/roles")`` is ``"/api/v1/users/{id}/roles"``: ids (Okta ids
contain digits), logins and well-known aliases (``me``, ``default``) become ``{id}``. The template keys the
per-endpoint accounting and the rate-limit bucket (``../shared/reference/okta-api-behaviour.md`` §3.2).
"""

from __future__ import annotations

import re
from functools import lru_cache

_ID = re.compile(r"^(?=[^/]*\d)[A-Za-z0-9_.~%-]{8,}$")
# segments that are ids even without digits, after the given collection
_ALIASES = {"users": {"me"}, "authorizationServers": {"default"}}


@lru_cache(maxsize=4096)
def route_template(path: str) -> str:
    path = path.split("?", 1)[0].split("#", 1)[0] or "/"
    parts = path.split("/")
    out = []
    for i, seg in enumerate(parts):
        prev = parts[i - 1] if i else ""
        if seg and ("@" in seg or _ID.match(seg) or seg in _ALIASES.get(prev, ())):
            out.append("{id}")
        else:
            out.append(seg)
    template = "/".join(out)
    return template.rstrip("/") or "/"


# (how the route matches, route or prefix, bucket): Okta's historical table (§3.2), first match wins. "exact" is
# that route only, "GET" that route read with GET, "under" that route and every route below it, "prefix" any route
# that starts with it.
_BUCKETS: tuple[tuple[str, str, str], ...] = (
    ("prefix", "/.well-known/", "well_known"),
    ("prefix", "/oauth2/v1/token", "oauth_token"),
    ("prefix", "/oauth2/v1/clients", "oauth2_clients"),
    ("exact", "/api/v1/apps/{id}", "app_by_id"),
    ("under", "/api/v1/apps", "apps"),
    ("exact", "/api/v1/groups/{id}", "group_by_id"),
    ("under", "/api/v1/groups", "groups"),
    ("GET", "/api/v1/users/{id}", "user_by_id"),
    ("under", "/api/v1/users", "users"),
    ("prefix", "/api/v1/logs", "logs"),
    ("prefix", "/api/v1/events", "events"),
    ("prefix", "/api/v1/devices", "devices"),
    ("prefix", "/api/", "default"),
)


def _matches(how: str, pattern: str, method: str, route: str) -> bool:
    if how == "prefix":
        return route.startswith(pattern)
    if how == "under":
        return route == pattern or route.startswith(pattern + "/")
    return route == pattern and (how == "exact" or method == how)


def bucket_for(method: str, route: str) -> str:
    """The rate-limit bucket Okta documents for this route template (historical table, §3.2)."""
    method = method.upper()
    for how, pattern, bucket in _BUCKETS:
        if _matches(how, pattern, method, route):
            return bucket
    return "other"


# path-prefix (route template) -> read scope, from the SPEC's per-operation security (reference §1)
_SCOPES: list[tuple[str, str]] = [
    ("/api/v1/users/{id}/roles", "okta.roles.read"),
    ("/api/v1/groups/{id}/roles", "okta.roles.read"),
    ("/api/v1/iam", "okta.roles.read"),
    ("/oauth2/v1/clients/{id}/roles", "okta.roles.read"),
    ("/api/v1/users", "okta.users.read"),
    ("/api/v1/groups", "okta.groups.read"),
    ("/api/v1/apps/{id}/grants", "okta.appGrants.read"),
    ("/api/v1/apps", "okta.apps.read"),
    ("/api/v1/policies", "okta.policies.read"),
    ("/api/v1/authenticators", "okta.authenticators.read"),
    ("/api/v1/zones", "okta.networkZones.read"),
    ("/api/v1/idps", "okta.idps.read"),
    ("/api/v1/authorizationServers", "okta.authorizationServers.read"),
    ("/api/v1/api-tokens", "okta.apiTokens.read"),
    ("/api/v1/trustedOrigins", "okta.trustedOrigins.read"),
    ("/api/v1/eventHooks", "okta.eventHooks.read"),
    ("/api/v1/inlineHooks", "okta.inlineHooks.read"),
    ("/api/v1/logStreams", "okta.logStreams.read"),
    ("/api/v1/logs", "okta.logs.read"),
    ("/api/v1/threats", "okta.threatInsights.read"),
    ("/api/v1/org/captcha", "okta.captchas.read"),
    ("/api/v1/org", "okta.orgs.read"),
    ("/attack-protection", "okta.orgs.read"),
    ("/api/v1/devices", "okta.devices.read"),
    ("/api/v1/device-assurances", "okta.deviceAssurance.read"),
    ("/api/v1/behaviors", "okta.behaviors.read"),
    ("/api/v1/features", "okta.features.read"),
    ("/api/v1/meta/schemas", "okta.schemas.read"),
    ("/api/v1/meta/types/user", "okta.userTypes.read"),
    ("/api/v1/domains", "okta.domains.read"),
    ("/api/v1/brands", "okta.brands.read"),
    ("/api/v1/rate-limit-settings", "okta.rateLimits.read"),
    ("/api/v1/principal-rate-limits", "okta.principalRateLimits.read"),
    ("/api/v1/first-party-app-settings", "okta.apps.read"),
]


def scope_for_path(route_or_path: str) -> str | None:
    """The OAuth read scope that covers a path, when the spec names one."""
    route = route_template(route_or_path)
    for prefix, scope in _SCOPES:
        if route == prefix or route.startswith(prefix + "/"):
            return scope
    return None


# Largest page size each list endpoint allows (reference §1 and §8.4); used when the caller sets no limit.
PAGE_LIMITS: dict[str, int] = {
    "/api/v1/users": 200,
    "/api/v1/groups": 200,
    "/api/v1/groups/{id}/users": 200,
    "/api/v1/groups/rules": 200,
    "/api/v1/apps": 200,
    "/api/v1/apps/{id}/users": 500,
    "/api/v1/apps/{id}/groups": 200,
    "/api/v1/zones": 200,
    "/api/v1/idps": 200,
    "/api/v1/authorizationServers": 200,
    "/api/v1/authorizationServers/{id}/scopes": 200,
    "/api/v1/trustedOrigins": 200,
    "/api/v1/logStreams": 200,
    "/api/v1/logs": 1000,
    "/api/v1/devices": 200,
    "/api/v1/iam/assignees/users": 100,
    "/api/v1/users/{id}/roles/{id}/targets/groups": 200,
    "/api/v1/users/{id}/roles/{id}/targets/catalog/apps": 200,
}

# The smallest page some endpoints answer whatever ``limit`` asks for (reference §1: app groups "min 20"): a page up
# to this size is never refused as holding more objects than asked for.
PAGE_MINIMUMS: dict[str, int] = {
    "/api/v1/apps/{id}/groups": 20,
}
