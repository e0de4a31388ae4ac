"""Administrator checks: role counts, admins' factors (budgeted fan-out, Super Admins first), stale admins,
admin groups, Okta Support access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .context import CheckContext, Json
from .registry import check, stream_check
from .results import age_days, login_ref, org_res, result, unknown_collection, user_ref

PHISHING_RESISTANT_FACTORS = ("webauthn", "u2f", "signed_nonce")


def admin_ids(ctx: CheckContext) -> list[str]:
    return [str(a.get("id")) for a in ctx.collection("admin_users").items if a.get("id")]


def roles_of(ctx: CheckContext, uid: str) -> list[Json] | None:
    """The roles read for admin ``uid``; None when they were not read (never taken as none)."""
    return ctx.collection("user_roles").children(uid)


def role_types(roles: list[Json]) -> list[str]:
    return [str(r.get("type")) for r in roles if r.get("status", "ACTIVE") == "ACTIVE"]


ADMIN_LOGINS = "admin_logins"  # ctx.cache: admin id -> login, noted as the users stream passes (_AdminStream)


def admin_ref(ctx: CheckContext, uid: str) -> dict:
    """An admin named by login when the users stream showed it (the admin list, /iam/assignees/users, has ids
    only; the org-level checks run after the stream), else by id."""
    login = (ctx.cache.get(ADMIN_LOGINS) or {}).get(uid)
    return {"type": "user", "uid": uid, "name": login} if login else user_ref(uid)


def super_admins(ctx: CheckContext) -> tuple[list[str], list[str]]:
    """(super admin ids, admin ids whose roles were not read)."""
    supers, unread = [], []
    for uid in admin_ids(ctx):
        roles = roles_of(ctx, uid)
        if roles is None:
            unread.append(uid)
        elif "SUPER_ADMIN" in role_types(roles):
            supers.append(uid)
    return supers, unread


@check("okta-admin-super-admin-count")
def super_admin_count(ctx: CheckContext) -> Iterator[dict]:
    supers, unread = super_admins(ctx)
    mx, warn = ctx.t("max_super_admins"), ctx.t("warn_super_admins")
    ev = {"super_admins": len(supers), "admins": len(admin_ids(ctx)), "roles_not_read": len(unread),
          "threshold": mx, "warn_threshold": warn}
    related = [admin_ref(ctx, u) for u in supers[:50]]
    if len(supers) > mx:
        yield result("fail", org_res(ctx), f"{len(supers)} Super Administrators; the {ctx.profile} profile allows at "
                     f"most {mx}.", ev, related)
    elif unread:
        yield result("unknown", org_res(ctx), f"{len(supers)} Super Administrators found, but the roles of "
                     f"{len(unread)} admins were not read.", ev, related)
    elif len(supers) > warn:
        yield result("warning", org_res(ctx), f"{len(supers)} Super Administrators (more than {warn}).", ev, related)
    else:
        yield result("pass", org_res(ctx), f"{len(supers)} Super Administrators (at most {warn}).", ev, related)


@check("okta-admin-super-admin-share")
def super_admin_share(ctx: CheckContext) -> Iterator[dict]:
    supers, unread = super_admins(ctx)
    admins = len(admin_ids(ctx))
    mx, min_admins = ctx.t("max_share_percent"), ctx.t("min_admins")
    share = round(100.0 * len(supers) / admins, 1) if admins else 0.0
    ev = {"super_admins": len(supers), "admins": admins, "share_percent": share, "threshold": mx,
          "min_admins": min_admins, "roles_not_read": len(unread)}
    if unread:
        yield result("unknown", org_res(ctx), f"The roles of {len(unread)} admins were not read.", ev)
    elif admins < min_admins:
        yield result("pass", org_res(ctx), f"Only {admins} administrators; the share rule applies from "
                     f"{min_admins}.", ev)
    elif share > mx:
        yield result("fail", org_res(ctx), f"{share}% of administrators are Super Admins (more than {mx}%).", ev)
    else:
        yield result("pass", org_res(ctx), f"{share}% of administrators are Super Admins (at most {mx}%).", ev)


def _admins_in_order(ctx: CheckContext) -> list[str]:
    supers, _ = super_admins(ctx)
    s = set(supers)
    return supers + [u for u in admin_ids(ctx) if u not in s]


def factors_of(ctx: CheckContext, uid: str) -> tuple[list[Json] | None, str | None]:
    coll = ctx.collection("user_factors")
    if uid in coll.by_parent:
        return coll.by_parent[uid], None
    body, why = ctx.fetch(f"/api/v1/users/{uid}/factors")
    if why:
        return None, why
    if not isinstance(body, list):
        return None, "the factors response is not a list"
    return body, None


def _per_admin_factors(ctx: CheckContext, judge) -> Iterator[dict]:
    admins = _admins_in_order(ctx)
    if not admins:
        coll = ctx.collection("admin_users")
        yield result("unknown", org_res(ctx), "No administrator was listed by /api/v1/iam/assignees/users; every org "
                     "has at least one, so the list was not readable.", {"collection": coll.status})
        return
    supers = set(super_admins(ctx)[0])
    for uid in admins:
        factors, why = factors_of(ctx, uid)
        ref = admin_ref(ctx, uid)
        if factors is None:
            yield result("unknown", ref, f"The factors of admin {ref['name']} could not be read: {why}.",
                         {"super_admin": uid in supers, "reason": why})
            continue
        active = sorted({str(f.get("factorType")) for f in factors if f.get("status") == "ACTIVE"})
        status, msg = judge(active)
        yield result(status, ref, msg, {"active_factor_types": active, "super_admin": uid in supers})


@check("okta-admin-no-mfa")
def admin_no_mfa(ctx: CheckContext) -> Iterator[dict]:
    def judge(active: list[str]) -> tuple[str, str]:
        if active:
            return "pass", f"Admin has active factors: {', '.join(active)}."
        return "fail", "Admin has no active MFA factor."

    yield from _per_admin_factors(ctx, judge)


@check("okta-admin-phishing-resistant-factor")
def admin_pr_factor(ctx: CheckContext) -> Iterator[dict]:
    def judge(active: list[str]) -> tuple[str, str]:
        pr = [f for f in active if f in PHISHING_RESISTANT_FACTORS]
        if pr:
            return "pass", f"Admin has a phishing-resistant factor: {', '.join(pr)}."
        if active:
            return "warning", f"Admin has only non-phishing-resistant factors: {', '.join(active)}."
        return "fail", "Admin has no active factor at all."

    yield from _per_admin_factors(ctx, judge)


class _AdminStream:
    """Shared state for stream checks over admin users: which admins were seen, counts."""

    def __init__(self) -> None:
        self.admins: set[str] | None = None
        self.seen: set[str] = set()
        self.bad = 0

    def _is_admin(self, item: Json, ctx: CheckContext) -> bool:
        if self.admins is None:
            self.admins = set(admin_ids(ctx))
        uid = str(item.get("id"))
        if uid in self.admins:
            self.seen.add(uid)
            login = (item.get("profile") or {}).get("login") if isinstance(item.get("profile"), dict) else None
            if isinstance(login, str) and login:
                ctx.cache.setdefault(ADMIN_LOGINS, {})[uid] = login
            return True
        return False

    def summary(self, ctx: CheckContext, what: str, ev: dict[str, Any]) -> Iterator[dict]:
        admins = self.admins if self.admins is not None else set(admin_ids(ctx))
        missing = sorted(admins - self.seen)
        ev = {**ev, "admins": len(admins), "failing": self.bad, "admins_not_seen": len(missing),
              "objects_checked": len(self.seen)}  # failing admins only are results: how many were judged
        if not admins:
            yield unknown_collection(ctx, ctx.collection("admin_users"))
        elif self.bad:
            yield result("fail", org_res(ctx), f"{self.bad} of {len(admins)} administrators {what}.", ev)
        elif missing:
            yield result("unknown", org_res(ctx), f"{len(missing)} administrators were not in the users stream.",
                         {**ev, "not_seen": missing[:20]})
        else:
            yield result("pass", org_res(ctx), f"No administrator {what}.", ev)


@stream_check("okta-admin-stale", stream="users")
class StaleAdmins(_AdminStream):
    def visit(self, item: Json, ctx: CheckContext) -> Iterator[dict]:
        if not self._is_admin(item, ctx):
            return
        limit = ctx.t("max_days_since_login")
        status, last = item.get("status"), item.get("lastLogin")
        days = age_days(ctx, last)
        ev = {"status": status, "lastLogin": last, "days_since_login": None if days is None else int(days),
              "threshold_days": limit}
        ref = login_ref(item)
        if status != "ACTIVE":
            self.bad += 1
            yield result("fail", ref, f"Administrator account is {status} but keeps its admin role.", ev)
        elif last is None:
            self.bad += 1
            yield result("fail", ref, "Administrator has never signed in.", ev)
        elif days is not None and days > limit:
            self.bad += 1
            yield result("fail", ref, f"Administrator last signed in {int(days)} days ago (limit {limit}).", ev)

    def finish(self, ctx: CheckContext) -> Iterator[dict]:
        yield from self.summary(ctx, "are inactive, unused or stale",
                                {"threshold_days": ctx.t("max_days_since_login")})


@stream_check("okta-admin-password-age", stream="users")
class AdminPasswordAge(_AdminStream):
    def visit(self, item: Json, ctx: CheckContext) -> Iterator[dict]:
        if not self._is_admin(item, ctx):
            return
        limit = ctx.t("max_password_age_days")
        changed = item.get("passwordChanged")
        days = age_days(ctx, changed)
        if days is not None and days > limit:
            self.bad += 1
            yield result("warning", login_ref(item),
                         f"Administrator password unchanged for {int(days)} days (limit {limit}).",
                         {"passwordChanged": changed, "days": int(days), "threshold_days": limit})

    def finish(self, ctx: CheckContext) -> Iterator[dict]:
        for r in self.summary(ctx, "have passwords older than the limit",
                              {"threshold_days": ctx.t("max_password_age_days")}):
            if r["status"] == "fail":
                r["status"] = "warning"
            yield r


@stream_check("okta-admin-group-size", stream="group_members")
class AdminGroupSize:
    """Groups holding an admin role (``group_roles``, read per group within the fan-out budget) and their member
    counts (``group_members``, streamed per group). A group whose roles or whose members were not read is never
    counted as small: it is unknown, and so is the claim that no group holds an admin role."""

    def __init__(self) -> None:
        self.groups: dict[str, list[str]] | None = None
        self.counts: dict[str, int] = {}

    def _admin_groups(self, ctx: CheckContext) -> dict[str, list[str]]:
        if self.groups is None:
            roles = ctx.collection("group_roles")
            self.groups = {}
            for gid in roles.by_parent:
                kids = roles.children(gid)
                if kids is not None and role_types(kids):
                    self.groups[gid] = role_types(kids)
        return self.groups

    def visit(self, item: Json, ctx: CheckContext) -> Iterator[dict]:
        gid = str(item.get("groupId"))
        if gid in self._admin_groups(ctx):
            self.counts[gid] = self.counts.get(gid, 0) + 1
        return iter(())

    def finish(self, ctx: CheckContext) -> Iterator[dict]:
        limit = ctx.t("max_members")
        groups = self._admin_groups(ctx)
        roles, members = ctx.collection("group_roles"), ctx.collection("group_members")
        names = {str(g.get("id")): str((g.get("profile") or {}).get("name", "")) for g in
                 ctx.collection("groups").items}
        roles_unread = sorted(roles.gaps)
        all_groups = ctx.collection("groups")
        if not groups:
            if roles_unread or not roles.readable or not all_groups.complete:
                why = roles.why() if roles.status != "complete" else all_groups.why()
                yield result("unknown", org_res(ctx), f"No group read holds an admin role, but not every group's "
                             f"roles were read ({why}).",
                             {"admin_groups": 0, "groups_roles_not_read": roles_unread[:20]})
            else:
                yield result("pass", org_res(ctx), "No group holds an admin role.", {"admin_groups": 0})
            return
        for gid, types in groups.items():
            n = self.counts.get(gid, 0)
            ref = {"type": "group", "uid": gid, "name": names.get(gid, gid)}
            ev = {"members": n, "roles": types, "threshold": limit}
            if n > limit:
                yield result("warning", ref, f"Group with admin roles {', '.join(types)} has {n} members "
                             f"(more than {limit}).", ev)
            elif gid in members.gaps or not members.readable:
                gap = members.gap(gid)
                yield result("unknown", ref, f"The members of group {names.get(gid, gid)!r}, which holds admin roles "
                             f"{', '.join(types)}, were not all read: {gap.sentence()}.",
                             {**ev, "unread": gap.evidence()})
            else:
                yield result("pass", ref, f"Group with admin roles has {n} members (at most {limit}).", ev)
        if roles_unread or not all_groups.complete:
            why = roles.gap(roles_unread[0]).sentence() if roles_unread else all_groups.why()
            yield result("unknown", org_res(ctx), f"The roles of some groups were not read, so groups holding admin "
                         f"roles may be missing: {why}.",
                         {"groups_roles_not_read": roles_unread[:20], "count": len(roles_unread)})


@check("okta-support-access")
def support_access(ctx: CheckContext) -> Iterator[dict]:
    obj = ctx.collection("org_support").first()
    if obj is None:
        yield unknown_collection(ctx, ctx.collection("org_support"))
        return
    val, exp = obj.get("support"), obj.get("expiration")
    ev = {"support": val, "expiration": exp, "caseNumber": obj.get("caseNumber")}
    if val == "ENABLED":
        yield result("warning", org_res(ctx), f"Okta Support can sign in to the org as an admin until {exp}.", ev)
    elif val == "DISABLED":
        yield result("pass", org_res(ctx), "Okta Support access is not granted.", ev)
    else:
        yield result("unknown", org_res(ctx), "The Okta Support setting states no known value.", ev)
