"""What the sync relies on from the client's rate limiter: routes of one documented bucket that Okta (or the
sandbox) serves from buckets with different limits never make each other wait."""

from __future__ import annotations

from connector_okta.client.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(reset)}


def test_two_limits_sharing_a_reset_time_do_not_block_each_other():
    clock = Clock()
    lim = RateLimiter(0.5, clock)
    reset = int(clock.now) + 60
    plan = [("/api/v1/groups", 500, 500), ("/api/v1/groups/{id}/roles", 1200, 1200),
            ("/api/v1/groups", 500, 499), ("/api/v1/groups/{id}/roles", 1200, 1199)]
    for route, limit, remaining in plan:
        key = lim.key_for("groups", route)
        assert lim.reserve(key) == 0.0, (route, lim.snapshot())
        lim.observe(key, route, headers(limit, remaining, reset), clock.monotonic())
    for route in ("/api/v1/groups", "/api/v1/groups/{id}/roles"):
        assert lim.reserve(lim.key_for("groups", route)) == 0.0, (route, lim.snapshot())


def test_a_window_rollover_does_not_mix_two_limits_into_a_block():
    clock = Clock()
    lim = RateLimiter(0.5, clock)
    w1 = int(clock.now) + 60
    key = lim.key_for("groups", "/api/v1/groups")
    assert lim.reserve(key) == 0.0
    lim.observe(key, "/api/v1/groups", headers(500, 500, w1), clock.monotonic())
    clock.now = w1 + 1.0  # the window rolls over
    w2 = w1 + 60
    for route, limit in (("/api/v1/groups/{id}/roles", 1200), ("/api/v1/groups", 500)):
        key = lim.key_for("groups", route)
        assert lim.reserve(key) == 0.0, (route, lim.snapshot())
        lim.observe(key, route, headers(limit, limit, w2), clock.monotonic())
    for route in ("/api/v1/groups", "/api/v1/groups/{id}/roles"):
        assert lim.reserve(lim.key_for("groups", route)) == 0.0, (route, lim.snapshot())
