"""One connector sync in a process of its own, so its peak memory is the connector's alone.

``python benchmarks/sync_child.py`` reads one JSON object on stdin
``{"url", "token", "config": {...extra config}, "state_in": path|null, "state_out": path|null, "profile": path|null}``
and prints one JSON object: wall time, the connector's ``STATS``, the sync status and mode, counts of assets,
relationships and findings (normalised through the plugin's hooks, as a host would), a digest of the findings
(uid and status), and the peak resident memory of this process.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from typing import Any


def run(job: dict[str, Any]) -> dict[str, Any]:
    from connector_host.facade import Connector, SyncContext

    # the modules the hooks import on first use (the sync, its client and checks, normalisation), imported before
    # the clock starts, as bench_sdk.py imports the SDK before its own: both times are of reading the org, not of
    # a cold import (which a host pays once, when it loads the plugin)
    import connector_okta.normalize  # noqa: F401
    import connector_okta.plugin as plugin
    import connector_okta.sync  # noqa: F401

    connector = Connector.from_plugin("okta", plugin, source="benchmark")
    config = {"org_url": job["url"], "auth": {"method": "api_token", "token": job["token"]},
              "allow_insecure_http_loopback": True, **job.get("config", {})}
    state = None
    if job.get("state_in"):
        with open(job["state_in"], encoding="utf-8") as f:
            state = json.load(f)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = {"assets": 0, "relationships": 0, "findings": 0, "asset_errors": 0, "messages": 0}
    by_stream: dict[str, int] = {}
    finding_sum = 0  # an order-free digest of (finding uid, status): the sum of their hashes, holding nothing
    out: dict[str, Any] = {"errors": []}
    t0 = time.perf_counter()
    # the mode a host asks for when the connector declares incremental syncs (the runner's default): the connector
    # decides (a first sync is full); SyncContext's own default, "full", would force every sync full
    context = SyncContext(sync_mode=job.get("sync_mode", "incremental"))
    for msg in connector.sync(config, state, context):
        counts["messages"] += 1
        kind = msg.get("type")
        if kind == "RECORD":
            rec = msg["record"]
            if rec["kind"] == "asset":
                asset = connector.normalize_asset(rec)
                if asset is None:
                    counts["asset_errors"] += 1
                counts["assets"] += 1
                by_stream[rec["stream"]] = by_stream.get(rec["stream"], 0) + 1
            elif rec["kind"] == "relationship":
                counts["relationships"] += 1
            elif rec["kind"] == "check_result":
                finding = connector.normalize_finding(rec)
                counts["findings"] += 1
                info = (finding or {}).get("finding_info") or {}
                comp = (finding or {}).get("compliance") or {}
                key = f"{info.get('uid')}:{comp.get('status_id')}".encode()
                finding_sum = (finding_sum + int.from_bytes(hashlib.sha256(key).digest(), "big")) % (1 << 256)
        elif kind == "STATS":
            out["stats"] = msg["stats"]
        elif kind == "STATE":
            if job.get("state_out"):
                with open(job["state_out"], "w", encoding="utf-8") as f:
                    json.dump(msg["state"], f)
        elif kind == "SYNC_STATUS":
            out["sync_status"] = msg["sync_status"]
        elif kind == "ERROR" and len(out["errors"]) < 20:
            out["errors"].append(msg["error"])
    wall = time.perf_counter() - t0
    out.update(
        wall_seconds=round(wall, 3),
        counts=counts,
        assets_by_stream=by_stream,
        findings_digest=format(finding_sum, "064x"),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        rss_before_sync_mb=round(rss_before / 1024, 1),
        cpu_seconds=round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2),
    )
    return out


def timed_ms(fn: Any, repeat: int = 5) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return round(sorted(samples)[len(samples) // 2], 2)


def run_host(job: dict[str, Any]) -> dict[str, Any]:
    """The reference host: one sync through its runner into a fresh store, then the views' queries, timed."""
    import tempfile
    from pathlib import Path

    from connector_host.loader import Registry
    from connector_host.runner import Runner
    from connector_host.store import Store

    # the connector's modules imported before the clock, as run() does (its own wall is the one compared)
    import connector_okta.normalize  # noqa: F401
    import connector_okta.plugin as plugin
    import connector_okta.sync  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        registry = Registry()
        registry.register("okta", plugin, source="benchmark")
        config = {"org_url": job["url"], "auth": {"method": "api_token", "token": job["token"]},
                  "allow_insecure_http_loopback": True, **job.get("config", {})}
        store.add_integration("bench", "okta", config)
        runner = Runner(store, registry)
        t0 = time.perf_counter()
        record = runner.sync("bench")
        sync_seconds = time.perf_counter() - t0
        counts = store.asset_counts("bench")
        summary = store.findings_summary("bench")
        queries = {
            "findings: status=fail, severity=high": lambda: store.query_findings("bench", status="fail",
                                                                               severity="high", limit=50),
            "findings: check + status": lambda: store.query_findings("bench", check="okta-user-inactive",
                                                                    status="fail", limit=50),
            "findings: search": lambda: store.query_findings("bench", search="password", limit=50),
            "assets: type=user": lambda: store.query_assets("bench", type="user", limit=50),
            "assets: type=user, search": lambda: store.query_assets("bench", type="user", search="user9999",
                                                                   limit=50),
            "assets: search all types": lambda: store.query_assets("bench", search="engineering", limit=50),
            "asset counts by type": lambda: store.asset_counts("bench"),
        }
        timings = {name: timed_ms(fn) for name, fn in queries.items()}
        store.close()
        files = [Path(tmp) / n for n in ("bench.db", "bench.db-wal", "bench.db.staging", "bench.db.staging-wal")]
        on_disk = sum(f.stat().st_size for f in files if f.exists())
        out = {
            "sync_status": record.status,
            "sync_message": getattr(record, "message", None),
            "sync_errors": (getattr(record, "errors", None) or [])[:5],
            # the connector's own counts in this sync (a retry after a 5xx costs a backoff the alone run may not pay)
            "connector_stats": {k: (record.stats or {}).get(k) for k in ("requests", "retries", "throttled_429")},
            "sync_seconds": round(sync_seconds, 3),
            "assets_stored": sum(counts.values()),
            "assets_by_type": counts,
            "findings_summary": summary,
            "query_ms": timings,
            "max_query_ms": max(timings.values()),
            "store_bytes_on_disk": on_disk,
            "store_bytes_per_asset": round(on_disk / max(1, sum(counts.values()))),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    return out


def main() -> int:
    job = json.loads(sys.stdin.read())
    if job.get("mode") == "host":
        sys.stdout.write(json.dumps(run_host(job), default=str) + "\n")
        return 0
    if job.get("profile"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
        result = run(job)
        profiler.stop()
        with open(job["profile"], "w", encoding="utf-8") as f:
            f.write(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        result = run(job)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
