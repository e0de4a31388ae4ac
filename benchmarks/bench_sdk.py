"""The same reads with the official Okta Python SDK (PyPI ``okta``, asyncio), in a process of its own.

``python benchmarks/bench_sdk.py`` reads ``{"url", "token", "variant", "max_retries", "concurrency"}`` on stdin
and prints one JSON object: wall time, objects read per collection, errors, whether every read completed, and
its peak RSS. What the SDK sent is counted by the sandbox, not here.

The peer is written as a competent user would write it (issue 18):

* one ``async with Client(...)`` (one reused HTTP session, the maintainers' own performance advice);
* every collection read at once with ``asyncio.gather``: the top-level listings start together, and each
  parent's per-object reads (a group's members, an app's users and groups, a policy's rules) start as soon as
  its listing page arrives, so every rate-limit bucket is busy from the start, as in the connector;
* ``concurrency`` requests in flight at most (one semaphore around every request, default 8: twice the
  connector's 4, well under Okta's 75);
* ``rateLimit.maxRetries`` raised (default 20; the SDK's own default of 2 gives up on 429s on a large org), so
  a 429 waits for ``X-Rate-Limit-Reset`` (the SDK's backoff) and retries rather than failing a collection.

Variants:

* ``bulk``: the large collections only (users in both series, groups, group members, apps, app users, app
  group assignments, policies by type and their rules): less than the connector reads, so it favours the SDK;
* ``same``: every collection the connector reads: ``bulk`` plus the admin roles (``/api/v1/iam/assignees/users``,
  each admin's ``/users/{id}/roles`` and ``/factors``, and ``/groups/{id}/roles`` for **every** group with
  ``group_roles: "all"``, the per-group fan-out a user without a cheaper way to find admin groups makes, or, with
  ``"known"``, only for the groups an admin's roles name, the connector's way), the org settings and security
  configuration (authenticators, zones, IdPs, authorization servers with their policies and rules, API tokens,
  trusted origins, hooks, log streams, behaviors, device assurances, group rules), policy mappings and devices.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sys
import time
from typing import Any

POLICY_TYPES = ("OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY", "PROFILE_ENROLLMENT", "IDP_DISCOVERY")
DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_RETRIES = 20


def _fix_ssws_header() -> None:
    """okta 3.4.6 builds ``Authorization: SSWS<token>`` (no space: ``Configuration.auth_settings`` joins
    ``authorization_mode + access_token``), which the sandbox, like Okta's documented header format, rejects
    with 401. Put the space back so the SDK can be measured at all; nothing else of the SDK is changed."""
    from okta.configuration import Configuration

    original = Configuration.auth_settings
    if getattr(original, "_bench_fixed", False):
        return

    def auth_settings(self: Any) -> dict[str, Any]:
        out = original(self)
        oauth2 = out.get("oauth2")
        if oauth2 and self.authorization_mode == "SSWS" and self.access_token:
            oauth2["value"] = f"SSWS {self.access_token}"
        return out

    auth_settings._bench_fixed = True  # type: ignore[attr-defined]
    Configuration.auth_settings = auth_settings  # type: ignore[method-assign]


def _id(obj: Any) -> str | None:
    return getattr(obj, "id", None) or getattr(getattr(obj, "actual_instance", None), "id", None)


class Reader:
    """Every read of one run: counts, errors, and the semaphore that bounds requests in flight."""

    def __init__(self, client: Any, concurrency: int) -> None:
        self.client = client
        self.sem = asyncio.Semaphore(max(1, concurrency))
        self.counts: dict[str, int] = {}
        self.errors: dict[str, list[str]] = {}

    def note(self, name: str, n: int, err: str | None = None) -> None:
        self.counts[name] = self.counts.get(name, 0) + n
        if err:
            errs = self.errors.setdefault(name, [])
            if len(errs) < 3:
                errs.append(err)

    async def call(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any] | None:
        """One request (under the semaphore): (result, response), or None after noting the error."""
        try:
            async with self.sem:
                out, resp, err = await fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a model that fails to parse is the SDK not finishing
            self.note(name, 0, f"{type(exc).__name__}: {str(exc)[:200]}")
            return None
        if err is not None:
            self.note(name, 0, f"{type(err).__name__}: {str(err)[:200]}")
            return None
        return out, resp

    async def pages(self, name: str, fn: Any, *args: Any, paged: bool = True, **kwargs: Any) -> Any:
        """Every page of one list call, the SDK 3.x way (``after`` = the ``next`` cursor of the ``Link`` header,
        ``okta.pagination.PaginationHelper``); yields each page's items. ``paged=False``: one call."""
        from okta.pagination import PaginationHelper

        after = None
        while True:
            got = await self.call(name, fn, *args, **({"after": after} if paged and after else {}), **kwargs)
            if got is None:
                return
            items, resp = got
            if items is None:
                items = []
            elif not isinstance(items, list):  # a single object (org settings, ...)
                items = [items]
            self.note(name, len(items))
            yield items
            after = PaginationHelper.extract_next_cursor(dict(resp.headers)) if paged and resp is not None else None
            if not after:
                return

    async def drain(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        async for _ in self.pages(name, fn, *args, **kwargs):
            pass

    async def children(self, name: str, parents: Any, per_parent: Any) -> None:
        """Start each parent's reads as soon as its listing page arrives."""
        tasks = []
        async for page in parents:
            tasks += [asyncio.ensure_future(per_parent(pid)) for pid in (_id(x) for x in page) if pid]
        if tasks:
            await asyncio.gather(*tasks)


async def settings_and_more(r: Reader) -> None:
    """What else the connector reads (variant ``same``): org settings, security configuration, authorization
    servers with their policies and rules, hooks, log streams, devices, group rules, ..."""
    c = r.client

    async def as_children(asid: str) -> None:
        async def rules(pid: str) -> None:
            await r.drain("authorization_server_policy_rules", c.list_authorization_server_policy_rules, asid, pid,
                          paged=False)

        await r.children("authorization_server_policies",
                         r.pages("authorization_server_policies", c.list_authorization_server_policies, asid,
                                 paged=False), rules)

    await asyncio.gather(
        r.drain("org", c.get_org_settings, paged=False),
        r.drain("org_support", c.get_org_okta_support_settings, paged=False),
        r.drain("org_contacts", c.list_org_contact_types, paged=False),
        r.drain("threat_insight", c.get_current_configuration, paged=False),
        r.drain("admin_console_settings", c.get_first_party_app_settings, "admin-console", paged=False),
        r.drain("authenticators", c.list_authenticators, paged=False),
        r.drain("zones", c.list_network_zones),
        r.drain("idps", c.list_identity_providers),
        r.children("authorization_servers", r.pages("authorization_servers", c.list_authorization_servers,
                                                    limit=200), as_children),
        r.drain("group_rules", c.list_group_rules, limit=200),
        r.drain("api_tokens", c.list_api_tokens, paged=False),
        r.drain("trusted_origins", c.list_trusted_origins),
        r.drain("event_hooks", c.list_event_hooks, paged=False),
        r.drain("inline_hooks", c.list_inline_hooks, paged=False),
        r.drain("log_streams", c.list_log_streams, limit=200),
        r.drain("behaviors", c.list_behavior_detection_rules, paged=False),
        r.drain("device_assurances", c.list_device_assurance_policies, paged=False),
        r.drain("devices", c.list_devices, limit=200),
    )


async def admins(r: Reader, group_roles: str) -> None:
    """``/iam/assignees/users`` (the next link is in the body), each admin's roles, and group roles: for every
    group (``"all"``) or for the groups the admins' roles name (``"known"``)."""
    c = r.client
    after = None
    user_ids: list[str] = []
    while True:
        got = await r.call("admin_users", c.list_users_with_role_assignments, **({"after": after} if after else {}))
        if got is None:
            break
        body = got[0]
        value = list(getattr(body, "value", None) or [])
        r.note("admin_users", len(value))
        user_ids += [i for i in (_id(v) for v in value) if i]
        href = getattr(getattr(getattr(body, "links", None), "next", None), "href", None)
        if not href or "after=" not in href:
            break
        after = href.split("after=", 1)[1].split("&", 1)[0]
    groups: set[str] = set()

    async def user_roles(uid: str) -> None:
        got = await r.call("user_roles", c.list_assigned_roles_for_user, uid)
        for role in (got[0] if got else None) or []:
            r.note("user_roles", 1)
            role = getattr(role, "actual_instance", None) or role  # a oneOf wrapper (standard or custom role)
            href = getattr(getattr(getattr(role, "links", None), "assignee", None), "href", None) or ""
            if str(getattr(role, "assignment_type", "")).endswith("GROUP") and "/groups/" in href:
                groups.add(href.rstrip("/").rsplit("/", 1)[-1])

    await asyncio.gather(*(user_roles(u) for u in user_ids),
                         *(r.drain("user_factors", c.list_factors, u, paged=False) for u in user_ids))
    if group_roles == "known":
        await asyncio.gather(*(r.drain("group_roles", c.list_group_assigned_roles, g, paged=False)
                               for g in sorted(groups)))


async def run(job: dict[str, Any]) -> dict[str, Any]:
    from okta.client import Client

    logging.getLogger("okta-sdk-python").setLevel(logging.CRITICAL)
    # the sandbox serves plain http on 127.0.0.1: the SDK's documented testing switch allows it
    os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
    variant = job.get("variant", "same")
    group_roles = job.get("group_roles", "all")
    retries = job.get("max_retries", DEFAULT_MAX_RETRIES)
    concurrency = int(job.get("concurrency") or DEFAULT_CONCURRENCY)
    config: dict[str, Any] = {"orgUrl": job["url"], "token": job["token"]}
    if retries is not None:
        config["rateLimit"] = {"maxRetries": int(retries)}
    _fix_ssws_header()
    t0 = time.perf_counter()
    async with Client(config) as client:
        r = Reader(client, concurrency)
        c = client

        async def group_children(gid: str) -> None:
            reads = [r.drain("group_members", c.list_group_users, gid, limit=1000)]
            if variant == "same" and group_roles == "all":
                reads.append(r.drain("group_roles", c.list_group_assigned_roles, gid, paged=False))
            await asyncio.gather(*reads)

        async def app_children(aid: str) -> None:
            await asyncio.gather(r.drain("app_users", c.list_application_users, aid, limit=500),
                                 r.drain("app_groups", c.list_application_group_assignments, aid, limit=200))

        async def policy_children(pid: str, ptype: str) -> None:
            reads = [r.drain("policy_rules", c.list_policy_rules, pid, paged=False)]
            if variant == "same" and ptype in ("ACCESS_POLICY", "PROFILE_ENROLLMENT"):
                reads.append(r.drain("policy_mappings", c.list_policy_mappings, pid, paged=False))
            await asyncio.gather(*reads)

        def policies(ptype: str) -> Any:
            async def children(pid: str) -> None:
                await policy_children(pid, ptype)

            return r.children("policies", r.pages("policies", c.list_policies, type=ptype, paged=False), children)

        jobs = [
            r.drain("users", c.list_users, limit=200),
            r.drain("users", c.list_users, filter='status eq "DEPROVISIONED"', limit=200),
            r.children("groups", r.pages("groups", c.list_groups, limit=200), group_children),
            r.children("apps", r.pages("apps", c.list_applications, limit=200), app_children),
            *(policies(t) for t in POLICY_TYPES),
        ]
        if variant == "same":
            jobs += [admins(r, group_roles), settings_and_more(r)]
        await asyncio.gather(*jobs)
    wall = time.perf_counter() - t0
    return {
        "wall_seconds": round(wall, 3),
        "variant": variant,
        "group_roles": group_roles if variant == "same" else None,
        "objects": r.counts,
        "errors": r.errors,
        "completed": not r.errors,
        "max_retries": retries,
        "concurrency": concurrency,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_seconds": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2),
    }


def main() -> int:
    job = json.loads(sys.stdin.read())
    result = asyncio.run(run(job))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
