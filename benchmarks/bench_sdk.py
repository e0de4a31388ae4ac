"""The same reads with the official Okta Python SDK (PyPI ``okta``, asyncio), in a process of its own.

``python benchmarks/bench_sdk.py`` reads ``{"url", "token", "max_retries": int|null, "concurrency": int}`` on stdin
and prints one JSON object: wall time, objects read per collection, errors, whether every read completed, and
its peak RSS. ``max_retries: null`` keeps the SDK's default (2 retries of a 429). The collections are the ones
the connector reads in bulk (users in both series, groups, group members, apps, app users, app group
assignments, policies by type and their rules); the per-parent reads run ``concurrency`` at a time, as the
connector's do, which only helps the SDK. What the SDK sent is counted by the sandbox, not here.
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


async def pages(call: Any, *args: Any, paged: bool = True, **kwargs: Any) -> Any:
    """Every page of one list call: the SDK 3.x way (``after`` = the ``next`` cursor of the ``Link`` header,
    ``okta.pagination.PaginationHelper``); yields (items, error). ``paged=False``: one call (no ``after``)."""
    from okta.pagination import PaginationHelper

    after = None
    while True:
        try:
            if paged:
                items, resp, err = await call(*args, after=after, **kwargs)
            else:
                items, resp, err = await call(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a model that fails to parse is the SDK not finishing
            yield None, f"{type(exc).__name__}: {str(exc)[:200]}"
            return
        if err is not None:
            yield None, f"{type(err).__name__}: {str(err)[:200]}"
            return
        yield items or [], None
        after = PaginationHelper.extract_next_cursor(dict(resp.headers)) if paged and resp is not None else None
        if not after:
            return


async def read_all(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str | None]:
    """(objects read, error or None) over every page."""
    n = 0
    async for items, err in pages(call, *args, **kwargs):
        if err:
            return n, err
        n += len(items)
    return n, None


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


async def run(job: dict[str, Any]) -> dict[str, Any]:
    from okta.client import Client

    logging.getLogger("okta-sdk-python").setLevel(logging.CRITICAL)
    # the sandbox serves plain http on 127.0.0.1: the SDK's documented testing switch allows it
    os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
    config: dict[str, Any] = {"orgUrl": job["url"], "token": job["token"]}
    if job.get("max_retries") is not None:
        config["rateLimit"] = {"maxRetries": int(job["max_retries"])}
    _fix_ssws_header()
    client = Client(config)
    counts: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    sem = asyncio.Semaphore(max(1, int(job.get("concurrency", 4))))

    def note(name: str, n: int, err: str | None) -> None:
        counts[name] = counts.get(name, 0) + n
        if err:
            errors.setdefault(name, [])
            if len(errors[name]) < 3:
                errors[name].append(err)

    async def one(name: str, call: Any, *args: Any, **kwargs: Any) -> None:
        async with sem:
            n, err = await read_all(call, *args, **kwargs)
        note(name, n, err)

    async def ids(name: str, call: Any, **kwargs: Any) -> list[str]:
        out: list[str] = []
        error = None
        async for items, err in pages(call, **kwargs):
            if err:
                error = err
                break
            for i in items:
                out.append(getattr(i, "id", None) or getattr(getattr(i, "actual_instance", None), "id", None))
        note(name, len(out), error)
        return [i for i in out if i]

    t0 = time.perf_counter()
    await one("users", client.list_users, limit=200)
    await one("users", client.list_users, filter='status eq "DEPROVISIONED"', limit=200)
    group_ids = await ids("groups", client.list_groups, limit=200)
    app_ids = await ids("apps", client.list_applications, limit=200)
    policy_ids: list[str] = []
    for t in POLICY_TYPES:
        policy_ids += await ids("policies", client.list_policies, type=t, paged=False)
    await asyncio.gather(*(one("policy_rules", client.list_policy_rules, p, paged=False) for p in policy_ids))
    await asyncio.gather(*(one("app_groups", client.list_application_group_assignments, a, limit=200)
                           for a in app_ids))
    await asyncio.gather(*(one("app_users", client.list_application_users, a, limit=500) for a in app_ids))
    await asyncio.gather(*(one("group_members", client.list_group_users, g, limit=1000) for g in group_ids))
    wall = time.perf_counter() - t0
    try:
        await client.close()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001
        pass
    return {
        "wall_seconds": round(wall, 3),
        "objects": counts,
        "errors": errors,
        "completed": not errors,
        "max_retries": job.get("max_retries"),
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
