"""The read-only endpoints the sandbox serves, as a data table, and their handlers.

Each ``Route`` names its path pattern, OAuth scope (from the spec's ``security``), paging key (see
``pagination.PAGE_LIMITS``), feature name (``Org.missing_features`` answers 401 E0000015) and whether
only a Super Admin may read it. Handlers read the org per request and never copy large collections.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .auth import Principal
from .errors import not_found, okta_error
from .filters import compile_filter, simple_user_filter
from .model import Org
from .pagination import (
    ViewCache,
    decode_cursor,
    encode_cursor,
    page_slice,
    resolve_limit,
    start_position,
    url_with,
)

Json = dict[str, Any]

# Reads refused with 403 E0000006 unless the caller holds SUPER_ADMIN (route names).
SUPER_ADMIN_ONLY: frozenset[str] = frozenset(
    {"org_support", "iam_assignees", "user_roles", "group_roles", "log_streams", "api_tokens"}
)
# Features an Identity Engine org has and a Classic (pipeline "v1") org lacks: 401 E0000015 there.
OIE_ONLY_FEATURES: frozenset[str] = frozenset({"authenticators", "device_assurances"})
# Any of these roles may read the management API (SUPER_ADMIN_ONLY aside).
ADMIN_ROLES: frozenset[str] = frozenset(
    {
        "SUPER_ADMIN", "ORG_ADMIN", "READ_ONLY_ADMIN", "APP_ADMIN", "USER_ADMIN", "GROUP_MEMBERSHIP_ADMIN",
        "HELP_DESK_ADMIN", "MOBILE_ADMIN", "API_ACCESS_MANAGEMENT_ADMIN", "REPORT_ADMIN", "CUSTOM",
    }
)
POLICY_TYPES: frozenset[str] = frozenset(
    {
        "OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY", "PROFILE_ENROLLMENT", "IDP_DISCOVERY",
        "ENTITY_RISK", "POST_AUTH_SESSION", "DEVICE_SIGNAL_COLLECTION", "SESSION_VIOLATION_DETECTION",
        "CLIENT_UPDATE", "IDENTITY_CLAIM_SOURCING", "OAUTH_AUTHORIZATION_POLICY", "USER_LIFECYCLE",
    }
)


@dataclass
class Request:
    org: Org
    base_url: str
    path: str
    raw_path: str  # path + query as received
    params: dict[str, str]
    args: dict[str, str]  # path parameters
    principal: Principal | None
    views: ViewCache


@dataclass
class Reply:
    body: Any
    status: int = 200
    next_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    paged: bool = False  # send Link headers (self, next)
    wrap: str | None = None  # body wrapper key with _links.next (e.g. "value" for /iam/*)
    cursor: str | None = None  # the request's own cursor (for the repeat_cursor fault)


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Route:
    name: str
    template: str
    handler: Handler
    scope: str | None  # None: no authentication
    page: str | None = None
    feature: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile_template(self.template)

    @property
    def super_admin_only(self) -> bool:
        return self.name in SUPER_ADMIN_ONLY


_TEMPLATE_CACHE: dict[str, re.Pattern[str]] = {}


def _compile_template(template: str) -> re.Pattern[str]:
    pat = _TEMPLATE_CACHE.get(template)
    if pat is None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        pat = _TEMPLATE_CACHE[template] = re.compile(f"^{regex}/?$")
    return pat


# ---------------------------------------------------------------------------------------------
# helpers


def _id(obj: Any) -> str:
    return str(obj.get("id")) if isinstance(obj, dict) else str(obj)


def _linked(obj: Json, href: str) -> Json:
    if "_links" in obj:
        return obj
    return {**obj, "_links": {"self": {"href": href}}}


class _Subset(Sequence[Json]):
    """A view of ``items`` at ``indices`` (no copying)."""

    def __init__(self, items: Sequence[Json], indices: Sequence[int]) -> None:
        self.items, self.indices = items, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        if isinstance(i, slice):
            return [self.items[j] for j in self.indices[i]]
        return self.items[self.indices[i]]

    def __iter__(self) -> Iterator[Json]:
        for j in self.indices:
            yield self.items[j]


def paged(
    req: Request,
    key: str,
    items: Sequence[Any],
    *,
    serve: Callable[[Any], Any] | None = None,
    snapshot: int | None = None,
    cursor_obj: Any = None,
) -> Reply:
    limit = resolve_limit(key, req.params.get("limit"))
    after = req.params.get("after")
    cursor = cursor_obj if cursor_obj is not None else (decode_cursor(after) if after else None)
    start = start_position(items, cursor, _id)
    page, nxt = page_slice(items, start, limit)
    next_url = None
    if nxt is not None and page:
        next_url = url_with(req.base_url, req.path, req.params, after=encode_cursor(_id(page[-1]), nxt, snapshot))
    body = [serve(o) for o in page] if serve else page
    return Reply(body, next_url=next_url, paged=True, cursor=after)


def _filtered(req: Request, items: Sequence[Json], param_names: tuple[str, ...] = ("filter", "search")) -> Sequence[Json]:
    for name in param_names:
        expr = req.params.get(name)
        if expr:
            pred = compile_filter(expr)
            return [o for o in items if pred(o)]
    return items


def _q(req: Request, items: Sequence[Json], fields: tuple[str, ...]) -> Sequence[Json]:
    q = req.params.get("q")
    if not q:
        return items
    ql = q.lower()
    out = []
    for o in items:
        for f in fields:
            cur: Any = o
            for part in f.split("."):
                cur = cur.get(part) if isinstance(cur, dict) else None
            if isinstance(cur, str) and cur.lower().startswith(ql):
                out.append(o)
                break
    return out


def find_by_id(items: Sequence[Json], object_id: str) -> Json | None:
    for o in items:
        if o.get("id") == object_id:
            return o
    return None


def find_user(org: Org, id_or_login: str) -> Json | None:
    users = org.users
    id_of = getattr(users, "id_of", None) or (lambda k: users[k].get("id", ""))
    i = bisect.bisect_left(range(len(users)), id_or_login, key=id_of)
    if i < len(users) and id_of(i) == id_or_login:
        return users[i]
    if "@" in id_or_login or not id_or_login.startswith("00u"):
        low = id_or_login.lower()
        for u in users:
            if str(u.get("profile", {}).get("login", "")).lower() == low:
                return u
    return None


def _user_or_404(req: Request) -> Json:
    user = find_user(req.org, req.args["user_id"])
    if user is None:
        raise not_found(req.args["user_id"], "User")
    return user


def _group_or_404(req: Request) -> Json:
    group = find_by_id(req.org.groups, req.args["group_id"])
    if group is None:
        raise not_found(req.args["group_id"], "UserGroup")
    return group


def _app_or_404(req: Request) -> Json:
    app = find_by_id(req.org.apps, req.args["app_id"])
    if app is None:
        raise not_found(req.args["app_id"], "AppInstance")
    return app


def _policy_or_404(req: Request) -> Json:
    pid = req.args["policy_id"]
    for policies in req.org.policies.values():
        p = find_by_id(policies, pid)
        if p is not None:
            return p
    raise not_found(pid, "Policy")


def _as_or_404(req: Request) -> Json:
    server = find_by_id(req.org.authorization_servers, req.args["as_id"])
    if server is None:
        raise not_found(req.args["as_id"], "AuthorizationServer")
    return server


def _user_href(req: Request, uid: str) -> str:
    return f"{req.base_url}/api/v1/users/{uid}"


def _serve_user(req: Request) -> Callable[[Json], Json]:
    return lambda u: _linked(u, _user_href(req, str(u.get("id"))))


# ---------------------------------------------------------------------------------------------
# handlers


def well_known(req: Request) -> Reply:
    return Reply(
        {
            "id": req.org.org.get("id"),
            "pipeline": req.org.pipeline,
            "_links": {"organization": {"href": req.base_url}},
        },
        headers={"Access-Control-Allow-Origin": "*"},
    )


def _const(getter: Callable[[Org], Any]) -> Handler:
    return lambda req: Reply(getter(req.org))


def _ms(ts: Any) -> int | None:
    if not isinstance(ts, str):
        return None
    try:
        d = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp() * 1000)


_CMP: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
}


def user_indices(users: Sequence[Json], expr: str | None, q: str | None = None) -> array:
    """Indices (id order) of the users a listing returns. Status and ``lastUpdated`` filters, and the
    default listing (everyone but DEPROVISIONED), use the sequence's per-user indexes when it has them
    (``status_of``/``last_updated_ms``/``indices_with_status``/``indices_updated_after``, as
    ``users.LazyUsers`` does), so 100,000 users are filtered without building their objects."""
    n = len(users)
    fast = hasattr(users, "status_of") and hasattr(users, "last_updated_ms")
    status_of: Callable[[int], Any] = users.status_of if fast else (lambda i: users[i].get("status"))  # type: ignore[attr-defined]
    updated_of: Callable[[int], Any] = (
        users.last_updated_ms if fast else (lambda i: _ms(users[i].get("lastUpdated")))  # type: ignore[attr-defined]
    )
    if q:
        ql = q.lower()

        def matches(u: Json) -> bool:
            p = u.get("profile") or {}
            return any(str(p.get(f, "")).lower().startswith(ql) for f in ("login", "email", "firstName", "lastName"))

        return array("l", (i for i in range(n) if status_of(i) != "DEPROVISIONED" and matches(users[i])))
    if not expr:  # Okta omits DEPROVISIONED users when neither filter nor search is given
        if hasattr(users, "indices_with_status"):
            gone = set(users.indices_with_status("DEPROVISIONED"))
            return array("l", (i for i in range(n) if i not in gone))
        return array("l", (i for i in range(n) if status_of(i) != "DEPROVISIONED"))
    simple = simple_user_filter(expr)
    if simple is None:
        pred = compile_filter(expr)
        return array("l", (i for i in range(n) if pred(users[i])))
    candidates: Iterable[int] = range(n)
    if simple.statuses is not None and hasattr(users, "indices_with_status"):
        candidates = sorted(set().union(*(users.indices_with_status(s) for s in simple.statuses)))
    elif simple.updated_op in ("gt", "ge") and hasattr(users, "indices_updated_after"):
        candidates = users.indices_updated_after(simple.updated_ms, inclusive=simple.updated_op == "ge")
    out = array("l")
    for i in candidates:
        if simple.statuses is not None and status_of(i) not in simple.statuses:
            continue
        if simple.updated_op is not None:
            updated = updated_of(i)
            if updated is None or not _CMP[simple.updated_op](updated, simple.updated_ms or 0):
                continue
        out.append(i)
    return out


def list_users(req: Request) -> Reply:
    users = req.org.users
    q = req.params.get("q")
    expr = req.params.get("search") or req.params.get("filter")
    after = req.params.get("after")
    cursor = decode_cursor(after) if after else None
    snap = cursor.snapshot if cursor else None
    indices = req.views.get(snap) if snap is not None else None
    if indices is None:
        indices = user_indices(users, expr, q)
        snap = req.views.put(indices)
    view = _Subset(users, indices)
    if q:  # q: default limit 10, no pagination
        limit = resolve_limit("users", req.params.get("limit") or "10")
        return Reply([_serve_user(req)(u) for u in view[: limit or 10]], paged=True)
    return paged(req, "users", view, serve=_serve_user(req), snapshot=snap, cursor_obj=cursor)


def users_me(req: Request) -> Reply:
    uid = req.principal.user_id if req.principal else None
    user = find_user(req.org, uid) if uid else None
    if user is None:
        raise not_found("me", "User")
    return Reply(_serve_user(req)(user))


def get_user(req: Request) -> Reply:
    return Reply(_serve_user(req)(_user_or_404(req)))


def user_factors(req: Request) -> Reply:
    user = _user_or_404(req)
    return Reply(req.org.user_factors.get(str(user["id"]), []))


def user_roles(req: Request) -> Reply:
    user = _user_or_404(req)
    return Reply(req.org.user_roles.get(str(user["id"]), []))


def user_groups(req: Request) -> Reply:
    uid = str(_user_or_404(req)["id"])
    members = req.org.group_members
    return Reply([g for g in req.org.groups if uid in members.get(str(g.get("id")), ())])


def _serve_group(req: Request) -> Callable[[Json], Json]:
    """A group as served; with ``expand=stats`` (``listGroups`` / ``getGroup``) its ``_embedded.stats``, computed
    from the org: ``usersCount`` (members), ``appsCount`` (apps the group is assigned to),
    ``groupPushMappingsCount`` and ``hasAdminPrivilege`` (the group holds an admin role assignment). Real responses
    spell the flag ``hasAdminPrivilege`` (okta/okta-sdk-nodejs#429, okta/okta-sdk-dotnet#447); the spec's schema
    has the typo ``hasAdminPrivlege``."""
    expand = {e.strip() for e in str(req.params.get("expand") or "").split(",")}
    if "stats" not in expand:
        return lambda g: _linked(g, f"{req.base_url}/api/v1/groups/{g.get('id')}")
    org = req.org
    apps_of: dict[str, int] = {}
    for assigned in org.app_groups.values():
        for a in assigned:
            gid = str(a.get("id"))
            apps_of[gid] = apps_of.get(gid, 0) + 1

    def serve(g: Json) -> Json:
        gid = str(g.get("id"))
        href = f"{req.base_url}/api/v1/groups/{gid}"
        out = dict(_linked(g, href))  # a copy: the org's group is never changed
        embedded = dict(out.get("_embedded") or {})
        embedded["stats"] = {
            "usersCount": len(org.group_members.get(gid, ())),
            "appsCount": apps_of.get(gid, 0),
            "groupPushMappingsCount": 0,
            "hasAdminPrivilege": bool(org.group_roles.get(gid)),
            "_links": {"self": {"href": f"{href}/stats"}},
        }
        out["_embedded"] = embedded
        return out

    return serve


def list_groups(req: Request) -> Reply:
    items = _q(req, _filtered(req, req.org.groups), ("profile.name",))
    return paged(req, "groups", items, serve=_serve_group(req))


def get_group(req: Request) -> Reply:
    return Reply(_serve_group(req)(_group_or_404(req)))


def group_members(req: Request) -> Reply:
    gid = str(_group_or_404(req)["id"])
    member_ids = req.org.group_members.get(gid, [])
    org = req.org

    def serve(uid: str) -> Json | None:
        user = find_user(org, uid)
        return _linked(user, _user_href(req, uid)) if user is not None else None

    reply = paged(req, "group_members", member_ids, serve=serve)
    reply.body = [u for u in reply.body if u is not None]  # a member id with no user is skipped
    return reply


def group_roles(req: Request) -> Reply:
    gid = str(_group_or_404(req)["id"])
    return Reply(req.org.group_roles.get(gid, []))


def group_rules(req: Request) -> Reply:
    return paged(req, "group_rules", _q(req, req.org.group_rules, ("name",)))


def _serve_app(req: Request) -> Callable[[Json], Json]:
    return lambda a: _linked(a, f"{req.base_url}/api/v1/apps/{a.get('id')}")


def list_apps(req: Request) -> Reply:
    items = _q(req, _filtered(req, req.org.apps, ("filter",)), ("label", "name"))
    return paged(req, "apps", items, serve=_serve_app(req))


def get_app(req: Request) -> Reply:
    return Reply(_serve_app(req)(_app_or_404(req)))


def app_users(req: Request) -> Reply:
    aid = str(_app_or_404(req)["id"])
    return paged(req, "app_users", req.org.app_users.get(aid, []))


def app_groups(req: Request) -> Reply:
    aid = str(_app_or_404(req)["id"])
    return paged(req, "app_groups", req.org.app_groups.get(aid, []))


def list_policies(req: Request) -> Reply:
    ptype = req.params.get("type")
    if not ptype:
        raise okta_error("E0000001", "Api validation failed: type", causes=["type: The field cannot be left blank"])
    if ptype not in POLICY_TYPES:
        raise okta_error("E0000001", "Api validation failed: type", causes=[f"type: Invalid policy type {ptype}"])
    items = req.org.policies.get(ptype, [])
    status = req.params.get("status")
    if status:
        items = [p for p in items if p.get("status") == status]
    return paged(req, "policies", items, serve=lambda p: _linked(p, f"{req.base_url}/api/v1/policies/{p.get('id')}"))


def get_policy(req: Request) -> Reply:
    return Reply(_policy_or_404(req))


def policy_rules(req: Request) -> Reply:
    pid = str(_policy_or_404(req)["id"])
    return paged(req, "policy_rules", req.org.policy_rules.get(pid, []))


def policy_mappings(req: Request) -> Reply:
    pid = str(_policy_or_404(req)["id"])
    return Reply(req.org.policy_mappings.get(pid, []))


def org_contact_user(req: Request) -> Reply:
    """``GET /api/v1/org/contacts/{contactType}`` (``getOrgContactUser``): the contact type's user id. The path
    segment is the lower-case name the list's ``_links`` use (``technical``); the spec's enum is upper case, so
    both are accepted. A contact type the org does not list is a 404."""
    ctype = req.args["contact_type"].upper()
    if ctype not in {str(c.get("contactType")) for c in req.org.org_contacts}:
        raise not_found(req.args["contact_type"], "OrgContactType")
    uid = req.org.org_contact_users.get(ctype)
    if not uid:
        return Reply({"_links": {}})
    return Reply({"userId": uid, "_links": {"user": {"href": _user_href(req, uid)}}})


def first_party_app_settings(req: Request) -> Reply:
    if req.args["app_name"] != "admin-console":
        raise not_found(req.args["app_name"], "FirstPartyAppSettings")
    return Reply(req.org.admin_console_settings)


def _simple_list(getter: Callable[[Org], Sequence[Json]], page: str | None = None, filterable: bool = False,
                 filter_params: tuple[str, ...] = ("filter",)) -> Handler:
    def handler(req: Request) -> Reply:
        items = getter(req.org)
        if filterable:
            items = _filtered(req, items, filter_params)
        if page:
            return paged(req, page, items)
        return Reply(list(items))

    return handler


def get_authorization_server(req: Request) -> Reply:
    return Reply(_as_or_404(req))


def as_policies(req: Request) -> Reply:
    asid = str(_as_or_404(req)["id"])
    return Reply(req.org.as_policies.get(asid, []))


def get_as_policy(req: Request) -> Reply:
    asid = str(_as_or_404(req)["id"])
    pid = req.args["policy_id"]
    policy = find_by_id(req.org.as_policies.get(asid, []), pid)
    if policy is None:
        raise not_found(pid, "AuthorizationServerPolicy")
    return Reply(policy)


def as_policy_rules(req: Request) -> Reply:
    asid = str(_as_or_404(req)["id"])
    pid = req.args["policy_id"]
    if find_by_id(req.org.as_policies.get(asid, []), pid) is None:
        raise not_found(pid, "AuthorizationServerPolicy")
    return Reply(req.org.as_policy_rules.get(f"{asid}/{pid}", []))


def iam_assignees(req: Request) -> Reply:
    org = req.org
    org_id = org.org.get("id", "")
    assignee_ids = sorted(uid for uid, roles in org.user_roles.items() if roles)

    def serve(uid: str) -> Json:
        return {
            "id": uid,
            "orn": f"orn:okta:directory:{org_id}:users:{uid}",
            "_links": {
                "self": {"href": _user_href(req, uid)},
                "roles": {"href": f"{_user_href(req, uid)}/roles"},
            },
        }

    reply = paged(req, "iam_assignees", assignee_ids, serve=serve)
    reply.paged = False  # the next link travels in the body wrapper, not in a Link header
    reply.wrap = "value"
    return reply


def inline_hooks(req: Request) -> Reply:
    hooks = req.org.inline_hooks
    htype = req.params.get("type")
    return Reply([h for h in hooks if not htype or h.get("type") == htype])


def list_logs(req: Request) -> Reply:
    """System Log: polling queries (no ``until``) always carry a ``next`` link, even past the end."""
    events: Sequence[Json] = req.org.logs
    since, until = req.params.get("since"), req.params.get("until")
    if since or until or req.params.get("filter"):
        pred = compile_filter(req.params["filter"]) if req.params.get("filter") else None
        events = [
            e for e in events
            if (not since or str(e.get("published", "")) >= since)
            and (not until or str(e.get("published", "")) < until)
            and (pred is None or pred(e))
        ]
    if req.params.get("sortOrder", "ASCENDING").upper() == "DESCENDING":
        events = list(reversed(events))
    limit = resolve_limit("logs", req.params.get("limit"))
    after = req.params.get("after")
    cursor = decode_cursor(after) if after else None

    def uuid_of(e: Any) -> str:
        return str(e.get("uuid")) if isinstance(e, dict) else str(e)

    start = start_position(events, cursor, uuid_of)
    page, nxt = page_slice(events, start, limit)
    next_url = None
    if nxt is not None and page:
        next_url = url_with(req.base_url, req.path, req.params, after=encode_cursor(uuid_of(page[-1]), nxt))
    elif not until:  # polling: a next link is always present
        last = uuid_of(page[-1]) if page else (cursor.last_id if cursor else "")
        next_url = url_with(req.base_url, req.path, req.params, after=encode_cursor(last, start + len(page)))
    return Reply(page, next_url=next_url, paged=True, cursor=after)


# ---------------------------------------------------------------------------------------------
# the table (order matters where templates overlap: literal segments first)

ROUTES: list[Route] = [
    Route("well_known", "/.well-known/okta-organization", well_known, None),
    Route("org", "/api/v1/org", _const(lambda o: o.org), "okta.orgs.read"),
    Route("org_support", "/api/v1/org/privacy/oktaSupport", _const(lambda o: o.org_support), "okta.orgs.read"),
    Route("org_contacts", "/api/v1/org/contacts", _const(lambda o: o.org_contacts), "okta.orgs.read"),
    Route("org_contact_user", "/api/v1/org/contacts/{contact_type}", org_contact_user, "okta.orgs.read"),
    Route("org_factors", "/api/v1/org/factors", _simple_list(lambda o: o.org_factors, filterable=True),
          "okta.orgs.read", feature="org_factors"),
    Route("users", "/api/v1/users", list_users, "okta.users.read", page="users"),
    Route("users_me", "/api/v1/users/me", users_me, "okta.users.read"),
    Route("user", "/api/v1/users/{user_id}", get_user, "okta.users.read"),
    Route("user_factors", "/api/v1/users/{user_id}/factors", user_factors, "okta.users.read", feature="user_factors"),
    Route("user_roles", "/api/v1/users/{user_id}/roles", user_roles, "okta.roles.read", feature="user_roles"),
    Route("user_groups", "/api/v1/users/{user_id}/groups", user_groups, "okta.users.read"),
    Route("group_rules", "/api/v1/groups/rules", group_rules, "okta.groups.read", page="group_rules",
          feature="group_rules"),
    Route("groups", "/api/v1/groups", list_groups, "okta.groups.read", page="groups"),
    Route("group", "/api/v1/groups/{group_id}", get_group, "okta.groups.read"),
    Route("group_members", "/api/v1/groups/{group_id}/users", group_members, "okta.groups.read",
          page="group_members"),
    Route("group_roles", "/api/v1/groups/{group_id}/roles", group_roles, "okta.roles.read", feature="group_roles"),
    Route("apps", "/api/v1/apps", list_apps, "okta.apps.read", page="apps"),
    Route("app", "/api/v1/apps/{app_id}", get_app, "okta.apps.read"),
    Route("app_users", "/api/v1/apps/{app_id}/users", app_users, "okta.apps.read", page="app_users"),
    Route("app_groups", "/api/v1/apps/{app_id}/groups", app_groups, "okta.apps.read", page="app_groups"),
    Route("policies", "/api/v1/policies", list_policies, "okta.policies.read", page="policies"),
    Route("policy", "/api/v1/policies/{policy_id}", get_policy, "okta.policies.read"),
    Route("policy_rules", "/api/v1/policies/{policy_id}/rules", policy_rules, "okta.policies.read",
          page="policy_rules"),
    Route("policy_mappings", "/api/v1/policies/{policy_id}/mappings", policy_mappings, "okta.policies.read"),
    Route("first_party_app_settings", "/api/v1/first-party-app-settings/{app_name}", first_party_app_settings,
          "okta.apps.read", feature="admin_console_settings"),
    Route("authenticators", "/api/v1/authenticators", _simple_list(lambda o: o.authenticators),
          "okta.authenticators.read", feature="authenticators"),
    Route("zones", "/api/v1/zones", _simple_list(lambda o: o.zones, "zones", filterable=True),
          "okta.networkZones.read", page="zones", feature="zones"),
    Route("idps", "/api/v1/idps", _simple_list(lambda o: o.idps, "idps"), "okta.idps.read", page="idps",
          feature="idps"),
    Route("authorization_servers", "/api/v1/authorizationServers",
          _simple_list(lambda o: o.authorization_servers, "authorization_servers"),
          "okta.authorizationServers.read", page="authorization_servers", feature="authorization_servers"),
    Route("authorization_server", "/api/v1/authorizationServers/{as_id}", get_authorization_server,
          "okta.authorizationServers.read", feature="authorization_servers"),
    Route("as_policies", "/api/v1/authorizationServers/{as_id}/policies", as_policies,
          "okta.authorizationServers.read", feature="authorization_servers"),
    Route("as_policy", "/api/v1/authorizationServers/{as_id}/policies/{policy_id}", get_as_policy,
          "okta.authorizationServers.read", feature="authorization_servers"),
    Route("as_policy_rules", "/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules", as_policy_rules,
          "okta.authorizationServers.read", feature="authorization_servers"),
    Route("iam_assignees", "/api/v1/iam/assignees/users", iam_assignees, "okta.roles.read", page="iam_assignees"),
    Route("api_tokens", "/api/v1/api-tokens", _simple_list(lambda o: o.api_tokens), "okta.apiTokens.read",
          feature="api_tokens"),
    Route("trusted_origins", "/api/v1/trustedOrigins", _simple_list(lambda o: o.trusted_origins, "trusted_origins"),
          "okta.trustedOrigins.read", page="trusted_origins", feature="trusted_origins"),
    Route("event_hooks", "/api/v1/eventHooks", _simple_list(lambda o: o.event_hooks), "okta.eventHooks.read",
          feature="event_hooks"),
    Route("inline_hooks", "/api/v1/inlineHooks", inline_hooks, "okta.inlineHooks.read", feature="inline_hooks"),
    Route("log_streams", "/api/v1/logStreams", _simple_list(lambda o: o.log_streams, "log_streams"),
          "okta.logStreams.read", page="log_streams", feature="log_streams"),
    Route("threat_insight", "/api/v1/threats/configuration", _const(lambda o: o.threat_insight),
          "okta.threatInsights.read", feature="threat_insight"),
    Route("behaviors", "/api/v1/behaviors", _simple_list(lambda o: o.behaviors), "okta.behaviors.read",
          feature="behaviors"),
    Route("device_assurances", "/api/v1/device-assurances", _simple_list(lambda o: o.device_assurances),
          "okta.deviceAssurance.read", feature="device_assurances"),
    Route("devices", "/api/v1/devices",
          _simple_list(lambda o: o.devices, "devices", filterable=True, filter_params=("search",)), "okta.devices.read",
          page="devices", feature="devices"),
    Route("logs", "/api/v1/logs", list_logs, "okta.logs.read", page="logs", feature="logs"),
]

TOKEN_PATH = "/oauth2/v1/token"


def match(path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        m = route.pattern.match(path)
        if m:
            return route, m.groupdict()
    return None
