"""Smoke test of the performance benchmark (benchmarks/bench_sync.py): a tiny org, limits off, every field there.

It checks the shape of the JSON the benchmark writes, never the performance targets (those are measured by
running the benchmark itself, see benchmarks/README.md).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_sync  # noqa: E402
from lower_bound import lower_bound, series_requests  # noqa: E402

SYNC_FIELDS = {
    "wall_seconds", "status", "requests", "requests_by_bucket", "fanout_requests", "retries", "throttled_429",
    "throttled_pct", "rate_limit_wait_seconds", "peak_rss_mb", "assets", "findings", "assets_per_second",
    "findings_per_second", "findings_digest",
}
SDK_FIELDS = {"wall_seconds", "completed", "requests", "throttled_429", "ratio_to_ours", "peak_rss_mb", "objects"}
BOUND_FIELDS = {"requests", "requests_by_bucket", "seconds_by_bucket", "binding_bucket", "rate_limit_seconds",
                "concurrency_seconds", "seconds", "per_token_quota", "fanout_requests_if_unbudgeted"}


def test_series_requests_and_bound_arithmetic() -> None:
    assert series_requests(0, 200) == 1  # an empty list still costs one request
    assert series_requests(200, 200) == 1
    assert series_requests(201, 200) == 2
    assert series_requests(5000, None) == 1
    shape = {"collections": {
        "users": {"bucket": "users_list", "page_max": 200, "series": [1000, 0], "fanout": False},
        "group_members": {"bucket": "default", "page_max": 1000, "series": [10] * 700, "fanout": False},
        "group_roles": {"bucket": "default", "page_max": None, "series": [1] * 700, "fanout": True},
    }}
    b = lower_bound(shape, quotas={"users_list": 600, "default": 1200}, token_share=0.5, window_seconds=10.0)
    assert b["requests"] == 5 + 1 + 700
    assert b["requests_by_bucket"] == {"users_list": 6, "default": 700}
    assert b["fanout_requests_if_unbudgeted"] == {"group_roles": 700}
    # 700 requests at 600 per window: two windows, the second starting one window in
    assert b["seconds_by_bucket"]["default"] == 10.0 and b["binding_bucket"] == "default"
    with_fanout = lower_bound(shape, quotas={"users_list": 600, "default": 1200}, token_share=0.5,
                              window_seconds=10.0, fanout_made=600)
    assert with_fanout["requests"] == 706 and with_fanout["seconds_by_bucket"]["default"] == 20.0


def test_benchmark_smoke_writes_every_field(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    have_sdk = importlib.util.find_spec("okta") is not None
    argv = ["--sizes", "200", "--limits", "off", "--out", str(out), "--timeout", "60"]
    if not have_sdk:
        argv.append("--no-sdk")
    assert bench_sync.main(argv) == 0
    report = json.loads(out.read_text())
    assert {"command", "settings", "targets", "sizes", "verdicts"} <= set(report)
    (size,) = report["sizes"]
    assert size["users"] == 200
    assert {"users", "groups", "apps", "memberships"} <= set(size["org"])
    run = size["sync_limits_off"]
    assert not run.get("failed"), run
    assert SYNC_FIELDS <= set(run), SYNC_FIELDS - set(run)
    assert run["status"] == "succeeded" and run["assets"] > 200 and run["findings"] > 0
    assert run["requests"] > 0 and run["throttled_429"] == 0
    assert BOUND_FIELDS <= set(size["lower_bound"])
    assert {"collection_requests", "fanout_requests", "requests_vs_minimum"} <= set(size["ratios"])
    assert size["ratios"]["requests_vs_minimum"] >= 1.0  # nobody reads below the minimum
    host = size["host"]
    assert not host.get("failed"), host
    assert {"sync_status", "sync_seconds", "assets_stored", "query_ms", "max_query_ms"} <= set(host)
    assert host["assets_stored"] >= 200
    if have_sdk:
        for key in ("sdk_bulk_limits_off", "sdk_same_limits_off"):
            sdk = size[key]
            assert not sdk.get("failed"), sdk
            assert SDK_FIELDS <= set(sdk), SDK_FIELDS - set(sdk)
        assert size["sdk_same_limits_off"]["objects"].get("admin_users", 0) > 0  # the peer reads the admin roles
        assert sdk["objects"]["users"] == 200
    else:
        pytest.skip("the okta SDK is not installed (benchmarks/requirements.txt): SDK fields not checked")
