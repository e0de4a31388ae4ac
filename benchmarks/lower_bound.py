"""The lower bound: the fewest requests and the least time any client needs to read an org.

:func:`org_shape` runs where the org is (the sandbox process): for every collection the connector reads
(``connector_okta.resources``), the size of each request series as served (one series per parent object,
per policy type, ...), the endpoint's largest page size (the sandbox's maxima, ``okta_sandbox.pagination``) and
the rate-limit bucket the server puts it in (``okta_sandbox.ratelimit.bucket_for``).

:func:`lower_bound` turns that into
* requests: a series of ``n`` objects with page maximum ``m`` needs ``max(1, ceil(n / m))`` requests;
* time per bucket: a token may spend ``share x quota`` requests per window (a scaled minute); ``N`` requests
  need ``ceil(N / q)`` windows, the first of which starts at once: ``(ceil(N / q) - 1) x window`` seconds;
* time by concurrency: ``N_total x latency / org concurrency`` (latency measured with limits off);
* the bound is the largest of these. Budgeted per-object reads (group roles: one request per group) are
  reported apart: they are not part of the collections' minimum.
"""

from __future__ import annotations

import math
from typing import Any

# collection name -> sandbox pagination key (None: not paginated, one request)
PAGE_KEYS: dict[str, str | None] = {
    "org": None, "org_support": None, "org_contacts": None, "threat_insight": None,
    "admin_console_settings": None, "org_factors": None, "authenticators": None, "policies": "policies",
    "zones": "zones", "idps": "idps", "authorization_servers": "authorization_servers", "apps": "apps",
    "group_rules": "group_rules", "admin_users": "iam_assignees", "api_tokens": None,
    "trusted_origins": "trusted_origins", "event_hooks": None, "inline_hooks": None, "log_streams": "log_streams",
    "behaviors": None, "device_assurances": None, "user_roles": None, "user_factors": None, "policy_rules": "policy_rules",
    "policy_mappings": None, "app_groups": "app_groups", "authorization_server_policies": None,
    "authorization_server_policy_rules": None, "groups": "groups", "group_roles": None, "app_users": "app_users",
    "users": "users", "group_members": "group_members", "devices": "devices",
}
FANOUT = {"group_roles", "user_factors"}  # budgeted per-object reads, reported apart


def org_shape(org: Any) -> dict[str, Any]:
    """Series sizes, page maxima and buckets of every collection the connector reads, from the served org."""
    from okta_sandbox.pagination import PAGE_LIMITS
    from okta_sandbox.ratelimit import bucket_for

    from connector_okta.resources import RESOURCES

    pipeline = org.pipeline
    missing = set(getattr(org, "missing_features", ()) or ())
    gid = org.groups[0]["id"] if org.groups else "00g0"
    aid = org.apps[0]["id"] if org.apps else "0oa0"
    users = org.users
    deprov = len(users.indices_with_status("DEPROVISIONED")) if hasattr(users, "indices_with_status") else sum(
        1 for u in users if u.get("status") == "DEPROVISIONED")
    policies = [p for ps in org.policies.values() for p in ps]
    admin_ids = sorted(uid for uid, roles in org.user_roles.items() if roles)
    series: dict[str, list[int]] = {
        "org": [1], "org_support": [1], "org_contacts": [len(org.org_contacts)], "threat_insight": [1],
        "admin_console_settings": [1], "org_factors": [len(org.org_factors)],
        "authenticators": [len(org.authenticators)],
        "zones": [len(org.zones)], "idps": [len(org.idps)], "authorization_servers": [len(org.authorization_servers)],
        "apps": [len(org.apps)], "group_rules": [len(org.group_rules)], "admin_users": [len(admin_ids)],
        "api_tokens": [len(org.api_tokens)], "trusted_origins": [len(org.trusted_origins)],
        "event_hooks": [len(org.event_hooks)], "inline_hooks": [len(org.inline_hooks)],
        "log_streams": [len(org.log_streams)], "behaviors": [len(org.behaviors)],
        "device_assurances": [len(org.device_assurances)],
        "user_roles": [len(org.user_roles.get(u, [])) for u in admin_ids],
        "user_factors": [len(org.user_factors.get(u, [])) for u in admin_ids],
        "policy_rules": [len(org.policy_rules.get(p["id"], [])) for p in policies],
        "app_groups": [len(org.app_groups.get(a["id"], [])) for a in org.apps],
        "authorization_server_policies": [len(org.as_policies.get(a["id"], [])) for a in org.authorization_servers],
        "authorization_server_policy_rules": [
            len(org.as_policy_rules.get(f"{a['id']}/{p['id']}", []))
            for a in org.authorization_servers for p in org.as_policies.get(a["id"], [])],
        "groups": [len(org.groups)],
        "group_roles": [len(org.group_roles.get(g["id"], [])) for g in org.groups],
        "app_users": [len(org.app_users.get(a["id"], [])) for a in org.apps],
        "users": [len(users) - deprov, deprov],
        "group_members": [len(org.group_members.get(g["id"], [])) for g in org.groups],
        "devices": [len(org.devices)],
    }
    by_type: dict[str, int] = {}
    for res in RESOURCES:
        if res.name == "policies":
            for variant in res.variants_for(pipeline):
                by_type[variant["type"]] = len(org.policies.get(variant["type"], []))
    series["policies"] = list(by_type.values())
    mapped = [p for t in ("ACCESS_POLICY", "PROFILE_ENROLLMENT") for p in org.policies.get(t, [])]
    series["policy_mappings"] = [len(org.policy_mappings.get(p["id"], [])) for p in mapped]
    sample = {"{parent_id}": "00xSAMPLE000000000001", "{grandparent_id}": "00ySAMPLE000000000001"}
    out: dict[str, Any] = {}
    for res in RESOURCES:
        if not res.exists_on(pipeline):
            continue
        feature_gone = res.name in missing or res.path.rsplit("/", 1)[-1] in missing
        path = res.path
        for k, v in sample.items():
            path = path.replace(k, v)
        key = PAGE_KEYS.get(res.name)
        maximum = PAGE_LIMITS[key].maximum if key and key in PAGE_LIMITS else None
        out[res.name] = {
            "bucket": bucket_for("GET", path),
            "page_max": maximum,
            "series": [] if feature_gone else series.get(res.name, [0]),
            "fanout": res.name in FANOUT,
        }
    del gid, aid
    return {"pipeline": pipeline, "users": len(users), "groups": len(org.groups), "apps": len(org.apps),
            "memberships": sum(len(v) for v in org.group_members.values()),
            "app_assignments": sum(len(v) for v in org.app_users.values()) + sum(
                len(v) for v in org.app_groups.values()),
            "policies": len(policies), "admins": len(admin_ids), "api_tokens": len(org.api_tokens),
            "devices": len(org.devices), "collections": out}


def series_requests(n: int, page_max: int | None) -> int:
    return 1 if not page_max or n <= page_max else math.ceil(n / page_max)


def lower_bound(shape: dict[str, Any], *, quotas: dict[str, int], token_share: float, window_seconds: float,
                org_concurrency: int = 75, latency_seconds: float | None = None, fanout_made: int = 0
                ) -> dict[str, Any]:
    """The fewest requests (collections; fan-out apart) and the least time, per bucket and overall.

    ``fanout_made``: budgeted per-object requests the client chose to make (in the fan-out collection's bucket);
    they count towards the time bound (a client making them needs their quota too), not the request minimum."""
    by_bucket: dict[str, int] = {}
    by_collection: dict[str, int] = {}
    fanout: dict[str, int] = {}
    for name, c in shape["collections"].items():
        n = sum(series_requests(s, c["page_max"]) for s in c["series"])
        if c["fanout"]:
            fanout[name] = n
            continue
        by_collection[name] = n
        by_bucket[c["bucket"]] = by_bucket.get(c["bucket"], 0) + n
    time_by_bucket = dict(by_bucket)
    if fanout_made:
        fan_bucket = next((c["bucket"] for c in shape["collections"].values() if c["fanout"]), "default")
        time_by_bucket[fan_bucket] = time_by_bucket.get(fan_bucket, 0) + fanout_made
    per_bucket_seconds = {}
    for bucket, n in time_by_bucket.items():
        q = max(1, math.floor(quotas.get(bucket, quotas["default"]) * token_share))
        per_bucket_seconds[bucket] = round((math.ceil(n / q) - 1) * window_seconds, 3)
    total = sum(time_by_bucket.values())
    concurrency_seconds = total * latency_seconds / org_concurrency if latency_seconds else 0.0
    rate_seconds = max(per_bucket_seconds.values(), default=0.0)
    return {
        "requests": sum(by_bucket.values()),
        "fanout_requests_counted_in_time": fanout_made,
        "requests_by_bucket": dict(sorted(by_bucket.items())),
        "requests_by_collection": dict(sorted(by_collection.items())),
        "fanout_requests_if_unbudgeted": fanout,
        "seconds_by_bucket": dict(sorted(per_bucket_seconds.items())),
        "binding_bucket": max(per_bucket_seconds, key=per_bucket_seconds.get) if per_bucket_seconds else None,
        "rate_limit_seconds": rate_seconds,
        "concurrency_seconds": round(concurrency_seconds, 3),
        "seconds": round(max(rate_seconds, concurrency_seconds), 3),
        "window_seconds": window_seconds,
        "per_token_quota": {b: max(1, math.floor(quotas.get(b, quotas["default"]) * token_share))
                            for b in sorted(time_by_bucket)},
    }


def windows_waited(requests_by_bucket: dict[str, int], *, quotas: dict[str, int], token_share: float,
                   client_share: float = 1.0) -> dict[str, int]:
    """Per bucket, how many rate-limit windows a client must wait out to send its requests: the token may spend
    ``floor(quota x token_share)`` per window and the client ``floor(that x client_share)`` of it (the
    connector's ``rate_limit_share``); ``N`` requests need ``ceil(N / q)`` windows, the first starting at once."""
    out = {}
    for bucket, n in requests_by_bucket.items():
        token_q = max(1, math.floor(quotas.get(bucket, quotas["default"]) * token_share))
        q = max(1, math.floor(token_q * client_share))
        out[bucket] = max(0, math.ceil(n / q) - 1) if n else 0
    return out


def projected_real_seconds(requests_by_bucket: dict[str, int], *, wall_seconds: float, quotas: dict[str, int],
                           bench_window: float, bench_token_share: float, bench_client_share: float,
                           token_share: float = 0.5, client_share: float = 0.5, window: float = 60.0
                           ) -> dict[str, Any]:
    """The wall time of a sync on Okta's real windows (``window``, 60 s) with Okta's per-token default
    (``token_share``) and the connector's default ``rate_limit_share`` (``client_share``), from the requests it
    sent per bucket and its measured wall time on the benchmark's compressed clock.

    The sync's own work (requests answered, normalisation, checks) is its wall time less the windows it had to
    wait out at the benchmark's scale; on Okta's clock it waits ``max over buckets`` of the windows its requests
    need at the default shares, and does the same work: ``projected = waited x window + work``. (Work done
    while waiting overlaps in reality, so this errs long.)"""
    bench = windows_waited(requests_by_bucket, quotas=quotas, token_share=bench_token_share,
                           client_share=bench_client_share)
    real = windows_waited(requests_by_bucket, quotas=quotas, token_share=token_share, client_share=client_share)
    bench_waited = max(bench.values(), default=0)
    work = max(0.0, wall_seconds - bench_waited * bench_window)
    real_waited = max(real.values(), default=0)
    binding = max(real, key=real.get) if real and real_waited else None
    return {
        "seconds": round(real_waited * window + work, 1),
        "windows_waited": real_waited,
        "binding_bucket": binding,
        "work_seconds": round(work, 2),
        "window_seconds": window,
        "token_share": token_share,
        "client_share": client_share,
        "per_window_quota": {b: max(1, math.floor(max(1, math.floor(quotas.get(b, quotas["default"]) * token_share))
                                                  * client_share)) for b in sorted(requests_by_bucket)},
    }
