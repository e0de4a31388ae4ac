"""The job queue's edges, on both store backends (SQLite and PostgreSQL: a fresh schema per test, dropped after;
skipped without PostgreSQL, failing under CI=true: tests/services.py), with Celery's in-memory broker unless a
test says otherwise:

* ``sync NAME --force-unlock`` with a broker ends the stuck sync in the store and the integration's jobs (lease
  cleared) before it queues a new one; the stuck job's worker, if alive, loses its lease;
* a job whose message was published then lost (a Redis without persistence restarted) is published again by the
  scheduler holding the ``scheduler`` lease once it has been queued longer than the bound, and ``jobs`` and the
  page's status say so;
* ``serve`` with a broker runs no sync in its process: its scheduler only enqueues (under the lease), Sync Now
  enqueues; ``serve`` on a PostgreSQL store needs CONNECTOR_HOST_SECRET_KEY / _FILE.
"""

from __future__ import annotations

import io
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from connector_host import cli, leases
from connector_host.job_queue import JobQueue, QueueScheduler, serve_queue, serve_scheduler
from connector_host.store import Store, now_ms
from services import pg_store_url, require

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

BROKER = "memory://"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        with pg_store_url("jobs") as url:
            yield url
    else:
        yield str(tmp_path / "store.db")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture
def queue_name(monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"connector-host-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CONNECTOR_HOST_QUEUE", name)
    monkeypatch.delenv("CONNECTOR_HOST_BROKER", raising=False)
    return name


class RecordingQueue(JobQueue):
    """A JobQueue on the in-memory broker that remembers what it published."""

    def __init__(self, store: Store):
        super().__init__(store, BROKER)
        self.published: list[str] = []

    def publish(self, job: leases.Job) -> None:
        super().publish(job)
        self.published.append(job.id)


def run(store_url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--store", store_url, "--broker", BROKER, *argv], registry=cli.Registry(connectors={}),
                    stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def add(store: Store, name: str = "acme", **kw: Any) -> Any:
    return store.add_integration(name, "okta", {"org_url": f"https://{name}.okta.com"}, **kw)


# ------------------------------------------------------------------------------------------------ --force-unlock


def test_sync_force_unlock_with_a_broker_ends_the_stuck_sync_and_its_jobs(store: Store, store_url: str,
                                                                          queue_name: str) -> None:
    integ = add(store)
    stuck_worker = "gone-host:4242:deadbeef"
    job = leases.create(store, integ.id, trigger="manual")
    assert leases.claim(store, job.id, stuck_worker, ttl=600).outcome == "run"  # its lease alive for 10 minutes
    sid = store.start_sync(integ.id)  # the sync it left marked running
    store._conn().execute("UPDATE syncs SET owner = ? WHERE id = ?", ("gone-host:4242", sid))
    keeper = leases.Keeper(store, stuck_worker, ttl=600)
    handle = keeper.hold(job.id)

    code, _, err = run(store_url, "sync", "acme", "--no-wait")
    assert code == 4 and "running already" in err  # without --force-unlock: busy, nothing queued
    assert [j.id for j in leases.jobs(store, integ.id)] == [job.id]

    code, out, err = run(store_url, "--json", "sync", "acme", "--no-wait", "--force-unlock")
    assert code == 0, err
    assert f"unlocked sync #{sid} of acme" in err
    assert f"warning: ended job {job.id} of acme (running on {stuck_worker}) by --force-unlock" in err
    queued = json.loads(out)
    assert queued["state"] == "queued" and queued["id"] != job.id
    old = leases.get(store, job.id)
    assert old.state == "failed" and old.lease_until is None and "force-unlock" in (old.message or "")
    assert store.get_sync(sid).status == "interrupted"
    assert leases.pending(store, integ.id).id == queued["id"]
    assert leases.get(store, queued["id"]).published_at is not None  # on the broker
    keeper.beat()  # the stuck worker, were it alive, finds its lease gone and stops its sync
    assert handle.lost and handle.cancelled()

    code, _, err = run(store_url, "sync", "acme", "--no-wait", "--force-unlock")  # a queued job is ended too
    assert code == 0 and f"ended job {queued['id']} of acme (queued)" in err
    assert leases.get(store, queued["id"]).state == "cancelled"


# ------------------------------------------------------------------------------------------------ lost messages


def test_a_lost_message_is_published_again_by_the_leading_scheduler(store: Store, store_url: str,
                                                                     queue_name: str) -> None:
    acme, beta = add(store), add(store, "beta")
    lost = leases.create(store, acme.id, trigger="manual")  # the row, no message: as if Redis lost it
    hour_ago = now_ms() - 3600_000
    store._conn().execute("UPDATE sync_jobs SET published_at = ?, enqueued_at = ? WHERE id = ?",
                          (hour_ago, hour_ago, lost.id))
    fresh = leases.create(store, beta.id, trigger="manual")  # published a moment ago: not lost
    leases.mark_published(store, fresh.id)

    follower_queue = RecordingQueue(store)
    leader_queue = RecordingQueue(store)
    leader = QueueScheduler(store, leader_queue, requeue_after=600)
    follower = QueueScheduler(store, follower_queue, requeue_after=600)
    assert leader.tick() == []  # leads (nothing due: no interval set)
    assert follower.tick() is None and follower_queue.published == []  # only the lease holder re-publishes
    assert leader_queue.published == [lost.id]
    job = leases.get(store, lost.id)
    assert job.state == "queued" and job.published_at > hour_ago and job.attempts == 0
    assert "published again" in job.message and "no worker started it" in job.message
    assert leader.tick() == [] and leader_queue.published == [lost.id]  # once per bound, not every round
    assert leases.lost(store, after=600) == []

    assert leader.republished == []
    code, out, _ = run(store_url, "jobs", "acme")
    assert code == 0 and "published again" in out
    store._conn().execute("UPDATE sync_jobs SET published_at = ? WHERE id = ?", (hour_ago, lost.id))
    code, out, err = run(store_url, "--json", "schedule", "run", "--once")  # lost again: the CLI's round says so
    assert code == 0, err
    body = json.loads(out)
    assert body["leader"] is False  # the leader above holds the lease: this scheduler republishes nothing
    leases.release(store, "scheduler", leader.holder)
    code, out, err = run(store_url, "schedule", "run", "--once")
    assert code == 0 and f"acme: job {lost.id} published again" in out, (out, err)
    from connector_host.web.jobs import SyncJobs

    page = SyncJobs(SimpleNamespace(store=store, env={}), queue=leader_queue)  # type: ignore[arg-type]
    status = page.status(acme)
    assert status["running"] and "queued: waiting for a worker (published again" in status["message"]

    # a worker that now gets both messages runs the job once: the second finds it ended
    assert leases.claim(store, lost.id, "w1:1:a").outcome == "run"
    assert leases.end(store, lost.id, "done", worker="w1:1:a")
    assert leases.claim(store, lost.id, "w2:2:b").outcome == "duplicate"


def test_the_bound_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_HOST_REQUEUE_AFTER", "120")
    assert leases.requeue_after() == 120.0
    monkeypatch.setenv("CONNECTOR_HOST_REQUEUE_AFTER", "soon")
    assert leases.requeue_after() == leases.DEFAULT_REQUEUE_AFTER


# ------------------------------------------------------------------------------------------------ serve


def test_serve_with_a_broker_enqueues_and_runs_no_sync_in_its_process(store: Store, queue_name: str) -> None:
    integ = add(store, interval_minutes=60)  # due: never synced
    queue = serve_queue(store, None, {"CONNECTOR_HOST_BROKER": BROKER})
    assert queue is not None and serve_queue(store, None, {}) is None

    class NoSync:
        store = None

        def sync(self, *a: Any, **k: Any) -> Any:
            raise AssertionError("a sync ran in the page's process")

        is_running = test = sync

    runner: Any = NoSync()
    runner.store, runner.env = store, {}
    sched = serve_scheduler(store, runner, queue)
    assert isinstance(sched, QueueScheduler)
    [enqueued] = sched.tick()
    assert enqueued.job.trigger == "first" and leases.holder(store, "scheduler") == sched.holder
    from connector_host.web.jobs import SyncJobs

    page = SyncJobs(runner, queue=queue)
    status = page.status(integ)
    assert status["running"] and status["message"] == "queued: waiting for a worker"
    with pytest.raises(Exception, match="queued already"):
        page.start(integ)
    assert page.cancel(integ)  # a queued job ends at once (no worker has to take its message)
    assert leases.get(store, enqueued.job.id).state == "cancelled" and not page.status(integ)["running"]
    again = page.start(integ)  # Sync Now: queued for the workers
    assert again["job"]["state"] == "queued" and again["job"]["trigger"] == "manual"
    assert store.last_sync(integ.id) is None  # nothing ran here
    in_process = serve_scheduler(store, runner, None)
    assert type(in_process).__name__ == "Scheduler"


def test_serve_on_postgresql_needs_a_secret_key_and_a_worker_without_one_is_warned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECTOR_HOST_SECRET_KEY", raising=False)
    monkeypatch.delenv("CONNECTOR_HOST_SECRET_KEY_FILE", raising=False)
    with pg_store_url("serve") as url:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["--store", url, "serve", "--port", "0"], registry=cli.Registry(connectors={}),
                        stdout=out, stderr=err)
        assert code == 2, err.getvalue()
        assert "CONNECTOR_HOST_SECRET_KEY" in err.getvalue() and "not a file" in err.getvalue()
        assert not list(Path.cwd().glob("postgresql*"))  # no key file made from the URL
        from connector_host import job_queue

        monkeypatch.setattr(job_queue, "run_worker", lambda *a, **k: 0)
        code, _, err = run(url, "worker")  # a worker without the key: warned at its start
        assert code == 0 and "warning: neither CONNECTOR_HOST_SECRET_KEY nor" in err
        monkeypatch.setenv("CONNECTOR_HOST_SECRET_KEY", "k")
        assert "warning" not in run(url, "worker")[2]


@pytest.mark.services
def test_serve_process_with_redis_queues_due_syncs_and_sync_now(tmp_path: Path) -> None:
    """The real thing: ``serve --broker redis://`` on a PostgreSQL store queues a due sync and a Sync Now, and runs
    neither."""
    import redis
    from cryptography.fernet import Fernet
    from web_helpers import login_opener, start_serve

    broker = require("redis")
    queue = f"connector-host-test-{uuid.uuid4().hex[:8]}"
    with pg_store_url("serve") as url:
        store = Store(url)
        try:
            due = add(store, "due", interval_minutes=60)
            manual = add(store, "manual")
            proc, base = start_serve(url, "--broker", broker, env={  # type: ignore[arg-type]
                "CONNECTOR_HOST_QUEUE": queue, "CONNECTOR_HOST_SECRET_KEY": Fernet.generate_key().decode(),
                "CONNECTOR_HOST_BROKER": ""})
            try:
                assert any("syncs queued for the workers on redis://" in line for line in proc.log)  # type: ignore[attr-defined]
                deadline = time.monotonic() + 30
                while not any(j.published_at for j in leases.jobs(store, due.id)):  # row, then its message
                    assert time.monotonic() < deadline and proc.poll() is None, "".join(proc.log)  # type: ignore[attr-defined]
                    time.sleep(0.2)
                [job] = leases.jobs(store, due.id)
                assert job.trigger == "first" and job.state == "queued" and job.published_at
                assert leases.holder(store, "scheduler") is not None
                opener = login_opener(base)
                with opener.open(base + "/integrations", timeout=10) as resp:
                    import re

                    token = re.search(r'name="csrf-token" content="([^"]+)"', resp.read().decode()).group(1)
                import urllib.request

                req = urllib.request.Request(f"{base}/api/integrations/{manual.id}/sync", data=b"", method="POST",
                                             headers={"X-CSRFToken": token, "Origin": base})
                with opener.open(req, timeout=10) as resp:
                    body = json.loads(resp.read())
                assert resp.status == 202 and body["job"]["state"] == "queued", body
                [mjob] = leases.jobs(store, manual.id)
                assert mjob.trigger == "manual" and mjob.published_at
                time.sleep(1)
                assert store.history(limit=10) == []  # no sync ran in serve's process
                assert redis.Redis.from_url(broker).llen(queue) == 2  # both messages wait for a worker
            finally:
                proc.terminate()
                proc.wait(timeout=30)
                redis.Redis.from_url(broker).delete(queue)
        finally:
            store.close()
