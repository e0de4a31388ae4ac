"""Rate limits: one limiter per bucket, driven by the ``X-Rate-Limit-*`` headers of every response.

* A bucket is first the class of the route template (:func:`routes.bucket_for`); if a route then reports a
  different ``X-Rate-Limit-Limit`` from the rest of its bucket, it is moved to a bucket of its own, so the
  limiter learns the real buckets from the headers.
* In each window (identified by ``X-Rate-Limit-Reset``) the connector may spend ``share`` of the quota it found
  remaining; it stops **before** Remaining reaches that floor and waits for the reset, so the customer's other
  integrations keep the rest. Requests in flight count against the budget.
* Reset is an epoch second on the server's clock: the wait is ``Reset - Date`` measured from the moment the
  response arrived (the server's ``Date`` cancels clock skew), with jitter; without ``Date`` the local clock is
  used, without ``Reset`` a bounded exponential fallback.
* A concurrency 429 (``Limit: 0``, ``Remaining: 0``) halves the number of requests in flight
  (:class:`AdaptiveSemaphore`) and retries after a short pause instead of waiting a window.
* A header value that is not a number, not finite (``1e400``, ``NaN``), negative or outside a sane range is
  ignored, as if the header were absent: a hostile value never raises and never stalls a bucket for long.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .clock import Clock

MAX_CONCURRENCY = 20
FALLBACK_WINDOW = 60.0
MAX_COUNT = 10_000_000  # the largest believable X-Rate-Limit-Limit / -Remaining
MAX_EPOCH = 2**36  # the year ~4147: a larger X-Rate-Limit-Reset is not an epoch second
MAX_RESET_WAIT = 3600.0  # a window that resets later than this is not believed (the fallback is used)
MAX_RETRY_AFTER = 3600

# name -> the range of believable values
SANE_RANGES: dict[str, tuple[int, int]] = {
    "X-Rate-Limit-Limit": (0, MAX_COUNT),
    "X-Rate-Limit-Remaining": (0, MAX_COUNT),
    "X-Rate-Limit-Reset": (1, MAX_EPOCH),
    "Retry-After": (0, MAX_RETRY_AFTER),
}


def _int(headers: Mapping[str, str], name: str) -> int | None:
    """The header as an integer, or ``None`` when absent or not believable (never raises)."""
    try:
        value = headers.get(name)
    except Exception:  # noqa: BLE001 - an odd headers object: as if absent
        return None
    if value is None:
        return None
    low, high = SANE_RANGES.get(name, (0, MAX_EPOCH))
    numbers: list[int] = []
    for part in str(value)[:256].split(","):  # several header lines may have been joined
        part = part.strip()
        if not part:
            continue
        try:
            number = float(part)
        except ValueError:
            return None
        if not math.isfinite(number) or not low <= number <= high:
            return None
        numbers.append(int(number))
    # several values: take the most conservative one
    return min(numbers) if numbers else None


def server_date(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@dataclass
class RateHeaders:
    limit: int | None
    remaining: int | None
    reset: int | None
    date: float | None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateHeaders:
        return cls(
            _int(headers, "X-Rate-Limit-Limit"),
            _int(headers, "X-Rate-Limit-Remaining"),
            _int(headers, "X-Rate-Limit-Reset"),
            server_date(headers),
        )

    @property
    def is_concurrency(self) -> bool:
        return self.limit == 0 and self.remaining == 0

    def seconds_to_reset(self, local_now: float) -> float | None:
        """Seconds from the response's arrival until the window resets (server clock when ``Date`` is there).

        ``Date`` has one-second resolution: when the local clock reads within that second, the clocks agree and
        the local reading is the finer one (up to a second less idle per window); otherwise ``Date`` cancels skew."""
        if self.reset is None:
            return None
        now = local_now if self.date is None or 0.0 <= local_now - self.date < 1.0 else self.date
        wait = self.reset - now
        if wait > MAX_RESET_WAIT:
            return None  # not believable (or the server's Date is far off): use the fallback window
        return max(0.0, wait)


@dataclass
class _Bucket:
    name: str
    limit: int | None = None
    remaining: int | None = None
    window: int | None = None  # X-Rate-Limit-Reset of the current window
    floor: int = 0  # stop before remaining reaches this
    reset_at: float | None = None  # monotonic
    in_flight: int = 0
    blocked_until: float = 0.0  # monotonic; set by a 429
    headerless: bool = False  # answers carry no rate-limit headers: nothing to pace by


class RateLimiter:
    def __init__(self, share: float, clock: Clock, rng: random.Random | None = None) -> None:
        self.share = min(1.0, max(0.01, float(share)))
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._route_key: dict[str, str] = {}

    # --------------------------------------------------------------- keys

    def key_for(self, bucket: str, route: str) -> str:
        with self._lock:
            return self._route_key.get(route, bucket)

    def _bucket(self, key: str) -> _Bucket:
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = _Bucket(key)
        return b

    def snapshot(self) -> dict[str, dict]:
        with self._lock:
            return {
                k: {"limit": b.limit, "remaining": b.remaining, "floor": b.floor, "in_flight": b.in_flight}
                for k, b in self._buckets.items()
            }

    # --------------------------------------------------------------- before a request

    def reserve(self, key: str) -> float:
        """Take a slot in ``key``'s budget; return 0 when taken, else the seconds to wait before asking again."""
        with self._lock:
            b = self._bucket(key)
            now = self._clock.monotonic()
            if now < b.blocked_until:
                return b.blocked_until - now
            if b.reset_at is not None and now >= b.reset_at:
                # a new window: forget the old numbers; the next response tells the new ones
                b.remaining, b.window, b.reset_at, b.floor = None, None, None, 0
            if b.remaining is None:
                # unknown budget: one request at a time until the headers say more
                if b.in_flight == 0 or b.headerless:
                    b.in_flight += 1
                    return 0.0
                return 0.05
            if b.remaining - b.in_flight > b.floor:
                b.in_flight += 1
                return 0.0
            if b.reset_at is None:
                return FALLBACK_WINDOW
            return max(0.0, b.reset_at - now) + self._rng.uniform(0.0, 0.5)

    def release(self, key: str) -> None:
        with self._lock:
            b = self._bucket(key)
            b.in_flight = max(0, b.in_flight - 1)

    # --------------------------------------------------------------- after a response

    def observe(self, key: str, route: str, headers: Mapping[str, str], arrived: float) -> str:
        """Record the rate-limit headers of a response that arrived at monotonic time ``arrived``.

        Returns the key the route now belongs to (it changes when the headers reveal a separate bucket).
        """
        rh = RateHeaders.parse(headers)
        with self._lock:
            b = self._bucket(key)
            b.in_flight = max(0, b.in_flight - 1)
            if rh.is_concurrency:
                return key
            if rh.limit is None or rh.remaining is None:
                b.headerless = b.remaining is None
                return key
            other_limit = b.limit is not None and rh.limit != b.limit
            other_window = (
                b.window is not None and rh.reset is not None and rh.reset > b.window + 1
                and b.reset_at is not None and arrived < b.reset_at - 1
            )
            if b.window is not None and (other_limit or other_window):
                # this route has its own bucket: give it a limiter of its own
                new_key = f"{key}|{route}"
                self._route_key[route] = new_key
                b = self._bucket(new_key)
                key = new_key
            to_reset = rh.seconds_to_reset(self._clock.time())
            if rh.reset is not None and rh.reset != b.window:
                if b.window is None or rh.reset > b.window:
                    b.window = rh.reset
                    allowed = math.floor(rh.remaining * self.share)
                    b.floor = max(0, rh.remaining - allowed)
                    b.remaining = rh.remaining
                    b.reset_at = arrived + to_reset if to_reset is not None else arrived + FALLBACK_WINDOW
                # an older window's late answer changes nothing
            else:
                b.remaining = rh.remaining if b.remaining is None else min(b.remaining, rh.remaining)
                if b.reset_at is None:
                    b.reset_at = arrived + (to_reset if to_reset is not None else FALLBACK_WINDOW)
            b.limit = rh.limit
            return key

    def wait_after_429(self, key: str, headers: Mapping[str, str], arrived: float, attempt: int) -> float:
        """Seconds to wait after a (non-concurrency) 429; blocks the bucket for every thread until then."""
        rh = RateHeaders.parse(headers)
        to_reset = rh.seconds_to_reset(self._clock.time())
        if to_reset is not None:
            wait = min(to_reset + 1.0, 5 * FALLBACK_WINDOW)
        else:
            retry_after = _int(headers, "Retry-After")
            wait = (min(float(retry_after), 5 * FALLBACK_WINDOW) if retry_after is not None
                    else min(FALLBACK_WINDOW, 5.0 * 2**attempt))
        wait += self._rng.uniform(0.0, min(2.0, 0.1 * wait + 0.5))
        with self._lock:
            b = self._bucket(key)
            b.blocked_until = max(b.blocked_until, arrived + wait)
            b.remaining = 0
            if rh.reset is not None:
                b.window = rh.reset
            b.reset_at = arrived + wait
        return wait

    def concurrency_pause(self, attempt: int) -> float:
        return min(5.0, 0.25 * 2**attempt) + self._rng.uniform(0.0, 0.25)


class AdaptiveSemaphore:
    """A counting semaphore whose capacity shrinks on concurrency 429s and grows back slowly."""

    GROW_AFTER = 25  # successes in a row before one more slot

    def __init__(self, capacity: int) -> None:
        self.max_capacity = max(1, min(MAX_CONCURRENCY, int(capacity)))
        self.capacity = self.max_capacity
        self._in_use = 0
        self._streak = 0
        self._cond = threading.Condition()

    def acquire(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._in_use < self.capacity, timeout=timeout) and self._take()

    def _take(self) -> bool:
        self._in_use += 1
        return True

    def release(self, ok: bool = True) -> None:
        with self._cond:
            self._in_use = max(0, self._in_use - 1)
            if ok:
                self._streak += 1
                if self._streak >= self.GROW_AFTER and self.capacity < self.max_capacity:
                    self.capacity += 1
                    self._streak = 0
            self._cond.notify_all()

    def shrink(self) -> int:
        with self._cond:
            self.capacity = max(1, self.capacity // 2)
            self._streak = 0
            return self.capacity

    @property
    def in_use(self) -> int:
        return self._in_use
