"""Network zones, ThreatInsight, behavior detection, device assurance."""

from __future__ import annotations

from collections.abc import Iterator

from .context import CheckContext, Json
from .registry import check
from .results import org_res, res, result, unknown_collection

ANONYMIZER_CATEGORIES = ("ALL_ANONYMIZERS", "ANONYMIZER_TOR", "ALL_IP_SERVICES")
TOR_PROXY_TYPES = ("Tor", "Any")


def _some(ctx: CheckContext, items: list[Json], ev_key: str, found: str, none: str) -> dict:
    """``pass`` when ``items`` is not empty (``found`` is formatted with their count ``n``), otherwise a warning
    that rests on their absence; the evidence lists their names."""
    ev = {ev_key: [i.get("name") for i in items]}
    if items:
        return result("pass", org_res(ctx), found.format(n=len(items)), ev)
    return result("warning", org_res(ctx), none, ev, absence=True)


@check("okta-threatinsight-mode")
def threatinsight(ctx: CheckContext) -> Iterator[dict]:
    obj = ctx.collection("threat_insight").first()
    if obj is None:
        yield unknown_collection(ctx, ctx.collection("threat_insight"))
        return
    action = obj.get("action")
    ev = {"action": action, "expected": "block"}
    if action == "block":
        yield result("pass", org_res(ctx), "ThreatInsight logs and blocks suspicious IPs.", ev)
    elif action == "audit":
        yield result("warning", org_res(ctx), "ThreatInsight only logs suspicious IPs (audit mode).", ev)
    elif action == "none":
        yield result("fail", org_res(ctx), "ThreatInsight is disabled.", ev)
    else:
        yield result("unknown", org_res(ctx), f"ThreatInsight action {action!r} is not a known value.", ev)


@check("okta-threatinsight-exempt-zones")
def threatinsight_exempt(ctx: CheckContext) -> Iterator[dict]:
    obj = ctx.collection("threat_insight").first()
    if obj is None:
        yield unknown_collection(ctx, ctx.collection("threat_insight"))
        return
    zones = obj.get("excludeZones")
    if not isinstance(zones, list):
        yield result("unknown", org_res(ctx), "The ThreatInsight configuration states no excludeZones.", {})
        return
    names = {str(z.get("id")): z.get("name") for z in ctx.collection("zones").items}
    ev = {"excludeZones": zones, "names": [names.get(z, z) for z in zones]}
    related = [{"type": "network_zone", "uid": z, "name": str(names.get(z, z))} for z in zones]
    if zones:
        yield result("warning", org_res(ctx), f"{len(zones)} network zones are exempt from ThreatInsight; review "
                     "that they contain only trusted egress IPs.", ev, related)
    else:
        yield result("pass", org_res(ctx), "No zone is exempt from ThreatInsight.", ev)


@check("okta-network-custom-zones")
def custom_zones(ctx: CheckContext) -> Iterator[dict]:
    zones = [z for z in ctx.collection("zones").items if z.get("status") == "ACTIVE" and z.get("system") is not True]
    yield _some(ctx, zones, "active_custom_zones", "{n} active custom network zones.",
                "No active custom network zone is defined.")


@check("okta-network-anonymizer-blocklist")
def anonymizer_blocklist(ctx: CheckContext) -> Iterator[dict]:
    hits = []
    for z in ctx.collection("zones").items:
        if z.get("status") != "ACTIVE" or z.get("usage") != "BLOCKLIST":
            continue
        cats = ((z.get("ipServiceCategories") or {}).get("include")) or []
        if z.get("type") == "DYNAMIC_V2" and any(c in ANONYMIZER_CATEGORIES for c in cats):
            hits.append(z)
        elif z.get("type") == "DYNAMIC" and z.get("proxyType") in TOR_PROXY_TYPES:
            hits.append(z)
    ev = {"blocking_zones": [{"name": z.get("name"), "type": z.get("type"),
                              "ipServiceCategories": (z.get("ipServiceCategories") or {}).get("include"),
                              "proxyType": z.get("proxyType")} for z in hits],
          "accepted_categories": list(ANONYMIZER_CATEGORIES)}
    if hits:
        yield result("pass", res("network_zone", hits[0]), f"Zone {hits[0].get('name')!r} blocks anonymizing proxies.", ev)
    else:
        yield result("fail", org_res(ctx), "No ACTIVE blocklist zone blocks anonymizers or Tor.", ev,
                     absence=True)


@check("okta-behaviors-active")
def behaviors(ctx: CheckContext) -> Iterator[dict]:
    active = [b for b in ctx.collection("behaviors").items if b.get("status") == "ACTIVE"]
    yield _some(ctx, active, "active_behaviors", "{n} behavior detection rules are active.",
                "No behavior detection rule is active.")


@check("okta-device-assurance")
def device_assurance(ctx: CheckContext) -> Iterator[dict]:
    yield _some(ctx, ctx.collection("device_assurances").items, "device_assurance_policies",
                "{n} device assurance policies exist.", "No device assurance policy exists.")
