"""The check registry: ``@check`` for org-level checks, ``@stream_check`` for checks fed one streamed object at a time.

Metadata (title, severity, collections, thresholds...) lives in ``catalog.toml``; the code only says how to judge.
The check modules import this one; :func:`.implementations.load_all` imports them, so the tables are filled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .context import CheckContext

CheckFn = Callable[[CheckContext], Iterable[dict]]

ORG_CHECKS: dict[str, CheckFn] = {}
STREAM_CHECKS: dict[str, tuple[str, type]] = {}


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        if check_id in ORG_CHECKS or check_id in STREAM_CHECKS:
            raise ValueError(f"check {check_id} registered twice")
        ORG_CHECKS[check_id] = fn
        return fn

    return deco


def stream_check(check_id: str, stream: str) -> Callable[[type], type]:
    """A class with ``visit(self, item, ctx) -> Iterable[result]`` and ``finish(self, ctx) -> Iterable[result]``.

    A fresh instance is made per engine; it must keep only small state (counts, ids), never the objects."""

    def deco(cls: type) -> type:
        if check_id in ORG_CHECKS or check_id in STREAM_CHECKS:
            raise ValueError(f"check {check_id} registered twice")
        STREAM_CHECKS[check_id] = (stream, cls)
        return cls

    return deco

