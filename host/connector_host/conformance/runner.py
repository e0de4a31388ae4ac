"""Loading one connector and calling its hooks while recording everything it lets out.

The kit calls a connector only through the hooks, on a plugin manager holding that one connector (what the
host's facade does; the facade itself is not used for calls because it turns exceptions into results and
redacts secrets, hiding exactly what the kit must see). Every call runs in a thread of its own under a time
limit, inside :func:`~connector_host.conformance.capture.capture`, and the kit records its result or exception,
and everything it let out.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import datetime
import importlib.metadata
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from connector_host import hookspecs

from .capture import LogLine, Recording, capture, describe_exception

__all__ = ["Call", "Connector", "Harness", "Limits", "LogLine", "Normalised", "SyncRun", "describe_exception",
           "installed_entry_points", "load_connector", "shifted_clock"]

#: A sync under test that runs longer than this is stopped and reported.
SYNC_TIME_LIMIT_SECONDS = 120.0
MAX_MESSAGES = 2_000_000


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP))


@dataclass
class Connector:
    """One connector, loaded and registered alone on its own plugin manager."""

    name: str
    plugin: Any = None
    entry_point: importlib.metadata.EntryPoint | None = None
    pm: pluggy.PluginManager | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.pm is not None

    @property
    def package(self) -> str | None:
        """The package holding the plugin (where manifest paths such as the icon are looked up)."""
        module_name = self.plugin.__name__ if isinstance(self.plugin, ModuleType) else type(self.plugin).__module__
        if not module_name:
            return None
        return module_name.rsplit(".", 1)[0] if "." in module_name else module_name

    def call(self, hook: str, **kwargs: Any) -> Any:
        if self.pm is None:
            raise RuntimeError(f"connector {self.name!r} did not load: " + "; ".join(self.problems))
        return getattr(self.pm.hook, hook)(**kwargs)

    def implements(self, hook: str) -> bool:
        if self.pm is None:
            return False
        caller = getattr(self.pm.hook, hook, None)
        return bool(caller is not None and caller.get_hookimpls())


def load_connector(
    name: str, entry_points: Iterable[importlib.metadata.EntryPoint], plugin: Any = None
) -> Connector:
    """Resolve ``name`` in the entry-point group (or take ``plugin`` as given) and register it alone."""
    connector = Connector(name=name)
    matches = [ep for ep in entry_points if ep.group == hookspecs.ENTRY_POINT_GROUP and ep.name == name]
    if plugin is None:
        if not matches:
            connector.problems.append(
                f"no entry point named {name!r} in group {hookspecs.ENTRY_POINT_GROUP!r}: declare "
                f'[project.entry-points.{hookspecs.ENTRY_POINT_GROUP}] {name} = "your_package.plugin" '
                "in pyproject.toml and reinstall the package"
            )
            return connector
        if len({ep.value for ep in matches}) > 1:
            connector.problems.append(
                f"{len(matches)} entry points named {name!r} point to different plugins: "
                + ", ".join(sorted({ep.value for ep in matches}))
            )
        connector.entry_point = matches[0]
        try:
            plugin = matches[0].load()
        except Exception as exc:  # noqa: BLE001 - an import failure is the finding
            connector.problems.append(
                f"entry point {name} = {matches[0].value!r} does not load: {type(exc).__name__}: {exc}"
            )
            return connector
    connector.plugin = plugin
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin, name=name)
    except Exception as exc:  # noqa: BLE001 - pluggy.PluginValidationError and friends
        connector.problems.append(f"hook implementations do not match the specs: {exc}")
        return connector
    connector.pm = pm
    return connector


# ------------------------------------------------------------------------------------------------- calls


@dataclass(frozen=True)
class Limits:
    """Time limits (seconds), each enforced from outside the call: the connector runs in a thread of its own."""

    hook: float = 60.0  # any hook call (test_connection, manifest, one normalisation, ...)
    sync: float = SYNC_TIME_LIMIT_SECONDS  # a whole sync, every message read
    cancel: float = 10.0  # from the cancellation of a sync to its last message
    thread_grace: float = 2.0  # for the threads the connector started to end once a hook returned


@dataclass
class Call:
    """One hook call and everything it let out."""

    label: str
    hook: str = ""
    config: Any = None  # a copy of the config passed, as it was before the call
    result: Any = None
    exception: str | None = None  # the formatted traceback when the hook raised
    timed_out: str | None = None  # why the kit stopped waiting for the hook
    changed_inputs: list[str] = field(default_factory=list)  # inputs the hook modified ("config", "state")
    threads_left: list[str] = field(default_factory=list)  # threads it started, still alive after the grace
    rec: Recording = field(default_factory=Recording)
    duration_seconds: float = 0.0

    @property
    def logs(self) -> list[LogLine]:
        return self.rec.logs

    @property
    def thread_errors(self) -> list[str]:
        return self.rec.thread_errors

    @property
    def failed_to_return(self) -> str | None:
        return self.exception or self.timed_out


@dataclass
class Normalised:
    record: dict[str, Any]
    output: Any = None
    exception: str | None = None
    hook: str = ""
    record_changed: bool = False


@dataclass
class SyncRun(Call):
    state: Any = None  # a copy of the state passed
    messages: list[Any] = field(default_factory=list)
    progress: list[Any] = field(default_factory=list)
    stopped: str | None = None  # why the kit stopped reading (time limit, message limit)
    assets: list[Normalised] = field(default_factory=list)
    findings: list[Normalised] = field(default_factory=list)
    cancelled_after: int | None = None  # messages read when the kit cancelled the sync
    seconds_to_stop: float | None = None  # from the cancellation to the end of the stream

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if isinstance(m, dict) and m.get("type") == kind]

    def final_status(self) -> Any:
        statuses = self.of_type("SYNC_STATUS")
        payload = statuses[-1].get("sync_status") if statuses else None
        return payload.get("status") if isinstance(payload, dict) else None


@dataclass
class SyncContext:
    """The ``context`` argument of ``connector_sync`` (the host's own class when it ships one)."""

    logger: logging.Logger
    progress: Callable[[Any], None]
    cancelled: Callable[[], bool]
    budget: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


def _sync_context(**kwargs: Any) -> Any:
    try:
        from connector_host.facade import SyncContext as HostSyncContext
    except ImportError:
        return SyncContext(**kwargs)
    return HostSyncContext(**kwargs)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001
        return False


class _Worker(threading.Thread):
    """Runs connector code off the kit's thread, so the kit can stop waiting for it."""

    def __init__(self, name: str, body: Callable[[_Worker], Any]) -> None:
        super().__init__(name=f"conformance-{name}", daemon=True)
        self.body = body
        self.context = contextvars.copy_context()
        self.result: Any = None
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.step_started = time.monotonic()  # when the current hook call began (normalisations)

    def run(self) -> None:
        try:
            self.result = self.context.run(self.body, self)
        except BaseException as exc:  # noqa: BLE001 - recorded and reported
            self.error = exc


class Harness:
    """Calls one connector's hooks under time limits, inside :func:`capture`."""

    def __init__(self, connector: Connector, limits: Limits, folder: str) -> None:
        self.connector = connector
        self.limits = limits
        self.folder = folder

    # ---------------------------------------------------------------------------------------- plumbing

    @contextmanager
    def _captured(self, call: Call) -> Iterator[None]:
        start = time.monotonic()
        with capture(call.rec, self.connector.package, self.folder):
            yield
            if not call.timed_out:
                self._wait_for_threads(call)
        call.duration_seconds = time.monotonic() - start

    def _wait_for_threads(self, call: Call) -> None:
        deadline = time.monotonic() + self.limits.thread_grace
        for thread in call.rec.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        call.threads_left = [t.name for t in call.rec.threads if t.is_alive()]

    def _wait(self, worker: _Worker, limit: float) -> bool:
        """Wait for ``worker`` at most ``limit`` seconds; True when it finished."""
        worker.start()
        worker.join(limit)
        if worker.is_alive():
            worker.stop.set()
            return False
        return True

    def call(self, hook: str, label: str | None = None, **kwargs: Any) -> Call:
        """One plain hook call (manifest, config schema, checks, test_connection)."""
        config = kwargs.get("config")
        call = Call(label=label or hook, hook=hook, config=copy.deepcopy(config))
        with self._captured(call):
            worker = _Worker(hook, lambda _w: self.connector.call(hook, **kwargs))
            if not self._wait(worker, self.limits.hook):
                call.timed_out = f"{hook} did not return within {self.limits.hook:g} s"
            elif worker.error is not None:
                call.exception = describe_exception(worker.error)
            else:
                call.result = worker.result
        if "config" in kwargs and not call.timed_out and not _same(kwargs["config"], call.config):
            call.changed_inputs.append("config")
        return call

    def test_connection(self, label: str, config: Any) -> Call:
        return self.call("connector_test_connection", label, config=copy.deepcopy(config))

    # -------------------------------------------------------------------------------------------- syncs

    def sync(self, label: str, config: Any, state: Any = None, *, cancel: bool = False,
             normalise: bool = True) -> SyncRun:
        """Run one sync, read every message, then normalise every record.

        ``cancel``: the context's ``cancelled()`` turns true once the first RECORD is read.
        """
        run = SyncRun(label=label, hook="connector_sync", config=copy.deepcopy(config), state=copy.deepcopy(state))
        passed_config, passed_state = copy.deepcopy(config), copy.deepcopy(state)
        cancel_at: list[float] = []
        context = _sync_context(
            logger=logging.getLogger(f"connector_host.conformance.{self.connector.name}"),
            progress=run.progress.append,
            cancelled=lambda: bool(cancel_at),
            budget={"max_seconds": self.limits.sync},
        )

        received: list[Any] = []

        def body(worker: _Worker) -> None:
            stream = self.connector.call("connector_sync", config=passed_config, state=passed_state, context=context)
            if stream is None:
                raise TypeError("connector_sync returned None instead of an iterator of messages")
            try:
                for message in stream:
                    received.append(message)
                    if cancel and not cancel_at and isinstance(message, dict) and message.get("type") == "RECORD":
                        run.cancelled_after = len(received)
                        cancel_at.append(time.monotonic())
                    if len(received) >= MAX_MESSAGES:
                        run.stopped = f"stopped after {MAX_MESSAGES} messages"
                        break
                    if worker.stop.is_set():
                        break
            finally:
                close = getattr(stream, "close", None)
                if callable(close):
                    close()
            if cancel_at:
                run.seconds_to_stop = time.monotonic() - cancel_at[0]

        with self._captured(run):
            worker = _Worker("connector_sync", body)
            start = time.monotonic()
            worker.start()
            while worker.is_alive():
                worker.join(0.02)
                now = time.monotonic()
                if now - start > self.limits.sync:
                    run.timed_out = f"connector_sync did not end within {self.limits.sync:g} s"
                elif cancel_at and now - cancel_at[0] > self.limits.cancel:
                    run.timed_out = (f"connector_sync did not end within {self.limits.cancel:g} s of being cancelled "
                                     "(context.cancelled() returned True)")
                if run.timed_out:
                    worker.stop.set()
                    break
            run.messages = list(received)  # a snapshot: a worker left running may go on appending
            if run.timed_out:
                run.stopped = run.timed_out
            elif worker.error is not None:
                run.exception = describe_exception(worker.error)
            if normalise and not run.timed_out:
                self._normalise_run(run)
        if not run.timed_out:
            if not _same(passed_config, run.config):
                run.changed_inputs.append("config")
            if not _same(passed_state, run.state):
                run.changed_inputs.append("state")
        return run

    def _normalise_run(self, run: SyncRun) -> None:
        items = []
        for message in run.messages:
            record = message.get("record") if isinstance(message, dict) and message.get("type") == "RECORD" else None
            if not isinstance(record, dict):
                continue
            if record.get("kind") == "asset":
                items.append(Normalised(record=record, hook="connector_normalize_asset"))
                run.assets.append(items[-1])
            elif record.get("kind") == "check_result":
                items.append(Normalised(record=record, hook="connector_normalize_finding"))
                run.findings.append(items[-1])
        self.normalise_items(items)

    def normalise_items(self, items: list[Normalised]) -> str | None:
        """Normalise each item's record in place (each call under the hook limit); why it stopped, if it did."""
        if not items:
            return None

        def body(worker: _Worker) -> None:
            for item in items:
                if worker.stop.is_set():
                    return
                worker.step_started = time.monotonic()
                passed = copy.deepcopy(item.record)
                try:
                    item.output = self.connector.call(item.hook, record=passed)
                except BaseException as exc:  # noqa: BLE001 - reported by the checks
                    item.exception = describe_exception(exc)
                item.record_changed = not _same(passed, item.record)

        worker = _Worker("normalize", body)
        worker.start()
        while worker.is_alive():
            worker.join(0.02)
            if worker.is_alive() and time.monotonic() - worker.step_started > self.limits.hook:
                worker.stop.set()
                why = f"did not return within {self.limits.hook:g} s"
                for item in items:
                    if item.output is None and item.exception is None:
                        item.exception = f"{item.hook} {why}"
                return why
        if worker.error is not None:
            raise worker.error
        return None

    def renormalise(self, pairs: list[tuple[str, dict[str, Any]]], *, shift_clock: bool = False) -> list[Normalised]:
        """Normalise records the kit made (changed copies of the sync's), inside a capture of their own."""
        items = [Normalised(record=copy.deepcopy(record), hook=hook) for hook, record in pairs]
        call = Call(label="renormalise", hook="normalise")
        with self._captured(call), (shifted_clock(self.connector.package) if shift_clock else contextlib.nullcontext()):
            self.normalise_items(items)
        self.renormalised_calls.append(call)
        return items

    @property
    def renormalised_calls(self) -> list[Call]:
        if not hasattr(self, "_renormalised"):
            self._renormalised: list[Call] = []
        return self._renormalised


# ---------------------------------------------------------------------------------------- a moved clock

CLOCK_SHIFT_SECONDS = 400 * 86400.0


@contextmanager
def shifted_clock(package: str | None, seconds: float = CLOCK_SHIFT_SECONDS) -> Iterator[None]:
    """Move the wall clock ``seconds`` ahead (``time.time``, ``time.time_ns``, ``datetime.now/utcnow/today``,
    ``date.today``), also where the connector's modules imported those names: a pure normaliser does not see it."""
    real_time, real_time_ns = time.time, time.time_ns
    real_datetime, real_date = datetime.datetime, datetime.date
    delta = datetime.timedelta(seconds=seconds)

    class ShiftedDatetime(real_datetime):  # type: ignore[misc,valid-type]
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
            return real_datetime.now(tz) + delta

        @classmethod
        def utcnow(cls) -> Any:  # type: ignore[override]
            return real_datetime.utcnow() + delta  # noqa: DTZ003

        @classmethod
        def today(cls) -> Any:  # type: ignore[override]
            return real_datetime.today() + delta

    class ShiftedDate(real_date):  # type: ignore[misc,valid-type]
        @classmethod
        def today(cls) -> Any:  # type: ignore[override]
            return real_date.today() + delta

    def shifted_time() -> float:
        return real_time() + seconds

    def shifted_time_ns() -> int:
        return real_time_ns() + int(seconds * 1e9)

    replacements = {real_time: shifted_time, real_time_ns: shifted_time_ns, real_datetime: ShiftedDatetime,
                    real_date: ShiftedDate}
    patched: list[tuple[Any, str, Any]] = []
    for name, module in list(sys.modules.items()):
        if module is None or not package or not (name == package or name.startswith(package + ".")):
            continue
        for attr, value in list(vars(module).items()):
            try:
                replacement = replacements.get(value)
            except TypeError:
                continue
            if replacement is not None:
                patched.append((module, attr, value))
                setattr(module, attr, replacement)
    time.time, time.time_ns = shifted_time, shifted_time_ns  # type: ignore[assignment]
    datetime.datetime, datetime.date = ShiftedDatetime, ShiftedDate  # type: ignore[misc]
    try:
        yield
    finally:
        time.time, time.time_ns = real_time, real_time_ns  # type: ignore[assignment]
        datetime.datetime, datetime.date = real_datetime, real_date  # type: ignore[misc]
        for module, attr, value in patched:
            setattr(module, attr, value)
