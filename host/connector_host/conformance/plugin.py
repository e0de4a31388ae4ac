"""The conformance kit as a pytest plugin (entry point ``pytest11``: ``connector_conformance``).

Inert unless a test module opts in by subclassing :class:`~connector_host.conformance.ConformanceSuite`:
it only adds ``conformance_*`` fixtures, and masks the secrets of the targets it has seen in what pytest
reports (captured output and logs, tracebacks, warnings, exceptions of threads and ``__del__``), whatever
pytest's version. The kit records what a connector lets out while it runs it, so this is the second line.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from . import redaction
from .runner import installed_entry_points


@pytest.fixture(scope="session")
def conformance_entry_points() -> list[Any]:
    """The entry points in group ``connector_host`` the kit sees (override to add throwaway connectors)."""
    return installed_entry_points()


@pytest.fixture
def conformance_target() -> Any:
    """The connector's test double; every connector's tests must override this fixture."""
    pytest.fail(
        "define a `conformance_target` fixture in your tests returning an object with good_config(), "
        "bad_credential_config(), unreachable_config(), wrong_url_config(), invalid_config(), crash() and "
        "secrets() (see connector_host.conformance.ConformanceTarget)",
        pytrace=False,
    )


# ------------------------------------------------------------------------------------ masking pytest's output


def _is_conformance(item: pytest.Item) -> bool:
    from .suite import ConformanceSuite

    cls = getattr(item, "cls", None)
    return isinstance(cls, type) and issubclass(cls, ConformanceSuite)


def _hook_text(args: Any) -> str:
    if getattr(args, "exc_value", None) is None:
        return ""
    return "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))


def _masking(previous: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A threading.excepthook / sys.unraisablehook that hands ``previous`` the exception masked."""
    if getattr(previous, "_conformance_masking", False):
        return previous

    def hook(args: Any) -> Any:
        if redaction.active():
            text = _hook_text(args)
            extra = f"{getattr(args, 'err_msg', '') or ''} {getattr(args, 'object', '')!r}"
            if redaction.redact(text) != text or redaction.redact(extra) != extra:
                return previous(redaction.RedactedHookArgs(args, redaction.redact(text)))
        return previous(args)

    hook._conformance_masking = True  # type: ignore[attr-defined]
    return hook


@contextmanager
def _masked_hooks() -> Iterator[None]:
    saved_thread, saved_unraisable = threading.excepthook, sys.unraisablehook
    threading.excepthook = _masking(saved_thread)
    sys.unraisablehook = _masking(saved_unraisable)
    try:
        yield
    finally:
        if getattr(threading.excepthook, "_conformance_masking", False):
            threading.excepthook = saved_thread
        if getattr(sys.unraisablehook, "_conformance_masking", False):
            sys.unraisablehook = saved_unraisable


def _masking_record_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """Log records made outside the kit's capture (a connector thread still running after its hook returned)
    carry their message masked to every handler (pytest's live log and log capture included)."""
    from .capture import capturing

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not redaction.active() or capturing():
            return record
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: mask its parts
            message = f"{record.msg!r} % {record.args!r}"
        masked = redaction.redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            if redaction.redact(text) != text:
                record.exc_info, record.exc_text = None, redaction.redact(text)
        return record

    factory._conformance_masking = True  # type: ignore[attr-defined]
    return factory


_SAVED = pytest.StashKey[list[Any]]()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # pytest >= 8.4 installs its thread and unraisable hooks for the whole session: mask in front of them
    saved = config.stash[_SAVED] = [threading.excepthook, sys.unraisablehook, logging.getLogRecordFactory()]
    threading.excepthook = _masking(saved[0])
    sys.unraisablehook = _masking(saved[1])
    if not getattr(saved[2], "_conformance_masking", False):
        logging.setLogRecordFactory(_masking_record_factory(saved[2]))


def pytest_unconfigure(config: pytest.Config) -> None:
    saved = config.stash.get(_SAVED, None)
    if saved:
        if getattr(threading.excepthook, "_conformance_masking", False):
            threading.excepthook = saved[0]
        if getattr(sys.unraisablehook, "_conformance_masking", False):
            sys.unraisablehook = saved[1]
        logging.setLogRecordFactory(saved[2])


def _phase(item: pytest.Item) -> Iterator[None]:
    if not _is_conformance(item):
        return (yield)
    # inside pytest's own per-phase hooks (pytest < 8.4 installs them around each phase)
    with _masked_hooks():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _phase(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _phase(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    return (yield from _phase(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    """Warnings issued while a conformance test runs reach pytest's warning summary masked."""
    if not _is_conformance(item):
        return (yield)
    with warnings.catch_warnings(record=True) as caught:
        try:
            return (yield)
        finally:
            pending = list(caught)
    for w in pending:  # re-issued to pytest's own recorder, outside ours, masked
        message = redaction.redact(str(w.message))
        try:
            category = w.category if issubclass(w.category, Warning) else UserWarning
            warning = category(message)
        except Exception:  # noqa: BLE001 - an odd Warning class: say it as a UserWarning
            category, warning = UserWarning, UserWarning(message)
        try:
            warnings.warn_explicit(warning, category, w.filename, w.lineno or 0)
        except Warning:
            pass  # turned into an error by a filter: it was already raised, masked, in the test


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if redaction.active():
        if report.longrepr is not None:
            text = str(report.longrepr)
            masked = redaction.redact(text)
            if masked != text:
                report.longrepr = masked
        report.sections = [(title, redaction.redact(content)) for title, content in report.sections]
    return report
