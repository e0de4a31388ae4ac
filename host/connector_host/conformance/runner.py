"""Loading one connector and calling its hooks while recording everything it lets out.

The kit calls a connector only through the hooks, on a plugin manager holding that one connector (what the
host's facade does; the facade itself is not used for calls because it turns exceptions into results and
redacts secrets, hiding exactly what the kit must see), and records for each call: the result or the exception, every log record of the whole process
at DEBUG (formatted, with tracebacks), and exceptions raised in threads.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.metadata
import io
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from connector_host import hookspecs

#: A sync under test that runs longer than this is stopped and reported.
SYNC_TIME_LIMIT_SECONDS = 120.0
MAX_MESSAGES = 2_000_000


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP))


def describe_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)).rstrip()


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


# ----------------------------------------------------------------------------------------------- capture


@dataclass
class LogLine:
    level: str
    logger: str
    text: str  # message, exception traceback and stack, as a handler would write them


class _Recorder(logging.Handler):
    def __init__(self, sink: list[LogLine]) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still must be hunted
            text = f"{record.msg!r} % {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + describe_exception(record.exc_info[1])
        if record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        self.sink.append(LogLine(record.levelname, record.name, text))


@contextmanager
def capture(logs: list[LogLine], thread_errors: list[str]) -> Iterator[None]:
    """Record every log record of the process at DEBUG, what is printed, and exceptions escaping threads.

    pytest's own log capture is paused meanwhile: a leaked secret must not reach the test report (the
    kit reports leaks masked).
    """
    recorder = _Recorder(logs)
    paused = [h for h in logging.root.handlers if type(h).__module__.startswith("_pytest")]
    manager = logging.root.manager
    loggers = [logging.root] + [lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    saved_levels = {lg: lg.level for lg in loggers}
    detached = [lg for lg in loggers if lg is not logging.root and not lg.propagate]
    saved_disable = manager.disable
    saved_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            thread_errors.append(describe_exception(args.exc_value))
        saved_hook(args)

    logging.disable(logging.NOTSET)
    for lg in loggers:
        if lg.level > logging.DEBUG:
            lg.setLevel(logging.DEBUG)
    logging.root.setLevel(logging.DEBUG)
    for handler in paused:
        logging.root.removeHandler(handler)
    logging.root.addHandler(recorder)
    for lg in detached:
        lg.addHandler(recorder)
    threading.excepthook = hook
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    finally:
        for stream, text in (("stdout", out.getvalue()), ("stderr", err.getvalue())):
            if text:
                logs.append(LogLine(stream.upper(), stream, text))  # kept, not echoed: it may hold a secret
        threading.excepthook = saved_hook
        logging.root.removeHandler(recorder)
        for handler in paused:
            logging.root.addHandler(handler)
        for lg in detached:
            lg.removeHandler(recorder)
        for lg, level in saved_levels.items():
            lg.setLevel(level)
        logging.disable(saved_disable)


# ------------------------------------------------------------------------------------------------- calls


@dataclass
class Call:
    """One hook call and everything it let out."""

    label: str
    config: Any = None
    result: Any = None
    exception: str | None = None  # the formatted traceback when the hook raised
    logs: list[LogLine] = field(default_factory=list)
    thread_errors: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0


@dataclass
class Normalised:
    record: dict[str, Any]
    output: Any = None
    exception: str | None = None


@dataclass
class SyncRun(Call):
    messages: list[Any] = field(default_factory=list)
    progress: list[Any] = field(default_factory=list)
    stopped: str | None = None  # why the kit stopped reading (time limit, message limit)
    assets: list[Normalised] = field(default_factory=list)
    findings: list[Normalised] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if isinstance(m, dict) and m.get("type") == kind]


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


def run_test_connection(connector: Connector, label: str, config: Any) -> Call:
    call = Call(label=label, config=copy.deepcopy(config))
    start = time.monotonic()
    with capture(call.logs, call.thread_errors):
        try:
            call.result = connector.call("connector_test_connection", config=copy.deepcopy(config))
        except Exception as exc:  # noqa: BLE001 - the hook must not raise; recorded and reported
            call.exception = describe_exception(exc)
    call.duration_seconds = time.monotonic() - start
    return call


def run_sync(connector: Connector, label: str, config: Any, time_limit: float = SYNC_TIME_LIMIT_SECONDS) -> SyncRun:
    """Run one first sync (state None), read every message, then normalise every record."""
    run = SyncRun(label=label, config=copy.deepcopy(config))
    context = _sync_context(
        logger=logging.getLogger(f"connector_host.conformance.{connector.name}"),
        progress=run.progress.append,
        cancelled=lambda: False,
        budget={"max_seconds": time_limit},
    )
    start = time.monotonic()
    with capture(run.logs, run.thread_errors):
        try:
            stream = connector.call("connector_sync", config=copy.deepcopy(config), state=None, context=context)
            if stream is None:
                raise TypeError("connector_sync returned None instead of an iterator of messages")
            for message in stream:
                run.messages.append(message)
                if len(run.messages) >= MAX_MESSAGES:
                    run.stopped = f"stopped after {MAX_MESSAGES} messages"
                    break
                if time.monotonic() - start > time_limit:
                    run.stopped = f"stopped after {time_limit:.0f} s"
                    break
        except Exception as exc:  # noqa: BLE001 - a sync must end with SYNC_STATUS, not raise
            run.exception = describe_exception(exc)
        for message in run.messages:
            record = message.get("record") if isinstance(message, dict) and message.get("type") == "RECORD" else None
            if not isinstance(record, dict):
                continue
            if record.get("kind") == "asset":
                run.assets.append(_normalise(connector, "connector_normalize_asset", record))
            elif record.get("kind") == "check_result":
                run.findings.append(_normalise(connector, "connector_normalize_finding", record))
    run.duration_seconds = time.monotonic() - start
    return run


def _normalise(connector: Connector, hook: str, record: dict[str, Any]) -> Normalised:
    item = Normalised(record=record)
    try:
        item.output = connector.call(hook, record=copy.deepcopy(record))
    except Exception as exc:  # noqa: BLE001 - reported by the profile checks
        item.exception = describe_exception(exc)
    return item
