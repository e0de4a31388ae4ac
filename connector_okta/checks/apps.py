"""Apps, trusted origins, authorization servers and hooks."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from .context import CheckContext, Gap, Json
from .registry import check
from .results import dig, org_res, res, result, whole

INSECURE_GRANTS = ("implicit", "password")
LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


def _app_ref(a: Json) -> dict:
    return res("app", a, name_key="label")


@check("okta-app-insecure-grants")
def insecure_grants(ctx: CheckContext) -> Iterator[dict]:
    oidc = [a for a in ctx.collection("apps").items if isinstance(dig(a, "settings.oauthClient.grant_types"), list)]
    if not oidc:
        yield result("pass", org_res(ctx), "No OAuth/OIDC app is configured.", {"oidc_apps": 0})
        return
    for a in oidc:
        grants = dig(a, "settings.oauthClient.grant_types")
        bad = [g for g in grants if g in INSECURE_GRANTS]
        ev = {"grant_types": grants, "status": a.get("status")}
        if not bad:
            yield result("pass", _app_ref(a), "The app uses no implicit or password grant.", ev)
        elif a.get("status") == "ACTIVE":
            yield result("fail", _app_ref(a), f"Active app allows the {', '.join(bad)} grant.", ev)
        else:
            yield result("warning", _app_ref(a), f"Inactive app allows the {', '.join(bad)} grant.", ev)


def _insecure_origin(origin: str) -> str | None:
    if "*" in origin:
        return "contains a wildcard"
    try:
        u = urlsplit(origin)
    except ValueError:
        return "is not a valid URL"
    if u.scheme == "http" and u.hostname not in LOOPBACK:
        return "uses plain http"
    return None


@check("okta-trusted-origin-insecure")
def trusted_origins(ctx: CheckContext) -> Iterator[dict]:
    items = [o for o in ctx.collection("trusted_origins").items if o.get("status") == "ACTIVE"]
    if not items:
        yield result("pass", org_res(ctx), "No ACTIVE trusted origin.", {"trusted_origins": 0})
        return
    for o in items:
        origin = str(o.get("origin", ""))
        why = _insecure_origin(origin)
        ev = {"origin": origin, "scopes": [s.get("type") for s in o.get("scopes") or [] if isinstance(s, dict)]}
        if why:
            yield result("fail", res("trusted_origin", o), f"Trusted origin {origin} {why}.", ev)
        else:
            yield result("pass", res("trusted_origin", o), f"Trusted origin {origin} is https without wildcards.", ev)


@check("okta-app-provisioning-deprovisioning")
def provisioning(ctx: CheckContext) -> Iterator[dict]:
    prov = [a for a in ctx.collection("apps").items
            if a.get("status") == "ACTIVE" and "PUSH_NEW_USERS" in (a.get("features") or [])]
    if not prov:
        yield result("pass", org_res(ctx), "No active app provisions users.", {"provisioning_apps": 0})
        return
    for a in prov:
        feats = a.get("features") or []
        ev = {"features": feats}
        if "PUSH_USER_DEACTIVATION" in feats:
            yield result("pass", _app_ref(a), "The app deactivates the users it provisions.", ev)
        else:
            yield result("fail", _app_ref(a), "The app creates users but does not deactivate them.", ev)


@check("okta-app-inactive")
def inactive_apps(ctx: CheckContext) -> Iterator[dict]:
    apps = ctx.collection("apps").items
    inactive = [a for a in apps if a.get("status") == "INACTIVE"]
    for a in inactive:
        yield result("warning", _app_ref(a), "The app is inactive; delete it if unused.", {"status": "INACTIVE"})
    if not inactive:
        yield result("pass", org_res(ctx), "No inactive apps.", {"apps": len(apps)})


def _as_rules(ctx: CheckContext) -> Iterator[tuple[Json, Json, Json | None, Gap | None]]:
    """``(server, policy, rule, None)`` for every ACTIVE rule of every ACTIVE policy of every ACTIVE authorization
    server; ``(server, policy_or_server, None, gap)`` where the policies of a server or the rules of a policy are
    unknown (their read failed)."""
    pols = ctx.collection("authorization_server_policies")
    rules = ctx.collection("authorization_server_policy_rules")
    for srv in ctx.collection("authorization_servers").items:
        if srv.get("status") != "ACTIVE":
            continue
        sid = str(srv.get("id"))
        policies = pols.children(sid)
        if policies is None:
            yield srv, srv, None, pols.gap(sid)
            continue
        for pol in policies:
            if pol.get("status") != "ACTIVE":
                continue
            pid = str(pol.get("id"))
            kids = rules.children(pid)
            if kids is None:
                yield srv, pol, None, rules.gap(pid)
                continue
            for rule in kids:
                if rule.get("status") != "INACTIVE":
                    yield srv, pol, rule, None


def _as_ref(rule: Json, pol: Json) -> dict:
    return {"type": "authorization_server_policy_rule", "uid": str(rule.get("id")), "name": str(rule.get("name")),
            "parent_uid": str(pol.get("id"))}


def _as_unread(srv: Json, obj: Json, gap: Gap) -> dict:
    kind = "authorization_server" if obj is srv else "authorization_server_policy"
    what = "policies of authorization server" if obj is srv else "rules of authorization server policy"
    ref = {"type": kind, "uid": str(obj.get("id")), "name": str(obj.get("name"))}
    if obj is not srv:
        ref["parent_uid"] = str(srv.get("id"))
    return result("unknown", ref, f"The {what} {obj.get('name')!r} are unknown: {gap.sentence()}.",
                  {"unread": gap.evidence(), "authorization_server": srv.get("name")})


@check("okta-authz-server-insecure-grants")
def as_grants(ctx: CheckContext) -> Iterator[dict]:
    any_rule = unread = False
    for srv, pol, rule, gap in _as_rules(ctx):
        if rule is None:
            unread = True
            yield _as_unread(srv, pol, gap)
            continue
        any_rule = True
        grants = dig(rule, "conditions.grantTypes.include")
        ev = {"grantTypes": grants, "authorization_server": srv.get("name"), "policy": pol.get("name")}
        rel = [res("authorization_server", srv)]
        if not isinstance(grants, list):
            yield result("unknown", _as_ref(rule, pol), f"Access rule {rule.get('name')!r} states no grant types "
                         "(conditions.grantTypes.include).", ev, rel)
            continue
        bad = [g for g in grants if g in INSECURE_GRANTS]
        if bad:
            yield result("fail", _as_ref(rule, pol), f"Access rule {rule.get('name')!r} of {srv.get('name')!r} "
                         f"allows the {', '.join(bad)} grant.", ev, rel)
        else:
            yield result("pass", _as_ref(rule, pol), "The access rule allows no implicit or password grant.", ev, rel)
    if not any_rule and not unread:
        yield result("pass", org_res(ctx), "No ACTIVE authorization server access rule.", {"rules": 0})


@check("okta-authz-server-token-lifetime")
def as_lifetime(ctx: CheckContext) -> Iterator[dict]:
    max_at, max_rt = ctx.t("max_access_token_minutes"), ctx.t("max_refresh_token_minutes")
    any_rule = unread = False
    for srv, pol, rule, gap in _as_rules(ctx):
        if rule is None:
            unread = True
            yield _as_unread(srv, pol, gap)
            continue
        any_rule = True
        at_read = dig(rule, "actions.token.accessTokenLifetimeMinutes")
        rt_read = dig(rule, "actions.token.refreshTokenLifetimeMinutes")
        at, rt = whole(at_read), whole(rt_read)  # 60.0 is 60
        ev = {"accessTokenLifetimeMinutes": at_read, "refreshTokenLifetimeMinutes": rt_read, "max_access": max_at,
              "max_refresh": max_rt, "authorization_server": srv.get("name")}
        rel = [res("authorization_server", srv)]
        problems = []
        if at is not None and at > max_at:
            problems.append(f"access tokens live {at} minutes")
        if rt is not None and (rt == 0 or rt > max_rt):
            problems.append("refresh tokens never expire" if rt == 0 else f"refresh tokens live {rt} minutes")
        if problems:
            yield result("warning", _as_ref(rule, pol), f"Rule {rule.get('name')!r}: {'; '.join(problems)}.", ev, rel)
        elif at is None or rt is None:
            yield result("unknown", _as_ref(rule, pol), "The rule does not state both token lifetimes.", ev, rel)
        else:
            yield result("pass", _as_ref(rule, pol), "Token lifetimes are bounded.", ev, rel)
    if not any_rule and not unread:
        yield result("pass", org_res(ctx), "No ACTIVE authorization server access rule.", {"rules": 0})


@check("okta-hook-insecure-endpoint")
def hooks(ctx: CheckContext) -> Iterator[dict]:
    any_hook = False
    for coll, rtype in (("event_hooks", "event_hook"), ("inline_hooks", "inline_hook")):
        for h in ctx.collection(coll).items:
            if h.get("status") != "ACTIVE":
                continue
            any_hook = True
            uri = str(dig(h, "channel.config.uri") or "")
            ev = {"uri": uri}
            if uri.lower().startswith("https://"):
                yield result("pass", res(rtype, h), "The hook calls an https endpoint.", ev)
            elif uri:
                yield result("fail", res(rtype, h), f"Hook {h.get('name')!r} calls {uri} without TLS.", ev)
            else:
                yield result("unknown", res(rtype, h), "The hook states no channel.config.uri.", ev)
    if not any_hook:
        yield result("pass", org_res(ctx), "No ACTIVE event or inline hook.", {"hooks": 0})
