"""Benchmark: the host store with 100,000 assets and 20,000 findings.

Measures the staged write and the one-transaction apply of a full sync, then filtered views (the CLI's and
the web page's queries). Run: ``.venv/bin/python benchmarks/host_store.py [ASSETS]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from connector_host.store import StagedAsset, StagedFinding, Store

TYPES = ["user"] * 90 + ["group"] * 6 + ["app"] * 2 + ["policy", "policy_rule"]


def populate(store: Store, n_assets: int, n_findings: int) -> dict[str, float]:
    integ = store.add_integration("bench", "fake", {})
    t0 = time.perf_counter()
    sid = store.start_sync(integ.id)
    batch_a, batch_f = [], []
    for i in range(n_assets):
        t = TYPES[i % len(TYPES)]
        uid = f"00{t[0]}{i:018d}"
        batch_a.append(StagedAsset(t, uid, f"{t} number {i} user{i}@example.com", 5003 if t == "user" else 5023,
                                   t + "s", {"uid": uid, "name": f"{t} {i}", "profile": {"x": "y" * 40}}))
        if len(batch_a) >= 1000:
            store.stage(sid, batch_a)
            batch_a = []
    for i in range(n_findings):
        batch_f.append(StagedFinding(f"f{i}", f"check-{i % 80}", f"Check {i % 80}", 1 + i % 5,
                                     ("pass", "fail", "warning", "unknown")[i % 4], ["STIG", f"V-{i % 80}"],
                                     "user", f"00u{i:018d}", f"user {i}", {"uid": f"f{i}"}))
        if len(batch_f) >= 1000:
            store.stage(sid, findings=batch_f)
            batch_f = []
    store.stage(sid, batch_a, batch_f)
    t1 = time.perf_counter()
    store.finish_sync(sid, "succeeded")
    t2 = time.perf_counter()
    return {"stage_seconds": t1 - t0, "apply_seconds": t2 - t1}


def timed(fn, repeat: int = 7) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def run(n_assets: int = 100_000, n_findings: int = 20_000, path: Path | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(path or Path(tmp) / "bench.db")
        result = populate(store, n_assets, n_findings)
        queries = {
            "assets page (all)": lambda: store.query_assets("bench", limit=50),
            "assets by type=group": lambda: store.query_assets("bench", type="group", limit=50),
            "assets search 'number 4242'": lambda: store.query_assets("bench", search="number 4242", limit=50),
            "assets type=user search 'user99'": lambda: store.query_assets("bench", type="user", search="user99", limit=50),
            "asset counts by type": lambda: store.asset_counts("bench"),
            "findings severity=high": lambda: store.query_findings("bench", severity="high", limit=50),
            "findings check+status": lambda: store.query_findings("bench", check="check-7", status="fail", limit=50),
            "findings --new": lambda: store.query_findings("bench", new=True, limit=50),
            "findings summary": lambda: store.findings_summary("bench"),
            "one asset by uid": lambda: store.asset("00u000000000000000000"),
        }
        for name, fn in queries.items():
            result[name] = timed(fn)
        store.close()
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    r = run(n)
    print(f"store with {n:,} assets, 20,000 findings")
    print(f"  stage (batches of 1000): {r.pop('stage_seconds'):.2f}s; apply in one transaction: {r.pop('apply_seconds'):.2f}s")
    for k, v in r.items():
        print(f"  {k:<36} {v:7.2f} ms (median)")


if __name__ == "__main__":
    main()
