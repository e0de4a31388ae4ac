"""The views read indexes, not rows: every query behind the assets and findings lists, their counts and the
findings summary reads the ``assets`` / ``findings`` tables only through a covering index (or by rowid for the
page it returns). A row's columns after its raw object (gone_at, status, ...) sit behind the object's overflow
pages, so a plan that reads rows to filter or count costs ~250 ms at 100,000 assets (benchmarks/host_views.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

TABLE_LINE = re.compile(r"^(SCAN|SEARCH) (a|f|assets|findings)\b")


def _captured_plans(store: Any, call: Callable[[], Any]) -> list[tuple[str, str]]:
    db = store._conn()
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        call()
    finally:
        db.set_trace_callback(None)
    plans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        for row in db.execute("EXPLAIN QUERY PLAN " + sql):
            plans.append((sql, row[3]))
    return plans


VIEWS: dict[str, Callable[[Any], Any]] = {
    "assets by type": lambda s: s.query_assets("acme", type="user", limit=2),
    "assets, all types, page 2": lambda s: s.query_assets("acme", limit=2, offset=2),
    "asset counts": lambda s: s.asset_counts("acme"),
    "findings default": lambda s: s.query_findings("acme", limit=2),
    "findings filtered": lambda s: s.query_findings("acme", status="fail", severity="high", check="x", limit=2),
    "findings search": lambda s: s.query_findings("acme", search="pass", limit=2),
    "findings new": lambda s: s.query_findings("acme", new=True, limit=2),
    "findings summary": lambda s: s.findings_summary("acme"),
}


@pytest.mark.parametrize("store_backend", ["sqlite"], indirect=True)  # SQLite's plans; PostgreSQL: host_views.py
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_views_read_assets_and_findings_through_covering_indexes(runner, store, integration, view):
    integration()
    assert runner.sync("acme").status == "succeeded"
    plans = _captured_plans(store, lambda: VIEWS[view](store))
    table_lines = [(sql, line) for sql, line in plans if TABLE_LINE.match(line)]
    assert table_lines, "the view ran no query on assets or findings"
    for sql, line in table_lines:
        assert "COVERING INDEX" in line or "INTEGER PRIMARY KEY" in line, f"{line!r} in {sql}"
