"""Request accounting for the ``STATS`` sync message: per endpoint and bucket, retries, 429s, time waited."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.by_bucket: Counter[str] = Counter()
        self.by_endpoint: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.retries = 0
        self.throttled = 0
        self.concurrency_throttled = 0
        self.rate_limit_wait = 0.0
        self.backoff_wait = 0.0
        self.token_requests = 0

    def request(self, bucket: str, route: str) -> None:
        with self._lock:
            self.requests += 1
            self.by_bucket[bucket] += 1
            self.by_endpoint[route] += 1

    def add(self, name: str, amount: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def status(self, status: int | str) -> None:
        with self._lock:
            self.by_status[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "requests_by_bucket": dict(self.by_bucket),
                "requests_by_endpoint": dict(self.by_endpoint),
                "responses_by_status": dict(self.by_status),
                "retries": self.retries,
                "throttled": self.throttled,
                "concurrency_throttled": self.concurrency_throttled,
                "rate_limit_wait_seconds": round(self.rate_limit_wait, 3),
                "backoff_wait_seconds": round(self.backoff_wait, 3),
                "token_requests": self.token_requests,
            }
