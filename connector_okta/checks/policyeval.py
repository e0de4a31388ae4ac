"""Policy semantics shared by checks, as Okta evaluates them; whatever cannot be decided is taken the way that
cannot produce a pass.

- **Policies**: every ACTIVE policy of a type is judged (Okta evaluates them in priority order and applies the
  first whose people condition matches; which users each reaches is not modelled, so none is skipped).
- **Rules**: every ACTIVE rule is judged, in priority order, unless it is *unreachable*: an ACTIVE rule with a
  lower priority number matches every request (a catch-all: no condition that narrows it). Only ``ACTIVE`` rules
  shadow, and only rules whose priority is a known integer above the catch-all's; a rule whose status is neither
  ``ACTIVE`` nor ``INACTIVE`` is judged as if active, never dropped. A condition the analysis does not know
  (device, platform, userType, an expression, a key it has never seen), a people condition that names users or
  excludes anyone, a group other than Everyone: all narrow, so a rule below them stays reachable.
- **Children read per policy**: the rules of a policy whose read failed are unknown (a :class:`Gap`), never an
  empty list. Okta gives every global session (OKTA_SIGN_ON), password, enrollment (MFA_ENROLL) and app sign-in
  (ACCESS_POLICY) policy a default or catch-all rule that cannot be deleted, so zero rules read for one of them is
  itself evidence of a failed read: unknown too.
- **Network zones** (rules' ``conditions.network``, API tokens' ``network``): ``connection: ANYWHERE`` (or no
  condition) does not restrict. ``ZONE`` with ``include``: restricts when every included id is a zone the sync
  read (or ``ALL_ZONES``) and at least one of them is ACTIVE (``ALL_ZONES``: at least one ACTIVE zone exists):
  an IP outside them does not match. ``exclude`` alone: restricts when at least one excluded zone is ACTIVE and
  has addresses (gateways or proxies; a dynamic zone's locations, ASNs, proxy type or IP service categories); an
  excluded zone that is INACTIVE or unknown cannot be confirmed to exclude anything; one that is ACTIVE and empty
  excludes nothing. Zones that were not read leave the question open (unknown), never a pass.
- **Device conditions**: a rule is limited by device when it requires a registered or managed device or a device
  assurance policy (``conditions.device.registered``/``managed`` true, ``assurance.include`` not empty).

First-party policies (Okta Admin Console, Okta Dashboard) are found through the app objects: the app named
``saasure`` (Admin Console) or ``okta_enduser`` (Dashboard) and its ``_links.accessPolicy.href``; as a fallback the
``policy_mappings`` of ACCESS_POLICY policies (``_links.application.href``). Never by policy name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .context import CheckContext, Gap, Json
from .results import dig, last_segment, whole

ADMIN_CONSOLE_APP = "saasure"
DASHBOARD_APP = "okta_enduser"
# policy types whose every policy has a default (or catch-all) rule Okta does not let anyone delete
GUARANTEED_RULES = frozenset({"OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY"})
ALL_ZONES = "ALL_ZONES"

_NEUTRAL_EMPTY = (None, "", [], {})
# condition -> the field that narrows it when it is anything but "ANY" (absent counts as "ANY")
_ANY_FIELDS = {"riskScore": "level", "identityProvider": "provider", "authContext": "authType"}


def _prio(obj: Json) -> tuple[int, int]:
    p = whole(obj.get("priority"))  # 1.0 is priority 1
    return (0, p) if p is not None else (1, 0)


def _known_priority(obj: Json) -> int | None:
    return whole(obj.get("priority"))


def policy_series_gap(ctx: CheckContext, ptype: str) -> Gap | None:
    """Why the policies of ``ptype`` were not all read (their request series failed), or None."""
    return ctx.collection("policies").series_gap(f"type={ptype}")


def active_policies(ctx: CheckContext, ptype: str) -> list[Json]:
    pols = [p for p in ctx.collection("policies").items if p.get("type") == ptype and p.get("status") == "ACTIVE"]
    return sorted(pols, key=_prio)


def no_policy_reason(ctx: CheckContext, ptype: str) -> str:
    """Why no ACTIVE policy of ``ptype`` is a read problem (every org has one)."""
    gap = policy_series_gap(ctx, ptype)
    if gap is not None:
        return f"the {ptype} policies were not read ({gap.sentence()})"
    return "every org has one, so the policies were not fully visible to this token"


def everyone_ids(ctx: CheckContext) -> set[str]:
    if "everyone_ids" not in ctx.cache:
        ids = set()
        groups = ctx.collection("groups")
        for g in groups.items:
            if g.get("type") == "BUILT_IN" and dig(g, "profile.name") == "Everyone":
                ids.add(str(g.get("id")))
        ctx.cache["everyone_ids"] = ids
    return ctx.cache["everyone_ids"]


def _people_catch_all(people: Any, everyone: set[str]) -> bool:
    if people in _NEUTRAL_EMPTY:
        return True
    if not isinstance(people, dict):
        return False
    for key, cond in people.items():
        if cond in _NEUTRAL_EMPTY:
            continue
        if not isinstance(cond, dict):
            return False
        if cond.get("exclude"):
            return False
        inc = cond.get("include")
        if not inc:
            continue
        if key == "groups" and isinstance(inc, list) and all(str(g) in everyone for g in inc):
            continue
        return False
    return True


def is_catch_all(rule: Json, everyone: set[str]) -> bool:
    """True when the rule's conditions match every request (so lower-priority rules are unreachable). Anything
    it cannot read as matching everything counts as narrowing."""
    conds = rule.get("conditions")
    if conds in _NEUTRAL_EMPTY:
        return True
    if not isinstance(conds, dict):
        return False
    for key, cond in conds.items():
        if cond in _NEUTRAL_EMPTY:
            continue
        if not isinstance(cond, dict):
            return False
        if key == "people":
            if not _people_catch_all(cond, everyone):
                return False
        elif key == "network":
            if cond.get("connection", "ANYWHERE") != "ANYWHERE" or cond.get("include") or cond.get("exclude"):
                return False
        elif key in _ANY_FIELDS:
            if cond.get(_ANY_FIELDS[key], "ANY") != "ANY":
                return False
        elif key == "risk":
            if cond.get("behaviors"):
                return False
        else:
            return False  # device, platform, elCondition, userType, ... or anything unknown: narrowing
    return True


@dataclass
class Rules:
    """The rules of one policy as Okta evaluates them: ``reachable`` (judged, priority order), ``unreachable``
    (behind a catch-all), or ``gap`` when they are unknown (their read failed, or none was read where Okta always
    has one)."""

    reachable: list[Json] = field(default_factory=list)
    unreachable: list[Json] = field(default_factory=list)
    gap: Gap | None = None
    # reachable rules that may be unreachable: behind a rule whose groups might be Everyone, which cannot be told
    # because the groups were not read. They are judged (a failure counts), but a pass on one is not confirmed.
    uncertain: list[Json] = field(default_factory=list)
    uncertain_why: str = ""

    @property
    def known(self) -> bool:
        return self.gap is None

    def confirm(self, rule: Json, verdict: dict) -> dict:
        """``verdict`` on ``rule``, made ``unknown`` when it is a pass on a rule that may be unreachable."""
        if verdict.get("status") == "pass" and any(rule is r for r in self.uncertain):
            verdict = {**verdict, "status": "unknown",
                       "message": f"Not confirmed: {self.uncertain_why}. {verdict.get('message', '')}",
                       "evidence": {**(verdict.get("evidence") or {}), "reachability": self.uncertain_why}}
        return verdict


def rules_of(ctx: CheckContext, policy: Json) -> Rules:
    """The rules of ``policy``: every ACTIVE (or not certainly INACTIVE) rule, minus those a catch-all above makes
    unreachable; a :class:`Gap` when they were not read."""
    coll = ctx.collection("policy_rules")
    pid = str(policy.get("id"))
    rules = coll.children(pid)
    if rules is None:
        return Rules(gap=coll.gap(pid))
    ptype = policy.get("type")
    if not rules and ptype in GUARANTEED_RULES:
        return Rules(gap=Gap(f"policy {pid}", f"no rule was read for the {ptype} policy {policy.get('name')!r}, "
                             "but Okta gives every such policy a default rule that cannot be deleted: the read "
                             "must have failed", f"GET /api/v1/policies/{pid}/rules", "internal"))
    judged = sorted((r for r in rules if isinstance(r, dict) and r.get("status") != "INACTIVE"), key=_prio)
    everyone = everyone_ids(ctx)
    # without the Everyone group (the groups were not read), a rule naming groups might still match everyone
    guess_everyone = not everyone and not ctx.collection("groups").complete
    cut: int | None = None
    maybe: tuple[int, str] | None = None
    for r in judged:
        p = _known_priority(r)
        if r.get("status") != "ACTIVE" or p is None:
            continue
        if is_catch_all(r, everyone):
            cut = p if cut is None else min(cut, p)
        elif guess_everyone:
            named = {str(g) for g in dig(r, "conditions.people.groups.include") or [] if g is not None}
            if named and is_catch_all(r, named) and (maybe is None or p < maybe[0]):
                maybe = (p, str(r.get("name")))
    reachable, hidden = [], []
    for r in judged:
        p = _known_priority(r)
        (hidden if cut is not None and p is not None and p > cut else reachable).append(r)
    if maybe is None or (cut is not None and maybe[0] >= cut):
        return Rules(reachable, hidden)
    uncertain = [r for r in reachable if (_known_priority(r) or -1) > maybe[0]]
    why = (f"rule {maybe[1]!r} above it may match everyone (whether its groups include Everyone cannot be told: "
           f"{ctx.collection('groups').why()}), so this rule may be unreachable")
    return Rules(reachable, hidden, uncertain=uncertain, uncertain_why=why)


def rules_for(ctx: CheckContext, policy: Json) -> tuple[list[Json] | None, list[Json]]:
    """``(reachable rules in priority order, unreachable rules)``; ``(None, [])`` when they are unknown."""
    found = rules_of(ctx, policy)
    return (None, []) if found.gap is not None else (found.reachable, found.unreachable)


def app_by_name(ctx: CheckContext, name: str) -> Json | None:
    for app in ctx.collection("apps").items:
        if app.get("name") == name:
            return app
    return None


def app_policy_id(ctx: CheckContext, app: Json) -> str | None:
    pid = last_segment(dig(app, "_links.accessPolicy.href"))
    if pid:
        return pid
    app_id = str(app.get("id"))
    for policy_id, mappings in ctx.collection("policy_mappings").by_parent.items():
        for m in mappings:
            if last_segment(dig(m, "_links.application.href")) == app_id:
                return policy_id
    return None


def policy_by_id(ctx: CheckContext, pid: str) -> Json | None:
    for p in ctx.collection("policies").items:
        if str(p.get("id")) == pid:
            return p
    return None


def missing_policy_reason(ctx: CheckContext, pid: str) -> str:
    """Why the policy ``pid`` an app names is not in the policies read."""
    coll = ctx.collection("policies")
    if pid in coll.deleted:
        return coll.deleted[pid]
    gap = policy_series_gap(ctx, "ACCESS_POLICY")
    if gap is not None:
        return f"the policy {pid} is not among the policies read: {gap.sentence()}"
    return f"the policy {pid} is not in the policies collection"


def first_party_policy(ctx: CheckContext, app_name: str) -> tuple[Json | None, Json | None, str | None]:
    """``(app, policy, None)`` or ``(app_or_None, None, why)``."""
    app = app_by_name(ctx, app_name)
    if app is None:
        return None, None, (
            f"the app named {app_name!r} is not in /api/v1/apps, so its authentication policy cannot be located"
        )
    pid = app_policy_id(ctx, app)
    if not pid:
        return app, None, f"the app {app_name!r} has no _links.accessPolicy and no policy mapping names it"
    pol = policy_by_id(ctx, pid)
    if pol is None:
        return app, None, f"{missing_policy_reason(ctx, pid)} (linked from the app {app_name!r})"
    return app, pol, None


def allow_rule(rule: Json, action_key: str) -> bool:
    """The rule may grant access: its action is anything but an explicit DENY (absent counts as ALLOW)."""
    access = dig(rule, f"actions.{action_key}.access", "ALLOW")
    return access != "DENY"


# ------------------------------------------------------------------------------------------ network zones


def _zone_has_addresses(zone: Json) -> bool | None:
    """Whether a zone names any address (True), none (False), or cannot be told (None)."""
    ztype = zone.get("type")
    if ztype == "IP":
        fields_ = [zone.get("gateways"), zone.get("proxies")]
        if any(isinstance(f, list) and f for f in fields_):
            return True
        return False if all(f is None or f == [] for f in fields_) else None
    if ztype == "DYNAMIC":
        return True if zone.get("proxyType") or zone.get("locations") or zone.get("asns") else False
    if ztype == "DYNAMIC_V2":
        parts = [dig(zone, "ipServiceCategories.include"), dig(zone, "locations.include"), dig(zone, "asns.include")]
        return True if any(isinstance(p, list) and p for p in parts) else False
    return None


def zone_restriction(ctx: CheckContext, network: Any) -> tuple[bool | None, str]:
    """Whether a network condition restricts where a rule (or a token) applies: ``(True, why)``, ``(False, why)``
    (it applies from any network), or ``(None, why)`` when it cannot be decided (zones not read, unknown ids)."""
    if not isinstance(network, dict) or network.get("connection") != "ZONE":
        conn = network.get("connection") if isinstance(network, dict) else None
        return False, f"network connection is {conn or 'not set'} (any network)"
    include = [str(z) for z in network.get("include") or [] if z is not None]
    exclude = [str(z) for z in network.get("exclude") or [] if z is not None]
    if not include and not exclude:
        return False, "connection ZONE names no zone"
    zones = ctx.collection("zones")
    if not zones.complete:
        return None, f"the zones it names cannot be resolved: {zones.why()}"
    by_id = {str(z.get("id")): z for z in zones.items}
    active = [z for z in zones.items if z.get("status") == "ACTIVE"]
    if include:
        unknown = [z for z in include if z != ALL_ZONES and z not in by_id]
        if unknown:
            return None, f"included zone(s) {', '.join(unknown)} are not among the zones read"
        ok = [z for z in include if (z == ALL_ZONES and active) or by_id.get(z, {}).get("status") == "ACTIVE"]
        if ok:
            return True, f"limited to zone(s) {', '.join(ok)}"
        return None, "every included zone is INACTIVE (or ALL_ZONES with no ACTIVE zone): the limit is not confirmed"
    targets = active if ALL_ZONES in exclude else [by_id[z] for z in exclude if z in by_id]
    confirmed = [z for z in targets if z.get("status") == "ACTIVE" and _zone_has_addresses(z) is True]
    if confirmed:
        return True, f"excludes zone(s) {', '.join(str(z.get('id')) for z in confirmed)}"
    undecided = [z for z in exclude if z != ALL_ZONES and z not in by_id] + [
        str(z.get("id")) for z in targets if z.get("status") != "ACTIVE" or _zone_has_addresses(z) is None]
    if undecided:
        return None, f"excluded zone(s) {', '.join(undecided)} are unknown, INACTIVE or of unknown extent"
    return False, "every excluded zone is empty: the condition excludes nothing"


def network_zone_limited(ctx: CheckContext, rule: Json) -> bool | None:
    """Whether a rule's network condition restricts it (see :func:`zone_restriction`)."""
    return zone_restriction(ctx, dig(rule, "conditions.network"))[0]


def device_limited(rule: Json) -> bool:
    """The rule requires a registered or managed device, or a device assurance policy."""
    dev = dig(rule, "conditions.device")
    if not isinstance(dev, dict):
        return False
    assurance = dig(dev, "assurance.include")
    return dev.get("registered") is True or dev.get("managed") is True or (isinstance(assurance, list)
                                                                           and bool(assurance))


def rule_ref(rule: Json, policy: Json) -> dict:
    return {"type": "policy_rule", "uid": str(rule.get("id")), "name": str(rule.get("name", "")),
            "parent_uid": str(policy.get("id"))}


def policy_ref(policy: Json) -> dict:
    return {"type": "policy", "uid": str(policy.get("id")), "name": str(policy.get("name", ""))}


def gap_evidence(gap: Gap, **more: Any) -> dict[str, Any]:
    """A result's evidence for data that was not read."""
    return {**more, "unread": gap.evidence()}
