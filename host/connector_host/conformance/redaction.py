"""The secrets of every target the kit has seen in this process, masked in anything the kit hands pytest.

The checks mask their own messages; :mod:`connector_host.conformance.plugin` also masks pytest's reports
(captured output and logs, tracebacks), the warnings issued while a conformance test runs, and the exceptions
of threads and ``__del__`` methods that pytest would print, whatever pytest's version.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from .secrets import SecretHunter, usable_secrets

_lock = threading.Lock()
_secrets: set[str] = set()
_hunter = SecretHunter(())


def register(secrets: Iterable[str]) -> None:
    global _hunter
    new = usable_secrets(secrets) - _secrets
    if not new:
        return
    with _lock:
        _secrets.update(new)
        _hunter = SecretHunter(_secrets)


def hunter() -> SecretHunter:
    return _hunter


def active() -> bool:
    return bool(_secrets)


def redact(text: str) -> str:
    return _hunter.redact(text) if _secrets and isinstance(text, str) else text


class RedactedError(Exception):
    """Stands for an exception whose text held a secret: what pytest shows instead (masked)."""


class _MaskedRepr:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class RedactedHookArgs:
    """``threading.ExceptHookArgs`` / ``sys.UnraisableHookArgs`` with the exception replaced by its masked text."""

    def __init__(self, args: Any, text: str) -> None:
        self.exc_type = RedactedError
        self.exc_value = RedactedError(text)
        self.exc_traceback = None
        self.thread = getattr(args, "thread", None)
        self.err_msg = redact(getattr(args, "err_msg", None) or "") or None
        obj = getattr(args, "object", None)
        self.object = _MaskedRepr(redact(_safe_repr(obj))) if obj is not None else None


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001
        return object.__repr__(value)
