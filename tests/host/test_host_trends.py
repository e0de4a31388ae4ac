"""Trends (issue 16): the posture each applied sync left, as points, charts and the new / resolved lists."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from connector_host import cli
from connector_host.posture.findings import FindingFilter, list_findings
from connector_host.posture.trends import points, severity_chart, share_chart
from connector_host.store import Store
from posture_data import ASSETS, benchmark, make_store, registry, results


def three_syncs(path: str | Path) -> Store:
    store = make_store(path, second=False)
    acme = store.get_integration("acme").id
    for keep in (lambda f: True, lambda f: f.check_id != "password-length"):  # sync 2 same, sync 3 fixes one
        sid = store.start_sync(acme)
        store.stage(sid, ASSETS, [f for f in results() if keep(f)], [])
        store.finish_sync(sid, "succeeded")
    sid = store.start_sync(acme)  # a failed sync is not a point
    store.finish_sync(sid, "failed")
    return store


def test_points_and_charts_after_three_syncs(store_url: str) -> None:
    store = three_syncs(store_url)
    acme = store.get_integration("acme").id
    pts = points(store, acme, benchmarks={"stig": benchmark("stig"), "healthinsight": benchmark("healthinsight")})
    assert [p["sync_id"] for p in pts] == [1, 2, 3]
    assert [p["failing"] for p in pts] == [4, 4, 3]
    assert pts[0]["failing_by_severity"] == {"critical": 3, "medium": 1}
    assert pts[-1]["resolved"] == 1 and pts[0]["new"] == 4
    assert pts[0]["shares"]["stig"] == {"rules": 29, "passing": 0, "share": 0.0}
    assert pts[0]["shares"]["healthinsight"]["passing"] == 1
    svg = severity_chart(pts)
    assert svg.startswith("<svg") and 'id="trend-severity"' in svg
    assert len(re.findall(r'data-series="critical"', svg)) == 1 and svg.count("<circle") == 3 * 3  # crit, med, all
    assert 'id="trend-share"' in share_chart(pts, {"stig": benchmark("stig")}) and severity_chart([]) == ""
    assert share_chart(pts) == ""  # no standard published: no share chart
    resolved = list_findings(store, FindingFilter(integration=acme, resolved_last=True))
    assert [f["check_id"] for f in resolved.items] == ["password-length"]
    out = io.StringIO()
    code = cli.main(["--store", str(store.path), "trends", "acme", "--json"], registry=registry(),
                    stdout=out, stderr=io.StringIO())
    body = json.loads(out.getvalue())
    assert code == 0 and len(body["points"]) == 3 and body["resolved"]["total"] == 1
    out = io.StringIO()
    cli.main(["--store", str(store.path), "trends", "acme"], registry=cli.Registry(connectors={}), stdout=out,
             stderr=io.StringIO())
    assert "1 resolved since the last sync" in out.getvalue() and "#3" in out.getvalue()
    store.close()


def test_a_store_migrated_to_trends_starts_with_the_last_sync(store_url: str) -> None:
    store = three_syncs(store_url)
    store._conn().execute("DELETE FROM sync_posture")
    from connector_host.posture.snapshot import backfill

    backfill(store._conn(), store.dialect)
    assert [p["sync_id"] for p in points(store, store.get_integration("acme").id)] == [3]
    store.close()
