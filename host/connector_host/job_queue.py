"""Syncs on a job queue: Celery over Redis or RabbitMQ, for as many ``connector-host worker`` processes (on as many
machines) as the syncs need, all sharing one store (PostgreSQL, or SQLite on one machine).

* **Enqueue** (:class:`JobQueue`): Sync Now (CLI, page) and the scheduler write a job row to the store
  (:mod:`connector_host.leases`) and publish a message carrying only its id (task ``connector_host.sync``).
* **Worker** (:func:`run_worker`): a Celery worker with the threads pool; each job is claimed in the store, run
  by the host's :class:`~connector_host.runner.Runner`, its lease renewed with its progress by one keeper thread,
  which also reads Cancel and re-queues the jobs of dead workers.
* **Scheduler** (:class:`QueueScheduler`): ``connector-host schedule run`` (or ``serve``'s scheduler) with a
  broker enqueues the due syncs instead of running them; when several run, the one holding the ``scheduler``
  lease enqueues, and a due sync's job has a key of its own (integration, last sync), so it is enqueued once.
  The leader also publishes again a job whose message was lost: queued, published longer ago than
  ``CONNECTOR_HOST_REQUEUE_AFTER`` seconds (default 30 minutes) and started by no worker
  (:func:`connector_host.leases.lost`; ``jobs`` shows it in the job's message).

What bites long jobs on these brokers, and the settings here (all in :func:`make_app`):

* late acknowledgement (``task_acks_late``) with ``task_reject_on_worker_lost``: a message is acknowledged when
  its sync has ended, so a worker that dies leaves it to the broker, which delivers it again (RabbitMQ: at once,
  when the dead worker's connection closes; Redis: after the visibility timeout). A job's lease expiring does the
  same without waiting for the broker (:func:`connector_host.leases.reap`);
* ``worker_prefetch_multiplier = 1``: a worker reserves no message it cannot start (a sync lasts minutes);
* Redis ``visibility_timeout`` (``CONNECTOR_HOST_VISIBILITY_TIMEOUT``, default 12 hours) above the longest sync:
  Redis would deliver a message that is still running again after it. A second delivery is harmless (the job
  is running or ended: dropped), but it costs a worker slot;
* RabbitMQ's ``consumer_timeout`` (default 30 minutes) closes the channel of a consumer holding a message
  unacknowledged longer: raise it above the longest sync in ``rabbitmq.conf`` (``consumer_timeout = 21600000``)
  for syncs that last longer;
* the threads pool keeps the broker connection's heartbeats going while syncs run (a sync waits on Okta's rate
  limits, it does not need a process of its own); ``--concurrency`` syncs per worker process.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import leases
from .leases import Job
from .runner import Runner
from .store import Integration, Store, SyncInProgress, SyncRecord

log = logging.getLogger(__name__)

TASK = "connector_host.sync"
ENV_BROKER = "CONNECTOR_HOST_BROKER"
ENV_QUEUE = "CONNECTOR_HOST_QUEUE"
ENV_VISIBILITY = "CONNECTOR_HOST_VISIBILITY_TIMEOUT"
DEFAULT_QUEUE = "connector-host-syncs"
DEFAULT_VISIBILITY_SECONDS = 12 * 3600


class QueueError(Exception):
    """The job queue cannot be used (no broker configured, broker unreachable, Celery not installed)."""


def broker_url(given: str | None = None, env: Any = None) -> str | None:
    """``--broker``, else ``$CONNECTOR_HOST_BROKER``; None: no broker (syncs run in-process)."""
    env = os.environ if env is None else env
    return given or env.get(ENV_BROKER) or None


def make_app(broker: str, *, queue: str | None = None) -> Any:
    """The Celery app of the host's job queue (settings: see the module docstring)."""
    try:
        from celery import Celery
    except ImportError:
        raise QueueError("the job queue needs Celery: pip install 'connector-host[queue]'") from None
    queue = queue or os.environ.get(ENV_QUEUE) or DEFAULT_QUEUE
    try:
        visibility = int(os.environ.get(ENV_VISIBILITY) or DEFAULT_VISIBILITY_SECONDS)
    except ValueError:
        visibility = DEFAULT_VISIBILITY_SECONDS
    app = Celery("connector_host", broker=broker, set_as_current=False)
    transport: dict[str, Any] = {"visibility_timeout": visibility}
    if broker.startswith(("amqp", "pyamqp")):
        transport = {"confirm_publish": True}  # a publish returns once RabbitMQ has the message
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=10,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        enable_utc=True,
    )
    app.conf.task_routes = {TASK: {"queue": queue}}

    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
    def sync_task(self: Any, job_id: str) -> str:
        context = _worker
        if context is None:  # a worker of another program consumed our queue
            raise RuntimeError("connector_host.sync runs only in `connector-host worker`")
        return context.run(job_id)

    return app


class JobQueue:
    """Enqueue syncs on the broker; the store holds the jobs (:mod:`connector_host.leases`)."""

    def __init__(self, store: Store, broker: str, *, app: Any = None):
        self.store = store
        self.broker = broker
        self.app = app or make_app(broker)

    def publish(self, job: Job) -> None:
        try:
            self.app.send_task(TASK, kwargs={"job_id": job.id}, task_id=f"{job.id}-{job.attempts}-{time.time_ns()}",
                               retry=True, retry_policy={"max_retries": 3, "interval_start": 0.5,
                                                         "interval_step": 1.0, "interval_max": 3.0})
        except Exception as e:
            raise QueueError(f"could not publish sync job {job.id} to the broker {_mask(self.broker)}: {e}") from e
        leases.mark_published(self.store, job.id)

    def enqueue(self, integ: Integration, *, trigger: str = "manual", mode: str | None = None,
                dedupe_key: str | None = None, refuse_busy: bool = True) -> Job | None:
        """Queue a sync of ``integ``; :class:`SyncInProgress` when it has a job queued or running already
        (``refuse_busy``); None when ``dedupe_key`` was used already."""
        if refuse_busy:
            busy = leases.pending(self.store, integ.id)
            if busy is not None:
                raise SyncInProgress(f"integration {integ.name!r} has a sync {busy.state} already (job {busy.id});"
                                     " wait for it to end")
        # no mode asked: incremental, which the runner turns into full for a connector without incremental syncs
        job = leases.create(self.store, integ.id, trigger=trigger, mode=mode or "incremental", dedupe_key=dedupe_key)
        if job is None:
            return None
        try:
            self.publish(job)
        except QueueError as e:
            leases.end(self.store, job.id, "failed", message=str(e))
            raise
        return leases.get(self.store, job.id)

    def cancel(self, integ: Integration) -> list[Job]:
        return leases.request_cancel(self.store, integ.id)

    def wait(self, job_id: str, *, timeout: float | None = None, poll: float = 0.5,
             on_progress: Callable[[Job], None] | None = None) -> Job:
        """Wait until the job ends (or ``timeout``); returns it as it is then."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = leases.get(self.store, job_id)
            if job.state in leases.ENDED:
                return job
            if on_progress is not None:
                on_progress(job)
            if deadline is not None and time.monotonic() > deadline:
                return job
            time.sleep(poll)

    def close(self) -> None:
        try:
            self.app.close()
        except Exception:  # noqa: BLE001
            pass


def mask_broker(url: str) -> str:
    """The broker's URL without its password (for messages)."""
    from .store_pg import mask_url

    return mask_url(url)


_mask = mask_broker


# ------------------------------------------------------------------------------------------------ worker


class WorkerContext:
    """What the worker's tasks run with: the store, the runner, this worker's id and its keeper."""

    def __init__(self, store: Store, runner: Runner, queue: JobQueue, *, ttl: float | None = None):
        self.store = store
        self.runner = runner
        self.queue = queue
        self.worker = leases.worker_id()
        self.keeper = leases.Keeper(store, self.worker, ttl=ttl, publish=self._republish)

    def _republish(self, job: Job) -> None:
        self.queue.publish(job)

    def run(self, job_id: str) -> str:
        """Claim the job, run its sync, end it; what happened (``done``, ``duplicate``, ``busy``, ...)."""
        claim = leases.claim(self.store, job_id, self.worker, ttl=self.keeper.ttl)
        for sid in claim.interrupted:
            log.warning("sync #%s was interrupted (its worker stopped); job %s runs again", sid, job_id)
        if claim.outcome != "run" or claim.job is None:
            log.info("job %s: %s (%s)", job_id, claim.outcome, claim.message)
            return claim.outcome
        job = claim.job
        handle = self.keeper.hold(job.id)
        log.info("job %s: syncing %s (attempt %s)", job.id, job.integration, job.attempts)
        try:
            record = self.runner.sync(job.integration_id, trigger=job.trigger, mode=job.mode,
                                      progress=handle.progress, cancelled=handle.cancelled)
        except SyncInProgress as e:
            leases.end(self.store, job.id, "skipped", message=str(e), worker=self.worker)
            return "busy"
        except Exception as e:
            log.exception("job %s: the sync could not run", job.id)
            leases.end(self.store, job.id, "failed", message=f"the sync could not run: {type(e).__name__}: {e}",
                       worker=self.worker)
            return "failed"
        finally:
            self.keeper.release(job.id)
        if handle.lost:
            log.warning("job %s: lost its lease (another worker took it over); sync #%s ends %s", job.id, record.id,
                        record.status)
            return "lost"
        leases.end(self.store, job.id, "done", message=record.status, sync_id=record.id, worker=self.worker)
        log.info("job %s: sync #%s %s", job.id, record.id, record.status)
        return "done"


_worker: WorkerContext | None = None


def run_worker(store: Store, runner: Runner, broker: str, *, concurrency: int = 1, loglevel: str = "INFO",
               ttl: float | None = None, hostname: str | None = None) -> int:
    """Consume sync jobs until stopped (SIGTERM / Ctrl-C: a warm shutdown lets running syncs end; a second
    signal stops at once, and their jobs run again elsewhere once their leases expire)."""
    global _worker
    queue = JobQueue(store, broker)
    _worker = WorkerContext(store, runner, queue, ttl=ttl)
    _worker.keeper.start()
    name = hostname or f"connector-host-{os.getpid()}@{socket.gethostname()}"
    argv = ["worker", "--pool", "threads", "--concurrency", str(max(1, concurrency)), "--loglevel", loglevel,
            "--hostname", name, "--without-mingle", "--without-gossip", "--queues",
            queue.app.conf.task_default_queue]
    try:
        queue.app.worker_main(argv)
    finally:
        _worker.keeper.stop()
        _worker = None
        queue.close()
    return 0


# ------------------------------------------------------------------------------------------------ scheduler


@dataclass
class Enqueued:
    job: Job
    due: Any


class QueueScheduler:
    """Enqueues due syncs (a due sync once, whatever the number of schedulers; see the module docstring)."""

    LEASE = "scheduler"

    def __init__(self, store: Store, queue: JobQueue, *, lease_seconds: float = 30.0,
                 clock: Callable[[], float] = time.time, requeue_after: float | None = None):
        from .scheduler import Scheduler

        self.store = store
        self.queue = queue
        self.lease_seconds = lease_seconds
        self.requeue_after = requeue_after if requeue_after is not None else leases.requeue_after()
        self.republished: list[Job] = []  # the last round's jobs published again (dead worker, lost message)
        self.holder = leases.worker_id()
        self._due = Scheduler(store, None, clock=clock)  # type: ignore[arg-type]  # only its due() is used
        self._stop = threading.Event()

    def tick(self, now_ms: int | None = None) -> list[Enqueued] | None:
        """One round: None when another scheduler leads; else the jobs enqueued (reaping dead workers' first)."""
        self.republished = []
        if not leases.acquire(self.store, self.LEASE, self.holder, self.lease_seconds):
            return None
        for job in leases.reap(self.store):
            log.warning("job %s of %s: queued again (%s)", job.id, job.integration, job.message)
            self.queue.publish(job)
            self.republished.append(job)
        for job in leases.lost(self.store, after=self.requeue_after):  # published, never started: message lost?
            log.warning("job %s of %s: %s", job.id, job.integration, job.message)
            try:
                self.queue.publish(job)
            except QueueError as e:
                log.error("job %s of %s: %s", job.id, job.integration, e)
                continue
            self.republished.append(job)
        out = []
        for due in self._due.due(now_ms):
            integ = due.integration
            if leases.pending(self.store, integ.id) is not None:
                continue
            last = self.store.last_sync(integ.id)
            key = f"schedule:{integ.id}:{last.id if last else 'first'}"
            try:
                job = self.queue.enqueue(integ, trigger=due.trigger, dedupe_key=key, refuse_busy=False)
            except QueueError as e:
                log.error("integration %s: %s", integ.name, e)
                continue
            if job is not None:
                log.info("integration %s: %s sync queued (job %s)", integ.name, due.trigger, job.id)
                out.append(Enqueued(job, due))
        return out

    def run_forever(self, *, poll_seconds: float = 10.0) -> None:
        poll = min(poll_seconds, self.lease_seconds / 3)
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:  # the store or the broker is away: try again
                    log.warning("scheduler: this round failed", exc_info=True)
                self._stop.wait(poll)
        finally:
            try:
                leases.release(self.store, self.LEASE, self.holder)
            except Exception:  # noqa: BLE001
                pass

    def stop(self) -> None:
        self._stop.set()


def serve_queue(store: Store, given: str | None, env: Any) -> JobQueue | None:
    """``serve``'s job queue: with a broker (``--broker`` / ``CONNECTOR_HOST_BROKER``), the page's Sync Now enqueues
    and its scheduler only enqueues; None: syncs run in the page's process."""
    url = broker_url(given, env)
    return JobQueue(store, url) if url else None


def serve_scheduler(store: Store, runner: Runner, queue: JobQueue | None, *, max_workers: int = 4,
                    progress: Callable[[Any], None] | None = None) -> Any:
    """``serve``'s scheduler: with a job queue, a :class:`QueueScheduler` (it enqueues the due syncs while it holds
    the ``scheduler`` lease and runs none in the page's process); else the in-process
    :class:`~connector_host.scheduler.Scheduler`. Both have ``run_forever()`` and ``stop()``."""
    if queue is not None:
        return QueueScheduler(store, queue)
    from .scheduler import Scheduler

    return Scheduler(store, runner, max_workers=max_workers, progress=progress)


def install_stop_signals(stop: Callable[[], None]) -> None:
    """SIGTERM stops a foreground loop like Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop())


def sync_record(store: Store, job: Job) -> SyncRecord | None:
    return store.get_sync(job.sync_id) if job.sync_id else None


# ------------------------------------------------------------------------------------------------ command line


def add_queue_parsers(cmd: Callable[[str, str], Any]) -> None:
    """``worker`` and ``cancel`` (``cli.main`` runs ``args.run_command(app)``)."""
    w = cmd("worker", "consume sync jobs from the broker (--broker or CONNECTOR_HOST_BROKER); run as many as needed")
    w.add_argument("--concurrency", type=int, default=1, help="syncs run at once by this worker process (default 1)")
    w.add_argument("--loglevel", default="INFO", help="the worker's log level (default INFO)")
    w.add_argument("--lease-seconds", type=float, default=None,
                   help="how long a silent worker's job stays its own (default 60, env CONNECTOR_HOST_LEASE_SECONDS)")
    w.set_defaults(run_command=cli_worker)
    c = cmd("cancel", "cancel an integration's running or queued sync (on any worker, or in this host's process)")
    c.add_argument("name")
    c.set_defaults(run_command=cli_cancel)
    j = cmd("jobs", "the sync jobs on the queue (queued, running, ended), newest first")
    j.add_argument("name", nargs="?")
    j.add_argument("--limit", type=int, default=20)
    j.set_defaults(run_command=cli_jobs)


def _broker(app: Any, *, required: bool = True) -> str | None:
    from .console import EXIT_USAGE, CliError

    url = broker_url(getattr(app.args, "broker", None))
    if url is None and required:
        raise CliError(f"no broker: give --broker URL or set {ENV_BROKER} (redis://HOST:6379/0 or "
                       "amqp://USER:PASSWORD@HOST:5672//)", EXIT_USAGE)
    return url


def queue_for(app: Any) -> JobQueue | None:
    """The job queue of a CLI app when a broker is configured (else None: syncs run in-process)."""
    url = _broker(app, required=False)
    return JobQueue(app.store, url) if url else None


def cli_worker(app: Any) -> int:
    url = _broker(app)
    assert url is not None
    app.out.err(f"worker on {app.store.path}, broker {_mask(url)} (Ctrl-C: let running syncs end; twice: stop now)")
    from .config_secrets import ENV_SECRET_KEY, ENV_SECRET_KEY_FILE

    if getattr(app.store, "url", None) and not (os.environ.get(ENV_SECRET_KEY) or os.environ.get(ENV_SECRET_KEY_FILE)):
        app.out.err(f"warning: neither {ENV_SECRET_KEY} nor {ENV_SECRET_KEY_FILE} is set: the syncs of integrations"
                    " whose secrets were stored encrypted (typed into the page, --secret-prompt, --secret-stdin)"
                    " will fail; give every worker the key serve and the CLI use")
    return run_worker(app.store, app.runner(), url, concurrency=app.args.concurrency, loglevel=app.args.loglevel,
                      ttl=app.args.lease_seconds)


def cli_cancel(app: Any) -> int:
    from .console import EXIT_NOT_FOUND, EXIT_OK

    integ = app.store.get_integration(app.args.name)
    asked = leases.request_cancel(app.store, integ.id)
    running = app.store.last_sync(integ.id)
    if not asked and not (running and running.status == "running"):
        app.out.err(f"{integ.name}: no sync is running or queued")
        return EXIT_NOT_FOUND
    if not asked:  # an in-process sync (CLI or page without a broker) of another process: it cannot be reached
        app.out.err(f"{integ.name}: sync #{running.id} runs in a process without the job queue; stop that process")
        return EXIT_NOT_FOUND
    for job in asked:
        app.out.line(f"{integ.name}: cancel requested for job {job.id} ({job.state})")
    return EXIT_OK


def cli_jobs(app: Any) -> int:
    from .console import EXIT_OK, ts

    iid = app.store.get_integration(app.args.name).id if app.args.name else None
    items = leases.jobs(app.store, iid, limit=app.args.limit)
    if app.out.as_json:
        app.out.json([j.as_dict() for j in items])
        return EXIT_OK
    rows = [(j.id[:12], j.integration or "", j.trigger, j.state, str(j.attempts), ts(j.enqueued_at),
             ts(j.started_at) if j.started_at else "-", str(j.sync_id or "-"), (j.message or "")[:60]) for j in items]
    if rows:
        app.out.table(rows, ("job", "integration", "trigger", "state", "attempts", "enqueued", "started", "sync",
                             "message"))
    else:
        app.out.line("no jobs")
    return EXIT_OK


def cli_sync(app: Any, integ: Integration) -> int:
    """``sync NAME`` with a broker: enqueue, then wait for the job (progress on stderr) unless ``--no-wait``."""
    from .console import EXIT_BUSY, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, SYNC_EXIT, CliError

    queue = queue_for(app)
    assert queue is not None
    if getattr(app.args, "force_unlock", False):
        force_unlock(app, integ)
    try:
        job = queue.enqueue(integ, trigger="manual", mode=app.args.mode)
    except SyncInProgress as e:
        raise CliError(str(e), EXIT_BUSY) from None
    except QueueError as e:
        raise CliError(str(e), EXIT_FAILED) from None
    assert job is not None
    if getattr(app.args, "no_wait", False):
        if app.out.as_json:
            app.out.json(job.as_dict())
        else:
            app.out.line(f"{integ.name}: sync queued (job {job.id})")
        return EXIT_OK
    app.out.err(f"{integ.name}: sync queued (job {job.id}); waiting for a worker (Ctrl-C stops waiting, "
                f"`connector-host cancel {integ.name}` stops the sync)")
    last: list[str] = []

    def show(j: Job) -> None:
        p = j.progress or {}
        counts = p.get("counts") or {}
        line = f"{j.state}: {sum(v for v in counts.values() if isinstance(v, int))} records" + (
            f", {p.get('requests')} requests" if p.get("requests") is not None else "")
        if line != (last[-1] if last else None) and app.out.stderr.isatty():
            app.out.stderr.write(f"\r{line[:100]:100}")
            app.out.stderr.flush()
            last.append(line)

    try:
        job = queue.wait(job.id, on_progress=show)
    except KeyboardInterrupt:
        app.out.err(f"\nstopped waiting; job {job.id} goes on (`connector-host jobs {integ.name}`)")
        return EXIT_INTERRUPTED
    if last:
        app.out.stderr.write("\n")
    record = sync_record(app.store, job)
    if job.state == "skipped":
        raise CliError(job.message or "another sync of this integration is running", EXIT_BUSY)
    if record is None:
        raise CliError(f"job {job.id} {job.state}: {job.message}", EXIT_FAILED)
    app._print_sync(record)
    return SYNC_EXIT.get(record.status, EXIT_FAILED)


def force_unlock(app: Any, integ: Integration) -> list[Job]:
    """``sync NAME --force-unlock`` with a broker: end the integration's sync marked running in the store and its
    running or queued jobs (their leases cleared), with a warning for each."""
    app._unlock(integ.name)
    ended = leases.force_unlock(app.store, integ.id)
    for job in ended:
        running = job.state == "running"
        app.out.err(f"warning: ended job {job.id} of {integ.name} ({f'running on {job.worker}' if running else 'queued'})"
                    " by --force-unlock" + ("; if its worker is alive, it stops that sync at its next lease renewal"
                                            if running else ""))
    return ended


def cli_schedule(app: Any) -> int:
    """``schedule run`` with a broker: enqueue due syncs (``--once``: one round, then exit)."""
    from .console import EXIT_INTERRUPTED, EXIT_OK

    queue = queue_for(app)
    assert queue is not None
    sched = QueueScheduler(app.store, queue)
    if app.args.once:
        enqueued = sched.tick()
        if app.out.as_json:
            app.out.json({"leader": enqueued is not None,
                          "jobs": [e.job.as_dict() for e in enqueued or []],
                          "republished": [j.as_dict() for j in sched.republished]})
            return EXIT_OK
        for j in sched.republished:
            app.out.line(f"{j.integration}: job {j.id} {j.message}")
        if enqueued is None:
            app.out.line("another scheduler leads; nothing queued by this one")
        elif not enqueued:
            app.out.line("nothing due")
        else:
            for e in enqueued:
                app.out.line(f"{e.job.integration}: {e.due.trigger} sync queued (job {e.job.id})")
        return EXIT_OK
    app.out.err(f"scheduler on {app.store.path}, queueing due syncs on {_mask(queue.broker)} (Ctrl-C to stop)")
    install_stop_signals(sched.stop)
    try:
        sched.run_forever(poll_seconds=min(app.args.poll, 10.0))
    except KeyboardInterrupt:
        sched.stop()
        return EXIT_INTERRUPTED
    return EXIT_OK
