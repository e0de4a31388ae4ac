"""The org a sandbox serves, as data.

Every collection holds Okta JSON objects exactly as the Management API returns them (see
``../shared/reference/okta-management-openapi.yaml``), minus ``_links`` that the server adds at serve time
where Okta has them. The generator (:mod:`okta_sandbox.generator`) builds an ``Org``; a scenario directory of
JSON files can override any collection (:func:`okta_sandbox.scenarios.load_dir`). The server
(:mod:`okta_sandbox.server`) only reads it, except for test hooks that change posture between syncs.

Large collections (``users``) may be a lazily generated sequence: anything with ``__len__`` and
``__getitem__`` (by index, ordered by ``id``) works; the server never copies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class ApiTokenGrant:
    """A credential the sandbox accepts: an SSWS token acting as ``user_id`` with that user's admin roles."""

    token: str = field(repr=False)  # the secret; never in reprs
    user_id: str
    token_id: str  # the id under /api/v1/api-tokens
    revoked: bool = False


@dataclass
class OAuthClient:
    """A service app allowed to use client_credentials with private_key_jwt."""

    client_id: str
    jwks: Json  # {"keys": [public JWKs]}
    scopes: list[str]  # scopes granted to the app (consented)
    roles: list[str] = field(default_factory=lambda: ["READ_ONLY_ADMIN"])
    require_dpop: bool = False
    # the matching private key (PEM), when the sandbox made the key pair: lets the CLI and tests sign
    # client assertions. Never shown in reprs.
    private_key_pem: str | None = field(default=None, repr=False)


@dataclass
class Org:
    # org metadata
    pipeline: str = "idx"  # "idx" = Identity Engine, "v1" = Classic
    # the org URL every absolute href in the generated objects starts with; a server replaces it by its own URL
    base_url: str = "https://sandbox.okta.example"
    org: Json = field(default_factory=dict)  # GET /api/v1/org
    org_support: Json = field(default_factory=dict)  # GET /api/v1/org/privacy/oktaSupport
    org_contacts: list[Json] = field(default_factory=list)  # GET /api/v1/org/contacts
    # contact type (BILLING, TECHNICAL) -> user id: GET /api/v1/org/contacts/{contactType}
    org_contact_users: dict[str, str] = field(default_factory=dict)
    threat_insight: Json = field(default_factory=dict)  # GET /api/v1/threats/configuration
    admin_console_settings: Json = field(default_factory=dict)  # GET /api/v1/first-party-app-settings/admin-console
    org_factors: list[Json] = field(default_factory=list)  # Classic GET /api/v1/org/factors

    # directory
    users: Sequence[Json] = field(default_factory=list)  # ordered by id
    groups: list[Json] = field(default_factory=list)
    group_members: dict[str, list[str]] = field(default_factory=dict)  # group id -> user ids
    group_rules: list[Json] = field(default_factory=list)
    user_factors: dict[str, list[Json]] = field(default_factory=dict)  # user id -> factors

    # apps
    apps: list[Json] = field(default_factory=list)
    app_users: dict[str, list[Json]] = field(default_factory=dict)  # app id -> AppUser objects
    app_groups: dict[str, list[Json]] = field(default_factory=dict)  # app id -> ApplicationGroupAssignment

    # policies: type -> policies (priority order); policy id -> rules (priority order); policy id -> mappings
    policies: dict[str, list[Json]] = field(default_factory=dict)
    policy_rules: dict[str, list[Json]] = field(default_factory=dict)
    policy_mappings: dict[str, list[Json]] = field(default_factory=dict)

    # security configuration
    authenticators: list[Json] = field(default_factory=list)  # OIE only
    zones: list[Json] = field(default_factory=list)
    idps: list[Json] = field(default_factory=list)
    authorization_servers: list[Json] = field(default_factory=list)
    as_policies: dict[str, list[Json]] = field(default_factory=dict)  # auth server id -> policies
    as_policy_rules: dict[str, list[Json]] = field(default_factory=dict)  # "asId/policyId" -> rules
    behaviors: list[Json] = field(default_factory=list)
    device_assurances: list[Json] = field(default_factory=list)
    devices: list[Json] = field(default_factory=list)

    # admin roles: user id -> role assignments; group id -> role assignments
    user_roles: dict[str, list[Json]] = field(default_factory=dict)
    group_roles: dict[str, list[Json]] = field(default_factory=dict)

    # integrations
    api_tokens: list[Json] = field(default_factory=list)  # metadata as /api/v1/api-tokens serves it
    trusted_origins: list[Json] = field(default_factory=list)
    event_hooks: list[Json] = field(default_factory=list)
    inline_hooks: list[Json] = field(default_factory=list)
    log_streams: list[Json] = field(default_factory=list)
    logs: list[Json] = field(default_factory=list)  # System Log events

    # credentials the sandbox accepts
    tokens: dict[str, ApiTokenGrant] = field(default_factory=dict, repr=False)  # keys are secrets
    oauth_clients: dict[str, OAuthClient] = field(default_factory=dict)
    # client id -> PEM (PKCS#8) private key of that service app, for tests that sign client assertions
    oauth_private_keys: dict[str, str] = field(default_factory=dict, repr=False)

    # features the org lacks (paths answering 401 E0000015), e.g. {"authenticators"} on Classic
    missing_features: set[str] = field(default_factory=set)

    def touch_user(self, i: int, **changes: Any) -> Json:
        """Test hook: change user ``i`` (e.g. ``status="SUSPENDED"``) and make its ``lastUpdated`` newer than any
        ``lastUpdated`` seen so far, as Okta does, so an incremental sync (``filter=lastUpdated gt "..."``) finds it."""
        touch = getattr(self.users, "touch", None)
        if touch is not None:
            return touch(i, **changes)
        from datetime import UTC, datetime

        user = self.users[i]
        user.update(changes)
        now = datetime.now(tz=UTC)
        user["lastUpdated"] = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        return user
