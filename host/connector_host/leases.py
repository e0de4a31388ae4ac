"""Sync jobs and leases in the store: what lets many worker processes (on many machines) share the syncs.

A **job** (table ``sync_jobs``) is one request to sync an integration, made by Sync Now or by the scheduler and
carried to a worker by the job queue (:mod:`connector_host.job_queue`). Its row is the truth the broker's message
only points at:

* ``queued`` -> ``running`` (a worker claimed it: :func:`claim`) -> ``done`` (the sync ran; its history row is
  ``sync_id``) or ``skipped`` (another sync of the integration was running), ``cancelled`` (cancelled before it
  started), ``failed`` (the worker could not run it at all);
* a running job holds a **lease**: ``worker`` and ``lease_until``, renewed every few seconds by the worker
  (:class:`Keeper`) with the sync's live progress, while it reads the job's ``cancel_requested`` flag. At most one
  job per integration runs at a time (a unique index over the running jobs), whatever the number of workers;
* a worker that dies (kill -9, lost machine) stops renewing: once its lease has expired, the job is taken over,
  by a redelivery of its message (late acknowledgement) or by :func:`reap` (any worker or scheduler), which
  queues it again. The sync the dead worker had started is recorded in History as ``interrupted`` (nothing of
  it was applied: the store applies a sync in one transaction at its end) and the job runs again;
* a message delivered twice (a broker redelivery while the job runs or after it ended) finds the job running or
  ended and is dropped, so each job's sync runs to its end once.

A **lease** by name (table ``leases``) elects one leader among several schedulers (:func:`acquire`).
Every statement here is plain SQL the store runs on SQLite and, through its dialect layer, on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .store import NotFound, Store, StoreError, now_ms

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
ENDED = ("done", "skipped", "cancelled", "failed")
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_REQUEUE_AFTER = 1800.0
INTERRUPTED_MESSAGE = ("the worker running this sync ({worker}) stopped before it ended (killed, crashed or lost);"
                       " nothing of it was applied and the job was queued again")


def worker_id() -> str:
    """This process: ``host:pid:random`` (a pid can be reused; the random part cannot)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_seconds() -> float:
    try:
        return max(2.0, float(os.environ.get("CONNECTOR_HOST_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS))
    except ValueError:
        return DEFAULT_LEASE_SECONDS


@dataclass
class Job:
    id: str
    integration_id: int
    trigger: str
    mode: str
    state: str
    attempts: int
    enqueued_at: int
    started_at: int | None = None
    ended_at: int | None = None
    worker: str | None = None
    lease_until: int | None = None
    sync_id: int | None = None
    cancel_requested: bool = False
    progress: dict[str, Any] | None = None
    message: str | None = None
    dedupe_key: str | None = None
    published_at: int | None = None
    integration: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "id", "integration_id", "integration", "trigger", "mode", "state", "attempts", "enqueued_at",
            "started_at", "ended_at", "worker", "sync_id", "cancel_requested", "progress", "message")}


_SELECT = "SELECT j.*, i.name AS integration FROM sync_jobs j JOIN integrations i ON i.id = j.integration_id"


def _job(row: Any) -> Job:
    progress = row["progress"]
    return Job(
        id=row["id"], integration_id=row["integration_id"], trigger=row["trigger"], mode=row["mode"],
        state=row["state"], attempts=row["attempts"], enqueued_at=row["enqueued_at"], started_at=row["started_at"],
        ended_at=row["ended_at"], worker=row["worker"], lease_until=row["lease_until"], sync_id=row["sync_id"],
        cancel_requested=bool(row["cancel_requested"]), progress=json.loads(progress) if progress else None,
        message=row["message"], dedupe_key=row["dedupe_key"], published_at=row["published_at"],
        integration=row["integration"],
    )


def get(store: Store, job_id: str) -> Job:
    rows = store._q(f"{_SELECT} WHERE j.id = ?", (job_id,))
    if not rows:
        raise NotFound(f"no sync job {job_id!r}")
    return _job(rows[0])


def jobs(store: Store, integration_id: int | None = None, *, states: tuple[str, ...] = (), limit: int = 100) -> list[Job]:
    where, params = [], []
    if integration_id is not None:
        where.append("j.integration_id = ?")
        params.append(integration_id)
    if states:
        where.append(f"j.state IN ({','.join('?' * len(states))})")
        params.extend(states)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return [_job(r) for r in store._q(f"{_SELECT}{clause} ORDER BY j.enqueued_at DESC, j.id LIMIT ?", (*params, limit))]


def pending(store: Store, integration_id: int) -> Job | None:
    """The integration's queued or running job, if any (the running one first)."""
    found = jobs(store, integration_id, states=ACTIVE, limit=10)
    found.sort(key=lambda j: (j.state != "running", -j.enqueued_at))
    return found[0] if found else None


def create(store: Store, integration_id: int, *, trigger: str, mode: str = "full",
           dedupe_key: str | None = None) -> Job | None:
    """A new queued job; None when ``dedupe_key`` was used already (that sync was enqueued before)."""
    job_id = uuid.uuid4().hex
    with store._tx() as db:
        cur = db.execute(
            "INSERT OR IGNORE INTO sync_jobs (id, integration_id, trigger, mode, state, attempts, enqueued_at,"
            " dedupe_key) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)",
            (job_id, integration_id, trigger, mode, now_ms(), dedupe_key),
        )
        if cur.rowcount == 0:
            return None
    return get(store, job_id)


def mark_published(store: Store, job_id: str) -> None:
    store._conn().execute("UPDATE sync_jobs SET published_at = ? WHERE id = ?", (now_ms(), job_id))


def end(store: Store, job_id: str, state: str, *, message: str | None = None, sync_id: int | None = None,
        worker: str | None = None) -> bool:
    """End a job (only the worker holding it, when ``worker`` is given); False when it was not ours to end."""
    if state not in ENDED:
        raise ValueError(f"not a final job state: {state!r}")
    cond = " AND worker = ?" if worker else ""
    args: tuple[Any, ...] = (state, now_ms(), message, sync_id, job_id) + ((worker,) if worker else ())
    with store._tx() as db:
        cur = db.execute(
            "UPDATE sync_jobs SET state = ?, ended_at = ?, message = ?, sync_id = COALESCE(?, sync_id),"
            f" lease_until = NULL WHERE id = ? AND state IN ('queued', 'running'){cond}", args)
        return cur.rowcount > 0


def request_cancel(store: Store, integration_id: int) -> list[Job]:
    """Stop the integration's jobs: a queued one ends ``cancelled`` at once (its message, delivered later or lost,
    finds it ended), a running one is asked to stop (its worker reads the flag); the jobs asked, as they were."""
    asked = jobs(store, integration_id, states=ACTIVE, limit=10)
    with store._tx() as db:
        db.execute("UPDATE sync_jobs SET cancel_requested = 1, state = 'cancelled', ended_at = ?, message = ?"
                   " WHERE integration_id = ? AND state = 'queued'",
                   (now_ms(), "cancelled before it started", integration_id))
        db.execute("UPDATE sync_jobs SET cancel_requested = 1 WHERE integration_id = ? AND state = 'running'",
                   (integration_id,))
    return asked


def force_unlock(store: Store, integration_id: int) -> list[Job]:
    """``sync NAME --force-unlock`` with a job queue: end the integration's running job (its lease cleared, state
    ``failed``) and its queued ones (``cancelled``), whatever their workers' state; the jobs ended, as they were. A worker still
    running one finds its lease gone at its next renewal and stops that sync (:class:`Keeper`)."""
    ended = jobs(store, integration_id, states=ACTIVE, limit=100)
    t = now_ms()
    with store._tx() as db:
        db.execute("UPDATE sync_jobs SET state = 'failed', ended_at = ?, lease_until = NULL, message = ?"
                   " WHERE integration_id = ? AND state = 'running'",
                   (t, "unlocked by hand (sync --force-unlock); its worker, if alive, stops it", integration_id))
        db.execute("UPDATE sync_jobs SET state = 'cancelled', ended_at = ?, message = ?"
                   " WHERE integration_id = ? AND state = 'queued'",
                   (t, "ended by sync --force-unlock before it started", integration_id))
    return ended


def requeue_after() -> float:
    """How long a published job may stay queued, no worker having started it, before the scheduler publishes it
    again (its message was lost): ``CONNECTOR_HOST_REQUEUE_AFTER`` seconds, default 30 minutes."""
    try:
        return max(1.0, float(os.environ.get("CONNECTOR_HOST_REQUEUE_AFTER") or DEFAULT_REQUEUE_AFTER))
    except ValueError:
        return DEFAULT_REQUEUE_AFTER


def lost(store: Store, *, after: float | None = None) -> list[Job]:
    """The queued jobs whose message was published more than ``after`` seconds ago (:func:`requeue_after`) and that
    no worker has started since: their message was lost (a Redis without persistence restarted, a queue purged)
    or every worker is busy. Each is marked as published again now, with a message saying so (``jobs`` and the page show it); the jobs to
    publish again. A message that was not lost after all is then delivered twice: the second finds its job
    running or ended and is dropped (:func:`claim`)."""
    after_ms = int((after if after is not None else requeue_after()) * 1000)
    t = now_ms()
    out = []
    for row in store._q("SELECT id, published_at FROM sync_jobs WHERE state = 'queued' AND published_at IS NOT NULL"
                        " AND published_at < ?", (t - after_ms,)):
        waited = (t - row[1]) // 1000
        message = (f"published again: no worker started it in the {waited} s since its message was published"
                   " (lost, e.g. a Redis without persistence restarted, or every worker busy)")
        with store._tx() as db:
            cur = db.execute("UPDATE sync_jobs SET published_at = ?, message = ? WHERE id = ? AND state = 'queued'"
                             " AND published_at < ?", (t, message, row[0], t - after_ms))
            if cur.rowcount == 0:
                continue
        out.append(get(store, row[0]))
    return out


# ------------------------------------------------------------------------------------------------ claim


@dataclass
class Claim:
    outcome: str  # run | duplicate | busy | cancelled | unknown
    job: Job | None = None
    interrupted: list[int] = field(default_factory=list)  # sync ids of the dead attempts now marked interrupted
    message: str | None = None


def _dead_syncs(db: Any, integration_id: int, sync_id: int | None, stale_before: int) -> list[int]:
    """The running sync rows a dead attempt left: its own, and any of the integration silent since its lease."""
    ids = {sync_id} if sync_id else set()
    for row in db.execute(
        "SELECT id FROM syncs WHERE integration_id = ? AND status = 'running' AND COALESCE(heartbeat_at, started_at) < ?",
        (integration_id, stale_before),
    ).fetchall():
        ids.add(row[0])
    return sorted(i for i in ids if i)


def claim(store: Store, job_id: str, worker: str, *, ttl: float | None = None) -> Claim:
    """Take the job for ``worker`` (see the module docstring); marks the syncs of dead attempts ``interrupted``."""
    ttl_ms = int((ttl or lease_seconds()) * 1000)
    dead: list[tuple[int, str]] = []
    with store._tx() as db:
        row = db.execute("SELECT * FROM sync_jobs WHERE id = ?", (job_id,)).fetchone()
        t = now_ms()
        if row is None:
            return Claim("unknown", message=f"no sync job {job_id!r} (its integration was removed?)")
        if row["state"] in ENDED:
            return Claim("duplicate", message=f"job {job_id} ended already ({row['state']})")
        if row["state"] == "running":
            if (row["lease_until"] or 0) > t:
                return Claim("duplicate", message=f"job {job_id} is running on {row['worker']}")
            for sid in _dead_syncs(db, row["integration_id"], row["sync_id"], t - ttl_ms):
                dead.append((sid, row["worker"] or "?"))
        elif row["cancel_requested"]:
            db.execute("UPDATE sync_jobs SET state = 'cancelled', ended_at = ?, message = ? WHERE id = ?",
                       (t, "cancelled before it started", job_id))
            return Claim("cancelled", message="cancelled before it started")
        other = db.execute(
            "SELECT id, worker, lease_until, sync_id FROM sync_jobs WHERE integration_id = ? AND state = 'running'"
            " AND id != ?", (row["integration_id"], job_id)).fetchone()
        if other is not None:
            if (other["lease_until"] or 0) > t:
                msg = f"another sync of this integration is running (job {other['id']} on {other['worker']})"
                db.execute("UPDATE sync_jobs SET state = 'skipped', ended_at = ?, message = ? WHERE id = ?",
                           (t, msg, job_id))
                return Claim("busy", message=msg)
            db.execute("UPDATE sync_jobs SET state = 'failed', ended_at = ?, lease_until = NULL, message = ?"
                       " WHERE id = ?", (t, f"its worker {other['worker']} stopped; job {job_id} synced instead",
                                         other["id"]))
            for sid in _dead_syncs(db, row["integration_id"], other["sync_id"], t - ttl_ms):
                dead.append((sid, other["worker"] or "?"))
        db.execute(
            "UPDATE sync_jobs SET state = 'running', worker = ?, attempts = attempts + 1,"
            " started_at = COALESCE(started_at, ?), heartbeat_at = ?, lease_until = ?, sync_id = NULL,"
            " progress = NULL, message = NULL WHERE id = ?",
            (worker, t, t, t + ttl_ms, job_id),
        )
    interrupted = _interrupt(store, dead)
    return Claim("run", get(store, job_id), interrupted)


def _interrupt(store: Store, dead: list[tuple[int, str]]) -> list[int]:
    done = []
    for sid, worker in dead:
        try:
            store.finish_sync(sid, "interrupted", message=INTERRUPTED_MESSAGE.format(worker=worker))
            done.append(sid)
        except StoreError:  # ended meanwhile (the store's own recovery, or it was not dead after all)
            pass
    return done


def reap(store: Store, *, ttl: float | None = None, unpublished_after: float = 60.0) -> list[Job]:
    """Queue again the running jobs whose lease expired (their worker died) and the queued jobs whose message
    was never published (the process died between the two); the jobs to publish again."""
    ttl_ms = int((ttl or lease_seconds()) * 1000)
    t = now_ms()
    expired = [r[0] for r in store._q(
        "SELECT id FROM sync_jobs WHERE state = 'running' AND lease_until < ?", (t,))]
    out: list[Job] = []
    for job_id in expired:
        dead: list[tuple[int, str]] = []
        with store._tx() as db:
            row = db.execute("SELECT * FROM sync_jobs WHERE id = ? AND state = 'running' AND lease_until < ?",
                             (job_id, now_ms())).fetchone()
            if row is None:
                continue
            dead = [(sid, row["worker"] or "?") for sid in
                    _dead_syncs(db, row["integration_id"], row["sync_id"], now_ms() - ttl_ms)]
            db.execute(
                "UPDATE sync_jobs SET state = 'queued', worker = NULL, lease_until = NULL, published_at = NULL,"
                " message = ? WHERE id = ?", (f"queued again: its worker {row['worker']} stopped", job_id))
        _interrupt(store, dead)
        out.append(get(store, job_id))
    stale = t - int(unpublished_after * 1000)
    for row in store._q("SELECT id FROM sync_jobs WHERE state = 'queued' AND published_at IS NULL AND enqueued_at < ?",
                        (stale,)):
        job = get(store, row[0])
        if all(j.id != job.id for j in out):
            out.append(job)
    return out


# ------------------------------------------------------------------------------------------------ keeper


class Keeper:
    """Renews the leases of the jobs this worker runs, stores their progress, reads their cancel flags, and
    reaps dead workers' jobs: one thread (one store connection) per worker process.

    ``publish`` re-sends a reaped job's message; ``interval`` is how often leases are renewed and progress
    written (the lease lasts ``ttl``)."""

    def __init__(self, store: Store, worker: str, *, ttl: float | None = None, interval: float | None = None,
                 publish: Callable[[Job], None] | None = None, reap_every: float | None = None):
        self.store = store
        self.worker = worker
        self.ttl = ttl or lease_seconds()
        self.interval = interval or max(0.5, min(5.0, self.ttl / 6))
        self.reap_every = reap_every or max(1.0, self.ttl / 2)
        self.publish = publish
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_reap = 0.0

    def start(self) -> Keeper:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="connector-host-keeper", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # ---- per job
    def hold(self, job_id: str) -> JobHandle:
        with self._lock:
            self._jobs[job_id] = {"progress": None, "sync_id": None, "cancelled": threading.Event(),
                                  "lost": False, "dirty": False}
        return JobHandle(self, job_id)

    def release(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.beat()
                    if self.publish and time.monotonic() - self._last_reap >= self.reap_every:
                        self._last_reap = time.monotonic()
                        for job in reap(self.store, ttl=self.ttl):
                            log.warning("job %s of %s: queued again (%s)", job.id, job.integration, job.message)
                            self.publish(job)
                except Exception:  # the store or the broker is away: try again at the next beat
                    log.warning("keeper: could not renew leases or reap", exc_info=True)
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            _release_connection(self.store)

    def beat(self) -> None:
        """Renew every held lease (with the progress so far) and read the cancel flags."""
        with self._lock:
            held = {k: dict(v) for k, v in self._jobs.items()}
        t = now_ms()
        for job_id, entry in held.items():
            progress = entry["progress"]
            cur = self.store._conn().execute(
                "UPDATE sync_jobs SET heartbeat_at = ?, lease_until = ?, progress = COALESCE(?, progress),"
                " sync_id = COALESCE(?, sync_id) WHERE id = ? AND worker = ? AND state = 'running'",
                (t, t + int(self.ttl * 1000), json.dumps(progress) if progress is not None else None,
                 entry["sync_id"], job_id, self.worker),
            )
            if cur.rowcount == 0:  # taken over (our lease expired) or ended: stop the sync
                entry["cancelled"].set()
                with self._lock:
                    if job_id in self._jobs:
                        self._jobs[job_id]["lost"] = True
                continue
            row = self.store._conn().execute("SELECT cancel_requested FROM sync_jobs WHERE id = ?", (job_id,)).fetchone()
            if row is not None and row[0]:
                entry["cancelled"].set()
            if entry["sync_id"] and progress is not None:
                counts = progress.get("counts") if isinstance(progress, Mapping) else None
                self.store.heartbeat(entry["sync_id"], counts=counts if isinstance(counts, Mapping) else None)


class JobHandle:
    """What the worker's sync of one job uses: a progress callback and a cancelled() poll."""

    def __init__(self, keeper: Keeper, job_id: str):
        self.keeper = keeper
        self.job_id = job_id

    def _entry(self) -> dict[str, Any] | None:
        return self.keeper._jobs.get(self.job_id)

    def progress(self, event: Any) -> None:
        entry = self._entry()
        if entry is None:
            return
        entry["sync_id"] = getattr(event, "sync_id", None) or entry["sync_id"]
        entry["progress"] = {
            "sync_id": getattr(event, "sync_id", None), "stream": getattr(event, "stream", None),
            "counts": dict(getattr(event, "counts", {}) or {}), "requests": getattr(event, "requests", None),
            "rate_limit_wait_seconds": getattr(event, "rate_limit_wait_seconds", None),
            "message": getattr(event, "message", None), "kind": getattr(event, "kind", None),
            # expected objects per collection, the rate-limit wait under way and the ETA (the progress panel)
            "totals": dict(getattr(event, "totals", None) or {}), "waiting": getattr(event, "waiting", None),
            "eta_seconds": getattr(event, "eta_seconds", None),
            "at": now_ms(),
        }

    def cancelled(self) -> bool:
        entry = self._entry()
        return bool(entry is None or entry["cancelled"].is_set())

    @property
    def lost(self) -> bool:
        entry = self._entry()
        return bool(entry and entry["lost"])


def _release_connection(store: Store) -> None:
    """Close the calling thread's store connection (the keeper's thread ends)."""
    local = getattr(store, "_local", None)
    conn = getattr(local, "conn", None)
    if conn is None:
        return
    with store._conns_lock:
        if conn in store._conns:
            store._conns.remove(conn)
    local.conn = None
    try:
        conn.close()
    except Exception:  # noqa: BLE001
        pass


# ------------------------------------------------------------------------------------------------ named leases


def acquire(store: Store, name: str, holder: str, ttl: float) -> bool:
    """Take or renew the lease ``name`` for ``ttl`` seconds; False while another holder's lease is alive."""
    t = now_ms()
    with store._tx() as db:
        cur = db.execute(
            "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at"
            " ELSE excluded.acquired_at END, expires_at = excluded.expires_at"
            " WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
            (name, holder, t, t + int(ttl * 1000), t),
        )
        return cur.rowcount > 0


def release(store: Store, name: str, holder: str) -> None:
    with store._tx() as db:
        db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


def holder(store: Store, name: str) -> str | None:
    rows = store._q("SELECT holder, expires_at FROM leases WHERE name = ?", (name,))
    return rows[0][0] if rows and rows[0][1] > now_ms() else None
