"""API token checks (``/api/v1/api-tokens``: metadata only, never the secret)."""

from __future__ import annotations

from collections.abc import Iterator

from .admins import role_types, roles_of
from .context import CheckContext, Json
from .policyeval import zone_restriction
from .registry import check, stream_check
from .results import age_days, org_res, res, result, user_ref


def _tokens(ctx: CheckContext) -> list[Json]:
    return ctx.collection("api_tokens").items


def _none(ctx: CheckContext) -> dict:
    return result("pass", org_res(ctx), "No API tokens exist.", {"tokens": 0})


@check("okta-api-token-network")
def token_network(ctx: CheckContext) -> Iterator[dict]:
    toks = _tokens(ctx)
    if not toks:
        yield _none(ctx)
        return
    for t in toks:
        net = t.get("network") or {}
        conn = net.get("connection")
        limited, why = zone_restriction(ctx, net)
        ev = {"network.connection": conn, "include": net.get("include"), "exclude": net.get("exclude"),
              "zones": why}
        if limited is True:
            yield result("pass", res("api_token", t), f"The token is limited to network zones ({why}).", ev)
        elif limited is None:
            yield result("unknown", res("api_token", t), f"Whether token {t.get('name')!r} is limited to network "
                         f"zones cannot be told: {why}.", ev, [user_ref(str(t.get("userId")))])
        else:
            yield result("fail", res("api_token", t), f"Token {t.get('name')!r} can be used from any network "
                         f"({why}).", ev, [user_ref(str(t.get("userId")))])


def _owner_roles(
    ctx: CheckContext, uid: str, admins: set[str] | None
) -> tuple[list[str] | None, str | None]:
    """``(role types, None)`` of a token owner, or ``(None, why)``; ``admins``: every admin's id, when that list
    was read in full (an owner not in it has no role, so nothing is fetched)."""
    if not uid:
        return None, "the token names no owner (userId)"
    roles = roles_of(ctx, uid)
    if roles is not None:
        return role_types(roles), None
    if admins is not None and uid not in admins:
        return [], None  # not an admin at all
    body, why = ctx.fetch(f"/api/v1/users/{uid}/roles")
    if why is None and isinstance(body, list):
        return role_types(body), None
    return None, why or "the roles response is not a list"


@check("okta-api-token-super-admin")
def token_super_admin(ctx: CheckContext) -> Iterator[dict]:
    toks = _tokens(ctx)
    if not toks:
        yield _none(ctx)
        return
    coll = ctx.collection("admin_users")
    admins = {str(a.get("id")) for a in coll.items} if coll.complete else None
    owner_roles: dict[str, tuple[list[str] | None, str | None]] = {}
    for t in toks:
        uid = str(t.get("userId") or "")
        if uid not in owner_roles:
            owner_roles[uid] = _owner_roles(ctx, uid, admins)
        types, why = owner_roles[uid]
        owner = [user_ref(uid)]
        if types is None:
            yield result("unknown", res("api_token", t), f"The roles of the token owner could not be read: {why}.",
                         {"userId": uid, "reason": why}, owner)
        elif "SUPER_ADMIN" in types:
            yield result("fail", res("api_token", t), f"Token {t.get('name')!r} belongs to a Super Administrator.",
                         {"userId": uid, "owner_roles": types}, owner)
        else:
            yield result("pass", res("api_token", t), "The token owner is not a Super Administrator.",
                         {"userId": uid, "owner_roles": types}, owner)


@stream_check("okta-api-token-owner-inactive", stream="users")
class TokenOwnerInactive:
    def __init__(self) -> None:
        self.owners: set[str] | None = None
        self.status: dict[str, str] = {}

    def visit(self, item: Json, ctx: CheckContext) -> Iterator[dict]:
        if self.owners is None:
            self.owners = {str(t.get("userId")) for t in _tokens(ctx) if t.get("userId")}
        uid = str(item.get("id"))
        if uid in self.owners:
            self.status[uid] = str(item.get("status"))
        return iter(())

    def finish(self, ctx: CheckContext) -> Iterator[dict]:
        toks = _tokens(ctx)
        if not toks:
            yield _none(ctx)
            return
        for t in toks:
            uid = str(t.get("userId"))
            st = self.status.get(uid)
            ev = {"userId": uid, "owner_status": st}
            owner = [user_ref(uid)]
            if st is None:
                yield result("unknown", res("api_token", t), "The token owner was not in the users stream.", ev, owner)
            elif st != "ACTIVE":
                yield result("warning", res("api_token", t), f"The owner of token {t.get('name')!r} is {st}; revoke "
                             "the token.", ev, owner)
            else:
                yield result("pass", res("api_token", t), "The token owner is active.", ev, owner)


@check("okta-api-token-stale")
def token_stale(ctx: CheckContext) -> Iterator[dict]:
    toks = _tokens(ctx)
    if not toks:
        yield _none(ctx)
        return
    limit = ctx.t("max_days_unused")
    for t in toks:
        days = age_days(ctx, t.get("lastUpdated"))
        ev = {"lastUpdated": t.get("lastUpdated"), "expiresAt": t.get("expiresAt"), "tokenWindow": t.get("tokenWindow"),
              "threshold_days": limit}
        if days is None:
            yield result("unknown", res("api_token", t), "The token states no lastUpdated.", ev)
        elif days > limit:
            yield result("warning", res("api_token", t), f"Token {t.get('name')!r} unused for {int(days)} days.", ev)
        else:
            yield result("pass", res("api_token", t), f"Token used within {limit} days.", ev)


