"""Okta-like rate limits: per-bucket per-minute quotas, a per-token share, an org-wide concurrency limit.

A "minute" lasts ``60 / time_scale`` real seconds, so benchmarks finish quickly. ``X-Rate-Limit-Reset``
is the real epoch second (rounded up) at which the bucket's window ends, so a client that waits until
``Reset`` (computed against the ``Date`` header, as the SDKs do) always finds a fresh window.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# Workforce defaults, requests per minute (historical table, okta-api-behaviour.md section 3.2).
DEFAULT_QUOTAS: dict[str, int] = {
    "apps": 100,
    "users_list": 600,
    "users_get": 2000,
    "groups": 500,
    "logs": 120,
    "devices": 100,
    "oauth_token": 600,
    "default": 1200,
}

# (methods or None for any, path regex, bucket): the first match wins; "default" otherwise.
BUCKET_RULES: list[tuple[frozenset[str] | None, re.Pattern[str], str]] = [
    (None, re.compile(r"^/api/v1/apps(/.*)?$"), "apps"),
    (frozenset({"GET", "POST"}), re.compile(r"^/api/v1/users/?$"), "users_list"),
    (frozenset({"GET"}), re.compile(r"^/api/v1/users/[^/]+/?$"), "users_get"),
    (frozenset({"GET", "POST"}), re.compile(r"^/api/v1/groups/?$"), "groups"),
    (None, re.compile(r"^/api/v1/logs/?$"), "logs"),
    (None, re.compile(r"^/api/v1/devices(/.*)?$"), "devices"),
    (None, re.compile(r"^/oauth2/v1/token$"), "oauth_token"),
]


def bucket_for(method: str, path: str) -> str:
    for methods, pattern, bucket in BUCKET_RULES:
        if (methods is None or method in methods) and pattern.match(path):
            return bucket
    return "default"


@dataclass
class RateLimits:
    """Per-minute quotas by bucket (missing buckets take the Workforce defaults)."""

    quotas: dict[str, int] = field(default_factory=dict)

    def quota(self, bucket: str) -> int:
        return self.quotas.get(bucket, DEFAULT_QUOTAS.get(bucket, DEFAULT_QUOTAS["default"]))


@dataclass
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": str(self.reset),
        }


@dataclass
class _Window:
    start: float
    count: int = 0
    by_principal: Counter[str] = field(default_factory=Counter)


class RateLimiter:
    """Fixed windows per bucket; the org-wide count and each principal's count (capped at
    ``token_share`` of the bucket) reset together. ``limits=None`` turns enforcement off (headers are
    still sent, with the nominal quota as Limit and Remaining)."""

    def __init__(
        self,
        limits: RateLimits | None,
        *,
        time_scale: float = 1.0,
        token_share: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        if not 0 < token_share <= 1:
            raise ValueError("token_share must be in (0, 1]")
        self.limits = limits
        self.enabled = limits is not None
        self.window_seconds = 60.0 / time_scale
        self.token_share = token_share
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def _window(self, bucket: str, now: float) -> _Window:
        w = self._windows.get(bucket)
        if w is None or now >= w.start + self.window_seconds:
            w = _Window(start=now)
            self._windows[bucket] = w
        return w

    def _quota(self, bucket: str) -> int:
        return (self.limits or RateLimits()).quota(bucket)

    def principal_limit(self, bucket: str) -> int:
        return max(1, math.floor(self._quota(bucket) * self.token_share))

    def check(self, bucket: str, principal: str | None, *, consume: bool = True) -> Decision:
        """Count one request in ``bucket`` for ``principal`` (None: unauthenticated, org quota only)."""
        now = self.clock()
        quota = self._quota(bucket)
        with self._lock:
            w = self._window(bucket, now)
            reset = math.ceil(w.start + self.window_seconds)
            if not self.enabled:
                return Decision(True, quota, quota, reset)
            limit = self.principal_limit(bucket) if principal is not None else quota
            used_p = w.by_principal[principal] if principal is not None else w.count
            org_left = quota - w.count
            mine_left = limit - used_p
            if min(org_left, mine_left) <= 0:
                return Decision(False, limit, 0, reset)
            if consume:
                w.count += 1
                if principal is not None:
                    w.by_principal[principal] += 1
                org_left -= 1
                mine_left -= 1
            return Decision(True, limit, max(0, min(org_left, mine_left)), reset)

    def reset_time(self, bucket: str) -> int:
        with self._lock:
            w = self._window(bucket, self.clock())
            return math.ceil(w.start + self.window_seconds)


class ConcurrencyGate:
    """Org-wide in-flight request limit; ``limit=None`` or 0 turns it off."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.limit and self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1
