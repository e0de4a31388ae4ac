"""Scale: filtered views over a store of 100,000 assets answer in under 100 ms (slow; run with -m slow)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "host_store.py"


@pytest.mark.slow
def test_views_over_100k_assets_under_100ms(capsys):
    spec = importlib.util.spec_from_file_location("host_store_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.run(100_000, 20_000)
    stage, apply = result.pop("stage_seconds"), result.pop("apply_seconds")
    with capsys.disabled():
        print(f"\n100,000 assets: staged in {stage:.2f}s, applied in one transaction in {apply:.2f}s")
        for name, ms in result.items():
            print(f"  {name:<36} {ms:7.2f} ms")
    slow = {k: v for k, v in result.items() if v >= 100}
    assert not slow, slow
    assert apply < 30
