"""Everything a connector lets out while the kit calls it, recorded instead of reaching pytest.

While a hook runs (:func:`capture`), the kit:

- takes every log record of the process, at any level and whatever the loggers' levels, handlers, filters on
  ``logging.disable`` or ``propagate`` say, before any handler sees it (pytest's included, so a record never
  reaches pytest's log capture, whatever its version), with its ``args`` and ``extra`` attributes;
- takes what is printed to ``sys.stdout``/``sys.stderr`` and written to the file descriptors 1 and 2;
- takes the warnings issued (re-issued masked afterwards) and the exceptions escaping threads
  (``threading.excepthook``) or ``__del__`` (``sys.unraisablehook``), which pytest would print in clear;
- records the environment variables the connector's own code reads (``os.environ``, ``os.getenv``), the
  files and folders written, renamed or removed anywhere (an audit hook; ``tempfile`` points to a folder of
  the kit's), their content, and the threads the connector's code starts.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Files larger than this are not read back for secrets (their path is still recorded).
MAX_FILE_READ = 5_000_000

_STANDARD_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {
    "message", "asctime", "taskName",
}


@dataclass
class LogLine:
    level: str
    logger: str
    text: str  # message, exception traceback and stack, as a handler would write them
    values: dict[str, Any] = field(default_factory=dict)  # the record's args and extra attributes


@dataclass
class Recording:
    """What one hook call let out (filled by :func:`capture`)."""

    logs: list[LogLine] = field(default_factory=list)
    thread_errors: list[str] = field(default_factory=list)
    env_reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # "path (how)" outside the kit's folder
    files: dict[str, str] = field(default_factory=dict)  # path -> content, of every file written
    threads: list[threading.Thread] = field(default_factory=list)  # started by the connector's code
    warnings: list[warnings.WarningMessage] = field(default_factory=list)


def describe_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)).rstrip()


# ------------------------------------------------------------------------------------------ attribution

_INFRASTRUCTURE = {"os", "posixpath", "ntpath", "_collections_abc", "collections.abc", __name__}


def _module_of(frame: Any) -> str:
    return frame.f_globals.get("__name__", "") or ""


def _is_connector(module: str, package: str | None) -> bool:
    return bool(package) and (module == package or module.startswith(package + "."))


def _caller_is_connector(package: str | None, skip: int = 2) -> bool:
    """Whether the nearest caller outside ``os`` and the collections ABCs is the connector's own code."""
    if not package:
        return False
    frame = sys._getframe(skip)
    while frame is not None and _module_of(frame) in _INFRASTRUCTURE:
        frame = frame.f_back
    return frame is not None and _is_connector(_module_of(frame), package)


def _connector_on_stack(package: str | None) -> bool:
    if not package:
        return False
    frame = sys._getframe(2)
    depth = 0
    while frame is not None and depth < 400:
        if _is_connector(_module_of(frame), package):
            return True
        frame, depth = frame.f_back, depth + 1
    return False


def _reissue_masked(w: warnings.WarningMessage) -> None:
    """A warning the connector issued, handed on (to pytest's summary) with every known secret masked."""
    from . import redaction

    message = redaction.redact(str(w.message))
    category = w.category if isinstance(w.category, type) and issubclass(w.category, Warning) else UserWarning
    try:
        warning = category(message)
    except Exception:  # noqa: BLE001 - an odd Warning class
        category, warning = UserWarning, UserWarning(message)
    with contextlib.suppress(Warning):
        warnings.warn_explicit(warning, category, w.filename, w.lineno or 0)


# ----------------------------------------------------------------------------------- process-wide state

_active: _Session | None = None


def capturing() -> bool:
    """Whether the kit is recording a hook call right now (what it records is hunted, not shown)."""
    return _active is not None
_lock = threading.Lock()
_audit_installed = False
_in_audit = threading.local()


class _Session:
    def __init__(self, rec: Recording, package: str | None, folder: str) -> None:
        self.rec = rec
        self.package = package
        self.folder = os.path.realpath(folder)
        self.written: set[str] = set()

    def inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.folder or real.startswith(self.folder + os.sep)

    def note_write(self, path: Any, how: str) -> None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str | os.PathLike):
            return  # a file descriptor: its opening was seen
        path = os.path.abspath(os.fspath(path))
        if path.startswith("/dev/") or f"{os.sep}__pycache__{os.sep}" in path or path.endswith(".pyc"):
            return
        if how in ("remove", "rename"):
            self.read_back(path)
        if how != "remove":
            self.written.add(path)
        if not self.inside(path):
            entry = f"{path} ({how})"
            if entry not in self.rec.writes:
                self.rec.writes.append(entry)

    def read_back(self, path: str) -> None:
        try:
            if os.path.isfile(path) and os.path.getsize(path) <= MAX_FILE_READ:
                with open(path, "rb") as fh:
                    self.rec.files[path] = fh.read().decode("utf-8", "replace")
        except OSError:
            pass


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple[Any, ...]) -> None:
    session = _active
    if session is None or getattr(_in_audit, "busy", False):
        return
    _in_audit.busy = True
    try:
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
            if writing:
                session.note_write(path, "write")
        elif event == "os.remove":
            session.note_write(args[0], "remove")
        elif event == "os.rename":
            session.note_write(args[0], "rename")
            session.note_write(args[1], "write")
        elif event in ("os.mkdir", "os.rmdir", "os.truncate", "os.chmod", "os.utime"):
            session.note_write(args[0], event.removeprefix("os."))
        elif event in ("shutil.copyfile", "shutil.copytree", "os.symlink", "os.link"):
            session.note_write(args[1], event.split(".")[-1])
        elif event == "shutil.rmtree":
            session.note_write(args[0], "rmtree")
        elif event == "sqlite3.connect" and args and str(args[0]) not in ("", ":memory:") \
                and not str(args[0]).startswith("file::memory:"):
            session.note_write(args[0], "sqlite3")
    except Exception:  # noqa: BLE001, S110 - an audit hook must never break the operation it watches
        pass
    finally:
        _in_audit.busy = False


class _RecordingEnviron(os._Environ):  # type: ignore[name-defined,misc]
    """``os.environ`` while the kit watches: lookups by the connector's own code are recorded."""

    def __getitem__(self, key: str) -> str:
        session = _active
        if session is not None and _caller_is_connector(session.package):
            name = str(key)
            if name not in session.rec.env_reads:
                session.rec.env_reads.append(name)
        return super().__getitem__(key)


def _record_log(session: _Session) -> Callable[[logging.Logger, logging.LogRecord], None]:
    def call_handlers(_logger: logging.Logger, record: logging.LogRecord) -> None:
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
        values: dict[str, Any] = {}
        if record.args:
            values["args"] = record.args
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD_RECORD_ATTRIBUTES}
        if extra:
            values["extra"] = extra
        if not isinstance(record.msg, str):
            values["msg"] = record.msg
        session.rec.logs.append(LogLine(record.levelname, record.name, text, values))

    return call_handlers


_fd_file: list[Any] = []


def _fd_target() -> Any:
    if not _fd_file:
        _fd_file.append(tempfile.TemporaryFile(dir=tempfile.gettempdir()))  # noqa: SIM115 - one, reused
    return _fd_file[0]


@contextlib.contextmanager
def _fd_capture(sink: list[str]) -> Iterator[None]:
    """Point file descriptors 1 and 2 to a file while the connector runs; keep what was written there."""
    saved: list[tuple[int, int]] = []
    try:
        out = _fd_target()
        out.seek(0)
        out.truncate()
    except OSError:
        yield
        return
    try:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
                os.dup2(out.fileno(), fd)
            except OSError:
                pass
        yield
    finally:
        for stream in (sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(Exception):
                stream.flush()  # type: ignore[union-attr]
        for fd, copy in saved:
            with contextlib.suppress(OSError):
                os.dup2(copy, fd)
                os.close(copy)
        out.seek(0)
        data = out.read()
        if data:
            sink.append(data.decode("utf-8", "replace"))


@contextlib.contextmanager
def capture(rec: Recording, package: str | None, folder: str | os.PathLike[str]) -> Iterator[None]:
    """Record what a hook lets out (see the module's docstring); nothing of it reaches pytest."""
    global _active, _audit_installed
    session = _Session(rec, package, os.fspath(folder))
    with _lock:
        if not _audit_installed:
            sys.addaudithook(_audit)
            _audit_installed = True
    with contextlib.suppress(OSError):
        _fd_target()  # before tempfile points to the kit's folder
    saved_call_handlers = logging.Logger.callHandlers
    saved_enabled = logging.Logger.isEnabledFor
    saved_thread_hook = threading.excepthook
    saved_unraisable = sys.unraisablehook
    saved_start = threading.Thread.start
    saved_environ_class = os.environ.__class__
    saved_tempdir = tempfile.tempdir

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            name = args.thread.name if args.thread is not None else "?"
            rec.thread_errors.append(f"in thread {name}:\n{describe_exception(args.exc_value)}")

    def unraisable_hook(args: Any) -> None:
        if args.exc_value is not None:
            rec.thread_errors.append(f"{args.err_msg or 'unraisable'}:\n{describe_exception(args.exc_value)}")

    def start(thread: threading.Thread) -> None:
        if _connector_on_stack(package):
            rec.threads.append(thread)
        saved_start(thread)

    printed: list[str] = []
    out, err = io.StringIO(), io.StringIO()
    logging.Logger.callHandlers = _record_log(session)  # type: ignore[method-assign]
    logging.Logger.isEnabledFor = lambda self, level: True  # type: ignore[method-assign]
    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook
    threading.Thread.start = start  # type: ignore[method-assign]
    tempfile.tempdir = session.folder
    try:
        os.environ.__class__ = _RecordingEnviron
    except TypeError:
        pass
    _active = session
    try:
        with warnings.catch_warnings(record=True) as caught, _fd_capture(printed), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            warnings.simplefilter("always")
            yield
        rec.warnings += caught
    finally:
        _active = None
        with contextlib.suppress(TypeError):
            os.environ.__class__ = saved_environ_class
        tempfile.tempdir = saved_tempdir
        threading.Thread.start = saved_start  # type: ignore[method-assign]
        sys.unraisablehook = saved_unraisable
        threading.excepthook = saved_thread_hook
        logging.Logger.isEnabledFor = saved_enabled  # type: ignore[method-assign]
        logging.Logger.callHandlers = saved_call_handlers  # type: ignore[method-assign]
        for name, text in (("stdout", out.getvalue()), ("stderr", err.getvalue()), *(("fd 1/2", p) for p in printed)):
            if text:
                rec.logs.append(LogLine(name.upper(), name, text))  # kept, not echoed: it may hold a secret
        for w in rec.warnings:
            rec.logs.append(LogLine("WARNING", "warnings", f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})",
                                    {"args": getattr(w.message, "args", ())}))
            _reissue_masked(w)
        for path in sorted(session.written):
            if path not in rec.files:
                session.read_back(path)
        for path in Path(session.folder).rglob("*"):
            if str(path) not in rec.files:
                session.read_back(str(path))
