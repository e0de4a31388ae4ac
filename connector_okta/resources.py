"""The Okta collections the connector reads, as data.

Each :class:`Resource` says where a collection lives (path template, query parameters, page size), which
rate-limit bucket and OAuth scope it uses, how its objects are emitted (assets, relationship edges or both),
whether the sync keeps it in memory for the checks or streams it, its parent collection for per-object
sub-collections, and on which org pipelines (``idx`` = Identity Engine, ``v1`` = Classic) it exists.
The sync engine (:mod:`connector_okta.sync`) walks :data:`RESOURCES` in order; nothing else about a
collection is written in code.

Page sizes (``limit``) are the largest each endpoint documents (``../shared/reference/okta-api-behaviour.md``
section 1; the fewer pages, the fewer requests against Okta's per-minute buckets):

- users 200 (the documented maximum);
- groups 200: the spec allows 10000 but also says "we recommend using a limit less than or equal to 200"
  and the older docs say 200 is the maximum "for most orgs"; a limit above what an org allows fails the call,
  so 200 is the largest value that works everywhere;
- group members 1000: the endpoint's own default ("a very high number due to historical reasons"), so every
  org accepts it, and it needs five times fewer requests than the recommended 200;
- app users 500, app groups 200, group rules 200, IdPs 200, authorization servers 200, trusted origins 200,
  log streams 200, devices 200 (all documented maxima);
- zones: no ``limit`` (the default ``-1`` returns every zone in one page);
- policies, policy rules, ``/iam/assignees/users`` (default 100, no documented maximum), authenticators,
  API tokens, hooks, behaviours, device assurances: no ``limit`` (not paginated, or no documented maximum:
  the client follows ``next`` links whatever the page size).

Users: a plain ``GET /api/v1/users`` omits DEPROVISIONED users (spec, ``listUsers``). A full sync therefore
reads two series: the plain listing (every other status) and ``filter=status eq "DEPROVISIONED"``; the two
never overlap. An incremental sync reads ``filter=lastUpdated gt "<high-water mark>"``, which (being a filter)
covers every status, DEPROVISIONED included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlencode

Pipeline = Literal["idx", "v1"]
BOTH: frozenset[str] = frozenset({"idx", "v1"})
OIE: frozenset[str] = frozenset({"idx"})
CLASSIC: frozenset[str] = frozenset({"v1"})

# How a collection's objects become RECORDs.
Emit = Literal["asset", "relationship", "both", "none"]
# Where the sync keeps a collection: "kept" (in memory, handed whole to the check engine), "streamed" (each
# object emitted and visited, never held).
Mode = Literal["kept", "streamed"]
# Which phase of the sync reads it: "kept" collections first, then "stream" collections (large ones, and the
# per-parent reads an incremental sync can skip when nothing changed).
Phase = Literal["kept", "stream"]


@dataclass(frozen=True)
class End:
    """One end of a relationship edge: an object type and where its uid comes from.

    ``source`` is ``"item"`` (the object read), ``"parent"`` (the object the sub-collection hangs off),
    ``"self"`` (the asset uid of the object read, :func:`connector_okta.identity.asset_uid`: its id, scoped by its
    principal for role assignments).
    ``field`` is a dotted path into that object (``"id"``, ``"userId"``, ``"_links.application.href"``); a value
    that is a URL contributes its last path segment.
    """

    type: str
    source: Literal["item", "parent", "self"] = "item"
    field: str = "id"
    many: bool = False  # the field holds a list of ids (or URLs): one edge per element


@dataclass(frozen=True)
class Relation:
    """How an object of a collection becomes a relationship record."""

    relation: str  # member_of | assigned_to | has_role | rule_of | owns | applies_to
    frm: End
    to: End
    attributes: tuple[str, ...] = ()  # fields of the item copied into the edge's attributes


@dataclass(frozen=True)
class Resource:
    name: str  # the stream name (fixed: the checks and the normaliser rely on it)
    path: str  # template; {parent_id} and {grandparent_id} for sub-collections
    asset_type: str | None  # type label of emitted assets (record["data"] is the raw Okta object)
    scope: str  # OAuth scope the read needs
    bucket: str  # Okta rate-limit bucket the path falls in (for documentation and planning)
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # several request series read into one collection (e.g. policies: one per type); each entry is merged over
    # params, and may carry "pipelines" to restrict it
    variants: tuple[Mapping[str, Any], ...] = ()
    parent: str | None = None  # parent collection name for per-object sub-collections
    parent_where: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    pipelines: frozenset[str] = BOTH
    mode: Mode = "kept"
    phase: Phase = "kept"
    single: bool = False  # one object, not a list
    emit: Emit = "asset"
    relation: Relation | None = None
    more_relations: tuple[Relation, ...] = ()  # further edges of the same object (e.g. the groups a policy targets)
    by_parent: bool = False  # kept grouped by parent id (Collection.by_parent)
    fanout: bool = False  # per-parent reads spend the fan-out budget (may end incomplete)
    admin_role: str = "READ_ONLY_ADMIN"  # least admin role documented to read it (above LEAST_ROLE: out of scope)
    # streamed sub-collections: the key under which the check engine's visit() sees the parent id
    # (a shallow copy of the object gets it; the emitted record is the object as served)
    visit_parent_key: str | None = None
    # role assignments: the principal type ("user", "group") they are listed under. Their ids are unique only per
    # principal (a standard role's id is derived from its type), so the asset uid is scoped by the principal
    # (connector_okta.identity; docs/schema.md "Asset identity"). None: the object's own id is unique in the org.
    principal: str | None = None
    # one object of this collection ({id}; {parent_id} for a sub-collection's object): a parent whose children
    # answered 404 is re-read here, and counts as deleted only when this answers 404 too
    item_path: str | None = None
    note: str = ""

    def variants_for(self, pipeline: str | None) -> list[dict[str, Any]]:
        """The request parameter sets to read for this pipeline (one series each)."""
        if not self.variants:
            return [dict(self.params)]
        out = []
        for variant in self.variants:
            pipes = variant.get("pipelines")
            if pipes is not None and pipeline is not None and pipeline not in pipes:
                continue
            merged = dict(self.params)
            merged.update({k: v for k, v in variant.items() if k != "pipelines"})
            out.append(merged)
        return out

    def series_key(self, params: Mapping[str, Any]) -> str:
        """The name of one request series: the parameters its variant adds (``"type=PASSWORD"``); ``""`` for a
        collection read in one series."""
        extra = {k: v for k, v in params.items() if self.params.get(k) != v}
        return "&".join(f"{k}={v}" for k, v in sorted(extra.items()))

    def exists_on(self, pipeline: str | None) -> bool:
        return pipeline is None or pipeline in self.pipelines


def _p(**kw: str) -> Mapping[str, str]:
    return MappingProxyType(dict(kw))


USERS_FULL_VARIANTS: tuple[Mapping[str, Any], ...] = (
    {},  # every status except DEPROVISIONED
    {"filter": 'status eq "DEPROVISIONED"'},
)
POLICY_TYPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("OKTA_SIGN_ON", BOTH),
    ("PASSWORD", BOTH),
    ("MFA_ENROLL", BOTH),
    ("ACCESS_POLICY", OIE),
    ("PROFILE_ENROLLMENT", OIE),
    ("IDP_DISCOVERY", BOTH),
)

# the groups a policy (or a policy rule) targets or exempts: conditions.people.groups.include / .exclude
_GROUPS_IN, _GROUPS_OUT = "conditions.people.groups.include", "conditions.people.groups.exclude"
PEOPLE_INCLUDE = Relation("applies_to", End("policy"), End("group", "item", _GROUPS_IN, many=True))
PEOPLE_EXCLUDE = Relation("excludes", End("policy"), End("group", "item", _GROUPS_OUT, many=True))
PEOPLE_INCLUDE_RULE = Relation("applies_to", End("policy_rule"), End("group", "item", _GROUPS_IN, many=True))
PEOPLE_EXCLUDE_RULE = Relation("excludes", End("policy_rule"), End("group", "item", _GROUPS_OUT, many=True))

#: the least admin role the connector asks for (manifest.json, permissions.roles[0]). A collection that declares a
#: higher ``admin_role`` (Super Administrator only) and is refused is *not in scope for this credential*: reported
#: SKIPPED with error_kind ``out_of_scope``, its checks not evaluated, and it does not make the sync partial.
LEAST_ROLE = "READ_ONLY_ADMIN"
ROLE_LABELS = {"SUPER_ADMIN": "Super Administrators", "READ_ONLY_ADMIN": "Read-Only Administrators"}


def beyond_least_role(res: Resource) -> bool:
    """Whether ``res`` needs more than the least role the connector asks for (a refusal is then out of scope)."""
    return res.admin_role != LEAST_ROLE


RESOURCES: tuple[Resource, ...] = (
    # --- the org and its settings (single objects, small) ---
    Resource("org", "/api/v1/org", "org", "okta.orgs.read", "default", single=True),
    Resource("org_support", "/api/v1/org/privacy/oktaSupport", "org_setting", "okta.orgs.read", "default",
             single=True, admin_role="SUPER_ADMIN",
             note="the spec lists SUPER_ADMIN only; a read-only admin gets 403 and the collection is skipped"),
    Resource("org_contacts", "/api/v1/org/contacts", "org_contact", "okta.orgs.read", "default"),
    Resource("threat_insight", "/api/v1/threats/configuration", "org_setting", "okta.threatInsights.read",
             "default", single=True),
    Resource("admin_console_settings", "/api/v1/first-party-app-settings/admin-console", "org_setting",
             "okta.apps.read", "default", single=True),
    Resource("org_factors", "/api/v1/org/factors", "factor", "okta.orgs.read", "default", pipelines=CLASSIC,
             note="Classic only; beta-documented endpoint; scope unverified"),
    # --- security configuration (small, kept) ---
    Resource("authenticators", "/api/v1/authenticators", "authenticator", "okta.authenticators.read", "default",
             pipelines=OIE),
    Resource("policies", "/api/v1/policies", "policy", "okta.policies.read", "default",
             variants=tuple({"type": t, "pipelines": p} for t, p in POLICY_TYPES), emit="both",
             item_path="/api/v1/policies/{id}",
             relation=PEOPLE_INCLUDE, more_relations=(PEOPLE_EXCLUDE,)),
    Resource("zones", "/api/v1/zones", "network_zone", "okta.networkZones.read", "default"),
    Resource("idps", "/api/v1/idps", "identity_provider", "okta.idps.read", "default", params=_p(limit="200")),
    Resource("authorization_servers", "/api/v1/authorizationServers", "authorization_server",
             "okta.authorizationServers.read", "default", params=_p(limit="200"),
             item_path="/api/v1/authorizationServers/{id}"),
    Resource("apps", "/api/v1/apps", "app", "okta.apps.read", "apps", params=_p(limit="200"),
             item_path="/api/v1/apps/{id}"),
    Resource("group_rules", "/api/v1/groups/rules", "group_rule", "okta.groups.read", "groups",
             params=_p(limit="200")),
    Resource("admin_users", "/api/v1/iam/assignees/users", None, "okta.roles.read", "default", emit="none",
             admin_role="SUPER_ADMIN", item_path="/api/v1/users/{id}",
             note="users holding an admin role ({id, orn}); parent of user_roles, no records of its own"),
    Resource("api_tokens", "/api/v1/api-tokens", "api_token", "okta.apiTokens.read", "default", emit="both",
             admin_role="SUPER_ADMIN",
             relation=Relation("owns", End("user", "item", "userId"), End("api_token"))),
    Resource("trusted_origins", "/api/v1/trustedOrigins", "trusted_origin", "okta.trustedOrigins.read",
             "default", params=_p(limit="200")),
    Resource("event_hooks", "/api/v1/eventHooks", "event_hook", "okta.eventHooks.read", "default"),
    Resource("inline_hooks", "/api/v1/inlineHooks", "inline_hook", "okta.inlineHooks.read", "default"),
    Resource("log_streams", "/api/v1/logStreams", "log_stream", "okta.logStreams.read", "default",
             params=_p(limit="200"), admin_role="SUPER_ADMIN"),
    # Behavior Detection exists on Classic and Identity Engine orgs alike
    Resource("behaviors", "/api/v1/behaviors", "behavior", "okta.behaviors.read", "default"),
    Resource("device_assurances", "/api/v1/device-assurances", "device_assurance",
             "okta.deviceAssurance.read", "default", pipelines=OIE),
    # --- per-parent sub-collections of the kept ones ---
    Resource("user_roles", "/api/v1/users/{parent_id}/roles", "role_assignment", "okta.roles.read", "users",
             parent="admin_users", by_parent=True, emit="both", admin_role="SUPER_ADMIN", principal="user",
             relation=Relation("has_role", End("user", "parent"), End("role_assignment", "self"),
                               ("type", "label", "assignmentType", "status"))),
    # the admins' factors (okta-admin-no-mfa, okta-admin-phishing-resistant-factor): read side by side here rather
    # than one after another by the checks (issue 18); no records of their own; the fan-out budget they spend
    # is the checks' own: an admin it leaves out is fetched by the checks, if anything is left)
    Resource("user_factors", "/api/v1/users/{parent_id}/factors", None, "okta.users.read", "users",
             parent="admin_users", by_parent=True, emit="none", fanout=True,
             note="each admin's factors, for the admin MFA checks; no records of their own"),
    Resource("policy_rules", "/api/v1/policies/{parent_id}/rules", "policy_rule", "okta.policies.read",
             "default", parent="policies", by_parent=True, emit="both",
             relation=Relation("rule_of", End("policy_rule"), End("policy", "parent")),
             more_relations=(PEOPLE_INCLUDE_RULE, PEOPLE_EXCLUDE_RULE)),
    Resource("policy_mappings", "/api/v1/policies/{parent_id}/mappings", None, "okta.policies.read", "default",
             parent="policies", parent_where=_p(type=("ACCESS_POLICY", "PROFILE_ENROLLMENT")), by_parent=True,
             emit="relationship", pipelines=OIE,
             relation=Relation("applies_to", End("policy", "parent"),
                               End("app", "item", "_links.application.href"))),
    Resource("app_groups", "/api/v1/apps/{parent_id}/groups", None, "okta.apps.read", "apps",
             params=_p(limit="200"), parent="apps", by_parent=True, emit="relationship",
             relation=Relation("assigned_to", End("group"), End("app", "parent"), ("priority",))),
    Resource("authorization_server_policies", "/api/v1/authorizationServers/{parent_id}/policies",
             "authorization_server_policy", "okta.authorizationServers.read", "default",
             parent="authorization_servers", by_parent=True, emit="both",
             item_path="/api/v1/authorizationServers/{parent_id}/policies/{id}",
             relation=Relation("rule_of", End("authorization_server_policy"),
                               End("authorization_server", "parent"))),
    Resource("authorization_server_policy_rules",
             "/api/v1/authorizationServers/{grandparent_id}/policies/{parent_id}/rules",
             "authorization_server_policy_rule", "okta.authorizationServers.read", "default",
             parent="authorization_server_policies", by_parent=True, emit="both",
             relation=Relation("rule_of", End("authorization_server_policy_rule"),
                               End("authorization_server_policy", "parent"))),
    # --- large collections, streamed (an incremental sync reads only what changed) ---
    # expand=stats: each group's _embedded.stats (usersCount, appsCount, hasAdminPrivilege) at no extra request;
    # group_roles are read only for the groups it flags (sync/admin_groups.py)
    Resource("groups", "/api/v1/groups", "group", "okta.groups.read", "groups",
             params=_p(limit="200", expand="stats"), phase="stream", item_path="/api/v1/groups/{id}"),
    Resource("group_roles", "/api/v1/groups/{parent_id}/roles", "role_assignment", "okta.roles.read", "groups",
             parent="groups", by_parent=True, emit="both", fanout=True, phase="stream", admin_role="SUPER_ADMIN",
             principal="group",
             relation=Relation("has_role", End("group", "parent"), End("role_assignment", "self"),
                               ("type", "label", "assignmentType", "status")),
             note="one request per group Okta flags as holding an admin role (groups?expand=stats), within the fan-out "
                  "budget; without the flag, every group within the budget: incomplete (with why) when it runs out"),
    Resource("app_users", "/api/v1/apps/{parent_id}/users", None, "okta.apps.read", "apps",
             params=_p(limit="500"), parent="apps", mode="streamed", phase="stream", emit="relationship",
             visit_parent_key="appId",
             relation=Relation("assigned_to", End("user"), End("app", "parent"),
                               ("scope", "status", "syncState"))),
    Resource("users", "/api/v1/users", "user", "okta.users.read", "users", params=_p(limit="200"),
             variants=USERS_FULL_VARIANTS, mode="streamed", phase="stream"),
    Resource("group_members", "/api/v1/groups/{parent_id}/users", None, "okta.groups.read", "groups",
             params=_p(limit="1000"), parent="groups", mode="streamed", phase="stream", emit="relationship",
             visit_parent_key="groupId",
             relation=Relation("member_of", End("user"), End("group", "parent"))),
    Resource("devices", "/api/v1/devices", "device", "okta.devices.read", "devices", params=_p(limit="200"),
             pipelines=OIE, mode="streamed", phase="stream"),
)

BY_NAME: Mapping[str, Resource] = MappingProxyType({r.name: r for r in RESOURCES})
NAMES: tuple[str, ...] = tuple(r.name for r in RESOURCES)

# Read scopes the connector requests (OAuth) / an API token's admin needs.
SCOPES: tuple[str, ...] = tuple(sorted({r.scope for r in RESOURCES}))


def children_of(name: str) -> list[Resource]:
    return [r for r in RESOURCES if r.parent == name]


def probes() -> list[dict[str, Any]]:
    """One cheap probe per top-level collection, for ``connection.test_connection``.

    Each probe: ``name``, ``path`` (with the query a read needs, e.g. the policy ``type``; the connection
    test adds ``limit=1``), ``scope``, ``pipeline`` (``"idx"`` or ``"v1"`` when the collection exists on one
    pipeline only, else None) and ``admin_role``.
    """
    out = []
    for r in RESOURCES:
        if r.parent:
            continue
        params = {k: v for k, v in r.variants_for(None)[0].items() if k not in ("limit", "filter")}
        path = r.path + ("?" + urlencode(params) if params else "")
        pipeline = next(iter(r.pipelines)) if len(r.pipelines) == 1 else None
        out.append({"name": r.name, "path": path, "scope": r.scope, "pipeline": pipeline,
                    "admin_role": r.admin_role})
    return out
