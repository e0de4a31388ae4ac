"""The scheduler: integrations run at their interval, missed runs caught up once, never two at once."""

from __future__ import annotations

import threading
import time

from connector_host.scheduler import Scheduler
from connector_host.store import Store, now_ms

MIN = 60_000


def test_interval_and_catch_up_once(store, runner, integration):
    integration()
    sched = Scheduler(store, runner)
    assert [d.trigger for d in sched.due()] == ["first"]
    first = sched.run_once()
    assert [r.status for r in first] == ["succeeded"] and first[0].trigger == "first"
    started = first[0].started_at
    assert sched.due(started + 59 * MIN) == []
    assert [d.trigger for d in sched.due(started + 61 * MIN)] == ["schedule"]
    # the host was down for 5 intervals: one catch-up run, then nothing due until the next interval
    late = started + 5 * 60 * MIN
    runs = sched.run_once(late)
    assert len(runs) == 1 and runs[0].trigger == "catch-up"
    assert sched.due(runs[0].started_at + MIN) == []
    assert len(store.history("acme")) == 2
    assert 0 < sched.next_due_in() <= 3600


def test_disabled_and_on_demand_integrations_not_scheduled(store, runner, integration):
    integration()
    store.update_integration("acme", enabled=False)
    integration("manual")
    store.update_integration("manual", interval_minutes=None)
    sched = Scheduler(store, runner)
    assert sched.due() == [] and sched.next_due_in() is None


def test_running_integration_is_not_started_twice(store, runner, fake_org, integration):
    integration()
    fake_org.block = threading.Event()
    sched = Scheduler(store, runner)
    t = threading.Thread(target=sched.run_once)
    t.start()
    assert fake_org.started.wait(5)
    assert sched.due() == []  # its sync is running
    assert sched.run_once(now_ms() + 10 * 60 * MIN) == []
    fake_org.block.set()
    t.join(10)
    assert fake_org.calls == 1 and [r.status for r in store.history("acme")] == ["succeeded"]


def test_twenty_integrations_at_once_without_cross_talk(store, runner, integration):
    for i in range(20):
        integration(f"org{i}", url=f"https://org{i}.example")
    sched = Scheduler(store, runner, max_workers=8)
    records = sched.run_once()
    assert sorted(r.integration for r in records) == sorted(f"org{i}" for i in range(20))
    assert all(r.status == "succeeded" and r.assets_new == 5 for r in records)
    for i in range(20):  # each integration holds its own org's objects only
        users = store.query_assets(f"org{i}", type="user").items
        assert len(users) == 3 and all(u["name"].endswith(f"@https://org{i}.example") for u in users)
        assert store.query_findings(f"org{i}").total == 3


def test_interrupted_shown_on_restart(store, runner, integration, store_url):
    integ = integration()
    sid = store.start_sync(integ.id)
    restarted = Store(store_url)  # the host started again, on the same store (file or PostgreSQL schema)
    restarted._conn().execute("UPDATE syncs SET owner = 'somehost-that-crashed:1', heartbeat_at = ? WHERE id = ?",
                              (now_ms() - 3 * 60 * MIN, sid))
    sched = Scheduler(restarted, runner)
    assert sched.recover() == [sid]
    assert restarted.get_sync(sid).status == "interrupted"
    restarted.close()


def test_run_forever_until_stopped(store, runner, integration):
    integration()
    sched = Scheduler(store, runner)
    t = threading.Thread(target=sched.run_forever, kwargs={"poll_seconds": 0.05})
    t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not [r for r in store.history("acme") if r.status != "running"]:
        time.sleep(0.02)
    sched.stop()
    t.join(10)
    assert not t.is_alive()
    assert [r.status for r in store.history("acme")] == ["succeeded"]
