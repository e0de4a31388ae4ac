"""User stream checks: judged one user at a time, keeping only counts. Per-user results for failures only, plus
one org-level summary (pass/fail aggregate) at the end, so 100k users never make 100k pass results."""

from __future__ import annotations

from collections.abc import Iterator

from .context import CheckContext, Json
from .registry import stream_check
from .results import age_days, login_ref, org_res, result

ATTENTION = ("LOCKED_OUT", "RECOVERY", "PASSWORD_EXPIRED", "SUSPENDED")


@stream_check("okta-user-inactive", stream="users")
class InactiveUsers:
    def __init__(self) -> None:
        self.active = 0
        self.bad = 0
        self.never = 0
        self.undated = 0  # ACTIVE users with no readable lastLogin, activated or created date

    def visit(self, u: Json, ctx: CheckContext) -> Iterator[dict]:
        if u.get("status") != "ACTIVE":
            return
        self.active += 1
        limit = ctx.t("max_days_inactive")
        last = u.get("lastLogin")
        if last is None:
            days = age_days(ctx, u.get("activated") or u.get("created"))
            if days is None:
                self.undated += 1
            elif days > limit:
                self.bad += 1
                self.never += 1
                yield result("fail", login_ref(u), "Active user has never signed in since activation "
                             f"{int(days)} days ago (limit {limit}).",
                             {"lastLogin": None, "created": u.get("created"), "days": int(days),
                              "threshold_days": limit})
            return
        days = age_days(ctx, last)
        if days is None:
            self.undated += 1
        elif days > limit:
            self.bad += 1
            yield result("fail", login_ref(u), f"Active user last signed in {int(days)} days ago (limit {limit}).",
                         {"lastLogin": last, "days": int(days), "threshold_days": limit})

    def finish(self, ctx: CheckContext) -> Iterator[dict]:
        limit = ctx.t("max_days_inactive")
        ev = {"active_users": self.active, "inactive": self.bad, "never_signed_in": self.never,
              "undated": self.undated, "threshold_days": limit,
              "objects_checked": self.active}  # failing users only are results: how many were judged
        if self.bad:
            yield result("fail", org_res(ctx), f"{self.bad} of {self.active} active users have not signed in for more "
                         f"than {limit} days.", ev)
        elif self.undated:
            yield result("unknown", org_res(ctx), f"{self.undated} active users state no readable sign-in or "
                         "activation date.", ev)
        else:
            yield result("pass", org_res(ctx), f"All {self.active} active users signed in within {limit} days.", ev)


@stream_check("okta-user-stale-pending", stream="users")
class StalePending:
    def __init__(self) -> None:
        self.pending = 0
        self.bad = 0

    def visit(self, u: Json, ctx: CheckContext) -> Iterator[dict]:
        if u.get("status") not in ("STAGED", "PROVISIONED"):
            return
        self.pending += 1
        limit = ctx.t("max_days_pending")
        days = age_days(ctx, u.get("created"))
        if days is not None and days > limit:
            self.bad += 1
            yield result("warning", login_ref(u), f"User {u.get('status')} for {int(days)} days (limit {limit}).",
                         {"status": u.get("status"), "created": u.get("created"), "threshold_days": limit})

    def finish(self, ctx: CheckContext) -> Iterator[dict]:
        limit = ctx.t("max_days_pending")
        ev = {"pending_users": self.pending, "stale": self.bad, "threshold_days": limit,
              "objects_checked": self.pending}
        if self.bad:
            yield result("warning", org_res(ctx), f"{self.bad} users staged or provisioned for more than {limit} "
                         "days.", ev)
        else:
            yield result("pass", org_res(ctx), f"No user pending activation for more than {limit} days.", ev)


@stream_check("okta-user-attention-states", stream="users")
class AttentionStates:
    def __init__(self) -> None:
        self.total = 0
        self.counts: dict[str, int] = {}

    def visit(self, u: Json, ctx: CheckContext) -> Iterator[dict]:
        self.total += 1
        st = u.get("status")
        if st in ATTENTION:
            self.counts[st] = self.counts.get(st, 0) + 1
        return iter(())

    def finish(self, ctx: CheckContext) -> Iterator[dict]:
        limit = ctx.t("max_percent")
        n = sum(self.counts.values())
        pct = round(100.0 * n / self.total, 2) if self.total else 0.0
        ev = {"users": self.total, "by_status": self.counts, "percent": pct, "threshold_percent": limit}
        if pct > limit:
            yield result("warning", org_res(ctx), f"{n} users ({pct}%) are locked out, suspended or in recovery.", ev)
        else:
            yield result("pass", org_res(ctx), f"{n} users ({pct}%) are locked out, suspended or in recovery "
                         f"(at most {limit}%).", ev)
