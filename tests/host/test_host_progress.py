"""Progress during a sync (issue 16): per collection the objects read of those expected (Okta's total where it
gives one, the users' from the Everyone group; else the last sync's count as the estimate), the rate-limit wait under way ("waiting 3 s for the users quota", told by the client as it starts
waiting) and an ETA, in the runner's progress events and the CLI's progress line."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("okta_sandbox.server")
pytest.importorskip("connector_okta.plugin")

from connector_host.console import ProgressDisplay, eta_text  # noqa: E402
from connector_host.loader import load_connectors  # noqa: E402
from connector_host.runner import ProgressEvent, Runner  # noqa: E402
from connector_host.store import Store  # noqa: E402
from okta_sandbox.ratelimit import RateLimits  # noqa: E402


def test_a_rate_limited_sync_tells_its_wait_its_totals_and_an_eta(sandbox, tmp_path, monkeypatch):
    # a users quota of 4 a "minute" and a minute of 2 seconds: the users pages wait for it
    sb = sandbox("default", users=400, seed=1, rate_limits=RateLimits({"users_list": 4}), time_scale=30)
    monkeypatch.setenv("PROGRESS_TOKEN", sb.token)
    events: list[ProgressEvent] = []
    with Store(tmp_path / "p.db") as store:
        integ = store.add_integration("p", "okta", {
            "org_url": sb.url, "auth": {"method": "api_token", "token": {"$secret": "env", "name": "PROGRESS_TOKEN"}},
            "allow_insecure_http_loopback": True})
        runner = Runner(store, load_connectors(allow=["okta"], env={}))
        first = runner.sync(integ.id, progress=events.append)
        assert first.status == "succeeded"
        # nothing to estimate from yet, but Okta states the users: the Everyone group's count, read with the groups
        assert {k for e in events for k in e.totals} == {"users"}
        assert any(e.totals.get("users") == 400 and e.counts.get("users", 0) < 400 for e in events)
        assert any(e.waiting and e.waiting.endswith("s for the users quota") for e in events), \
            [e.message for e in events][-20:]
        events.clear()
        second = runner.sync(integ.id, mode="full", progress=events.append)
    assert second.status == "succeeded"
    # the last sync's counts are the estimates; the ETA comes once something was read
    assert all(e.totals.get("users") == 400 for e in events)
    assert any(e.eta_seconds is not None and e.counts.get("users", 0) < 400 for e in events)
    assert any(e.waiting for e in events)


def test_the_progress_line_shows_read_of_expected_the_wait_and_the_eta():
    out = io.StringIO()
    display = ProgressDisplay(out, enabled=True, width=200)
    display(ProgressEvent("acme", 3, "users", {"groups": 12, "users": 1200}, requests=40,
                          rate_limit_wait_seconds=41.0, totals={"users": 5000, "groups": 12},
                          waiting="waiting 41 s for the users quota", eta_seconds=150))
    line = out.getvalue()
    assert "groups 12/12" in line and "users 1,200/5,000" in line
    assert "waiting 41 s for the users quota" in line and "ETA 2 min" in line
    assert (eta_text(40), eta_text(180), eta_text(4800)) == ("40 s", "3 min", "1 h 20 min")
