"""Syncs at scale: many rate-limited sandbox orgs synced through the job queue by 1, 2 and 4 worker processes.

    .venv/bin/python benchmarks/bench_scale.py                      # the default: 8 orgs of 300-800 users, a few minutes
    .venv/bin/python benchmarks/bench_scale.py --orgs 100 --min-users 1000 --max-users 5000   # the full run (see below)
    .venv/bin/python benchmarks/bench_scale.py --workers 1,2 --broker amqp://guest:guest@127.0.0.1:5672//

Each org is a sandbox in a process of its own with its own rate limits (``--time-scale``: 10 makes a rate-limit
minute last 6 s, so the syncs wait on their quotas as real ones do). For each worker count: a fresh store (a new
PostgreSQL schema), every org's Sync Now queued at once, and until every job has ended:

* throughput: syncs per minute, and its ratio to one worker's (linear scaling: 2.0 with 2 workers, 4.0 with 4);
* enqueue -> start: how long jobs waited for a worker (median and max; it grows with the backlog by design);
* the CPU the machine spent (user + system of the whole machine, in cores), to see where 2 cores saturate.

Then the store per backend: one sync of a ``--apply-users`` org in-process into SQLite and into PostgreSQL, its
apply (``finish_sync``, the one transaction) time and the store's size, each per 100,000 assets.

The full run (100 orgs of 1,000-5,000 users) needs about 100 sandbox processes of 100-400 MB each: more memory than
this 24 GB machine shares with the other engineers; the default is sized to run in a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale_cluster import Cluster, OrgSpec  # noqa: E402

PG_DEFAULT = os.environ.get("CONNECTOR_HOST_TEST_PG") or "postgresql://postgres@127.0.0.1:5432/test"
REDIS_DEFAULT = os.environ.get("CONNECTOR_HOST_TEST_REDIS") or "redis://127.0.0.1:6379/0"


def cpu_ticks() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine (/proc/stat)."""
    with open("/proc/stat") as f:
        parts = [float(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = parts[3] + parts[4]
    return (sum(parts) - idle) / hz, sum(parts) / hz


def with_schema(url: str, schema: str) -> str:
    return url + ("&" if "?" in url else "?") + f"schema={schema}"


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from connector_host.store_pg import split_url

    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def round_(orgs: list[Any], specs: list[OrgSpec], store_base: str, broker: str, workers: int, workdir: Path,
           concurrency: int) -> dict[str, Any]:
    """One worker count: a fresh store, every org queued at once, timed until every job ended."""
    schema = f"bs_{uuid.uuid4().hex[:10]}"
    url = with_schema(store_base, schema)
    c = Cluster(url, broker, workdir / f"w{workers}")
    try:
        c.orgs = []
        for org in orgs:  # the orgs stay up between rounds; fresh rate-limit windows for each round
            org.reset_limits()
        c.orgs.extend(orgs)
        store = c.store()
        try:
            for i, org in enumerate(orgs):
                name = f"org{i:03d}"
                store.add_integration(name, "okta", {
                    "org_url": org.url, "allow_insecure_http_loopback": True,
                    "auth": {"method": "api_token", "token": {"$secret": "env", "name": f"SBX_TOKEN_{i}"}},
                })
                c.names.append(name)
        finally:
            store.close()
        c.start_workers(workers, concurrency=concurrency)
        busy0, total0 = cpu_ticks()
        t0 = time.time()
        job_ids = c.enqueue_all()
        jobs = c.wait(job_ids, timeout=3600, poll=0.5)
        wall = time.time() - t0
        busy1, total1 = cpu_ticks()
        store = c.store()
        try:
            records = [store.get_sync(j.sync_id) for j in jobs if j.sync_id]
            assets = store._q("SELECT COUNT(*) FROM assets")[0][0]
        finally:
            store.close()
        waits = [(j.started_at - j.enqueued_at) / 1000 for j in jobs if j.started_at]
        durations = [r.duration_seconds or 0 for r in records]
        return {
            "workers": workers, "syncs": len(jobs), "ok": sum(r.status in ("succeeded", "partial") for r in records),
            "attempts": sum(j.attempts for j in jobs), "wall_s": round(wall, 1),
            "syncs_per_min": round(60 * len(jobs) / wall, 2),
            "enqueue_to_start_s": {"median": round(statistics.median(waits), 2), "max": round(max(waits), 2)},
            "sync_s": {"median": round(statistics.median(durations), 2), "max": round(max(durations), 2)},
            "rate_limit_wait_s": round(sum(r.rate_limit_wait_seconds or 0 for r in records), 1),
            "assets": assets, "cpu_cores_busy": round((busy1 - busy0) / max(1e-9, wall), 2),
            "cpu_share": round((busy1 - busy0) / max(1e-9, total1 - total0), 2),
        }
    finally:
        c.stop_workers()
        drop_schema(store_base, schema)


def store_figures(users: int, pg: str) -> dict[str, Any]:
    """Apply time and store size per 100,000 assets, SQLite and PostgreSQL (host_views.sync, one org in-process)."""
    import psycopg
    from connector_host.store_pg import split_url
    from host_views import sync

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "apply.db"
        s = sync(users, db)
        size = sum(Path(f"{db}{x}").stat().st_size for x in ("", "-wal") if Path(f"{db}{x}").exists())
        out["sqlite"] = _per_100k(s, size)
    schema = f"bs_{uuid.uuid4().hex[:10]}"
    try:
        s = sync(users, with_schema(pg, schema))
        with psycopg.connect(split_url(pg)[0], autocommit=True) as conn:
            size = conn.execute("SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
                                " AND c.relkind IN ('r', 'm')", (schema,)).fetchone()[0]
        out["postgresql"] = _per_100k(s, int(size))
    finally:
        drop_schema(pg, schema)
    return out


def _per_100k(s: dict[str, Any], size: int) -> dict[str, Any]:
    k = 100_000 / max(1, s["assets"])
    return {"assets": s["assets"], "apply_s": s["finish_sync_s"], "apply_s_per_100k_assets": round(s["finish_sync_s"] * k, 2),
            "store_mb": round(size / 2**20, 1), "store_mb_per_100k_assets": round(size / 2**20 * k, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orgs", type=int, default=8)
    p.add_argument("--min-users", type=int, default=300)
    p.add_argument("--max-users", type=int, default=800)
    p.add_argument("--workers", default="1,2,4", help="worker process counts to compare (default 1,2,4)")
    p.add_argument("--concurrency", type=int, default=1, help="syncs per worker process (default 1)")
    p.add_argument("--time-scale", type=float, default=10.0, help="sandbox rate-limit time scale (default 10)")
    p.add_argument("--store", default=PG_DEFAULT, help="PostgreSQL URL (a fresh schema per round)")
    p.add_argument("--broker", default=REDIS_DEFAULT)
    p.add_argument("--apply-users", type=int, default=20_000, help="org size of the apply/size figures (0: skip)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    specs = [OrgSpec(users=rng.randint(args.min_users, args.max_users), time_scale=args.time_scale, seed=i + 1)
             for i in range(args.orgs)]
    from sandbox_proc import SandboxProc

    out: dict[str, Any] = {"orgs": args.orgs, "users": [s.users for s in specs], "time_scale": args.time_scale,
                           "broker": args.broker.split(":")[0], "cores": os.cpu_count(), "rounds": []}
    t = time.perf_counter()
    orgs = [SandboxProc.start(users=s.users, limits=True, time_scale=s.time_scale, seed=s.seed) for s in specs]
    out["sandboxes_start_s"] = round(time.perf_counter() - t, 1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in [int(x) for x in args.workers.split(",") if x.strip()]:
                r = round_(orgs, specs, args.store, args.broker, n, Path(tmp), args.concurrency)
                out["rounds"].append(r)
                if not args.json:
                    print(json.dumps(r), flush=True)
    finally:
        for org in orgs:
            org.stop()
    base = out["rounds"][0]["syncs_per_min"] / out["rounds"][0]["workers"] if out["rounds"] else 0
    for r in out["rounds"]:
        r["scaling"] = round(r["syncs_per_min"] / (base or 1), 2)
    if args.apply_users:
        out["store_per_backend"] = store_figures(args.apply_users, args.store)
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"\n{args.orgs} orgs ({min(out['users'])}-{max(out['users'])} users, rate limits at time scale "
          f"{args.time_scale}), broker {out['broker']}, {out['cores']} cores")
    print(f"{'workers':>7} {'syncs/min':>10} {'scaling':>8} {'wall s':>7} {'start wait med/max s':>21} "
          f"{'sync med/max s':>15} {'cpu cores':>9}")
    for r in out["rounds"]:
        w, s = r["enqueue_to_start_s"], r["sync_s"]
        print(f"{r['workers']:>7} {r['syncs_per_min']:>10} {r['scaling']:>8} {r['wall_s']:>7} "
              f"{w['median']:>10}/{w['max']:<10} {s['median']:>7}/{s['max']:<7} {r['cpu_cores_busy']:>9}")
    for backend, f in (out.get("store_per_backend") or {}).items():
        print(f"{backend:10} apply {f['apply_s_per_100k_assets']} s and {f['store_mb_per_100k_assets']} MB per 100k"
              f" assets (one sync of {f['assets']} assets: apply {f['apply_s']} s, store {f['store_mb']} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
