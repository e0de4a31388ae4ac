"""A host at scale on this machine: sandbox orgs in their own processes, a store, a broker, worker processes.

Used by the scale tests (tests/scale/) and the scale benchmark (bench_scale.py):

    with Cluster(store_url, broker_url) as c:
        c.add_orgs([OrgSpec(users=1000), ...])      # one sandbox process and one integration each
        c.start_workers(3)                          # `connector-host worker` processes
        jobs = c.enqueue_all()                      # Sync Now on every integration
        c.wait(jobs)                                # until every job ended
        c.kill_worker(0)                            # kill -9

Each org's API token travels to the workers in the environment (``SBX_TOKEN_<n>``), referenced by the integration
(``--secret-env``): the store never holds it. Every process of a cluster uses its own queue name, so clusters
(and the engineers sharing this machine) do not consume each other's jobs.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sandbox_proc import SandboxProc  # noqa: E402

CONNECTOR_HOST = str(Path(sys.executable).with_name("connector-host"))


@dataclass
class OrgSpec:
    users: int = 200
    limits: bool = True  # the sandbox's rate limits (each org its own quotas)
    time_scale: float = 60.0  # a rate-limit minute lasts 1 s at 60
    seed: int = 1
    scenario: str = "weak"
    faults: tuple[str, ...] = ()  # sandbox fault specs (okta_sandbox.faults), e.g. a slow collection


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    store_url: str
    broker: str
    workdir: Path
    lease_seconds: float = 6.0
    queue: str = field(default_factory=lambda: f"ch-scale-{uuid.uuid4().hex[:8]}")
    orgs: list[SandboxProc] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    # ---- environment
    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_HOST_", "SBX_TOKEN_"))}
        env.update({
            "CONNECTOR_HOST_STORE": self.store_url, "CONNECTOR_HOST_BROKER": self.broker,
            "CONNECTOR_HOST_QUEUE": self.queue, "CONNECTOR_HOST_LEASE_SECONDS": str(self.lease_seconds),
            "PYTHONUNBUFFERED": "1",
        })
        for i, org in enumerate(self.orgs):
            env[f"SBX_TOKEN_{i}"] = org.token
        env.update(extra)
        return env

    def store(self) -> Any:
        from connector_host.store import Store

        return Store(self.store_url)

    def cli(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([CONNECTOR_HOST, *args], env=self.env(), capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"connector-host {' '.join(args)} exited {r.returncode}: {r.stderr[-2000:]}")
        return r

    # ---- orgs
    def add_orgs(self, specs: list[OrgSpec], *, prefix: str = "org") -> list[str]:
        from concurrent.futures import ThreadPoolExecutor

        def start(spec: OrgSpec) -> SandboxProc:
            return SandboxProc.start(users=spec.users, limits=spec.limits, time_scale=spec.time_scale,
                                     seed=spec.seed, scenario=spec.scenario, faults=spec.faults)

        with ThreadPoolExecutor(max_workers=4) as pool:
            started = list(pool.map(start, specs))
        store = self.store()
        try:
            for proc in started:
                i = len(self.orgs)
                self.orgs.append(proc)
                name = f"{prefix}{i:03d}"
                store.add_integration(name, "okta", {
                    "org_url": proc.url, "allow_insecure_http_loopback": True,
                    "auth": {"method": "api_token", "token": {"$secret": "env", "name": f"SBX_TOKEN_{i}"}},
                }, interval_minutes=None)
                self.names.append(name)
        finally:
            store.close()
        return self.names[-len(specs):]

    # ---- workers
    def start_workers(self, n: int, *, concurrency: int = 1) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _ in range(n):
            log = self.workdir / f"worker-{len(self.workers)}.log"
            proc = subprocess.Popen(
                [CONNECTOR_HOST, "worker", "--concurrency", str(concurrency), "--loglevel", "INFO"],
                env=self.env(), stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
            self.workers.append(Worker(proc, log))
        self.wait_workers_ready()

    def wait_workers_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for w in self.workers:
            while b"ready." not in w.log.read_bytes():
                if w.proc.poll() is not None:
                    raise RuntimeError(f"worker exited {w.proc.returncode}: {w.log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker not ready: {w.log.read_text()[-3000:]}")
                time.sleep(0.2)

    def kill_worker(self, index: int) -> None:
        w = self.workers[index]
        os.killpg(w.proc.pid, signal.SIGKILL)
        w.proc.wait(timeout=10)

    def stop_workers(self) -> None:
        for w in self.workers:
            if w.proc.poll() is None:
                try:
                    os.killpg(w.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for w in self.workers:
            try:
                w.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(w.proc.pid, signal.SIGKILL)
                w.proc.wait(timeout=10)

    # ---- jobs
    def job_queue(self, store: Any) -> Any:
        from connector_host.job_queue import JobQueue, make_app

        return JobQueue(store, self.broker, app=make_app(self.broker, queue=self.queue))

    def enqueue_all(self, names: list[str] | None = None) -> list[str]:
        store = self.store()
        q = self.job_queue(store)
        try:
            return [q.enqueue(store.get_integration(n), trigger="manual").id for n in names or self.names]
        finally:
            q.close()
            store.close()

    def wait(self, job_ids: list[str], *, timeout: float = 600, poll: float = 0.5) -> list[Any]:
        from connector_host import leases

        store = self.store()
        try:
            deadline = time.monotonic() + timeout
            while True:
                jobs = [leases.get(store, j) for j in job_ids]
                if all(j.state in leases.ENDED for j in jobs):
                    return jobs
                if time.monotonic() > deadline:
                    raise TimeoutError(f"jobs not ended: {[(j.integration, j.state) for j in jobs]}")
                time.sleep(poll)
        finally:
            store.close()

    def sync_in_process(self, store_url: str, names: list[str] | None = None) -> list[Any]:
        """The same integrations in another store (e.g. SQLite), synced one after the other in this process."""
        from connector_host.loader import load_connectors
        from connector_host.runner import Runner
        from connector_host.store import Store

        src = self.store()
        dst = Store(store_url)
        try:
            runner = Runner(dst, load_connectors(allow=["okta"]), env=self.env())
            records = []
            for name in names or self.names:
                integ = src.get_integration(name)
                dst.add_integration(name, integ.connector, integ.config)
                records.append(runner.sync(name))
            return records
        finally:
            src.close()
            dst.close()

    def close(self) -> None:
        self.stop_workers()
        for org in self.orgs:
            org.stop()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------ digests


def digest(store: Any, name: str) -> dict[str, Any]:
    """What a sync left for one integration, comparable across stores: history (without times and ids), counts and
    digests of the assets (type, uid, name, stream, the normalised object) and findings (uid, status, the finding)."""
    integ = store.get_integration(name)
    iid = integ.id
    history = [(r.status, r.sync_mode, r.records, r.assets_seen, r.assets_new, r.assets_gone, r.findings_seen,
                r.findings_new, r.findings_resolved) for r in reversed(store.history(name, limit=1000))]
    assets = store._q("SELECT type, uid, name, stream, data, gone_at IS NULL FROM assets WHERE integration_id = ?"
                      " ORDER BY type, uid", (iid,))
    findings = store._q("SELECT uid, check_id, compliance_status, severity_id, status, data FROM findings"
                        " WHERE integration_id = ? ORDER BY uid", (iid,))
    rels = store._q("SELECT relation, from_type, from_uid, to_type, to_uid FROM relationships"
                    " WHERE integration_id = ? ORDER BY relation, from_type, from_uid, to_type, to_uid", (iid,))

    def h(rows: list[Any]) -> str:
        m = hashlib.sha256()
        for r in rows:
            m.update(json.dumps([_canon(v) for v in r], sort_keys=True, default=str).encode())
        return m.hexdigest()[:16]

    return {"history": history, "assets": len(assets), "assets_digest": h(assets), "findings": len(findings),
            "findings_digest": h(findings), "relationships": len(rels), "relationships_digest": h(rels),
            "asset_counts": store.asset_counts(name)}


def _canon(value: Any) -> Any:
    """A stored JSON text without what differs between two syncs of one org (times of emission and of reading)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value[:1] == "{":
        try:
            return _strip(json.loads(value))
        except ValueError:
            return value
    return value


_VOLATILE = {"time", "emitted_at", "modified_time", "created_time", "last_seen_time", "first_seen_time",
             "processed_time", "logged_time", "time_dt"}


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in _VOLATILE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj
