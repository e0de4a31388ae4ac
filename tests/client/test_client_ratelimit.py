"""Rate limits, concurrency, retries and the deadline, with a fake clock (no real waiting)."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest
import requests
from client_support import ORG, base_config, http_date, well_known_body

from connector_okta.client import NetworkError, RateLimited, TransientError
from connector_okta.client.ratelimit import AdaptiveSemaphore, RateHeaders, RateLimiter


class Bucket:
    """A server-side bucket: ``limit`` per 60 s window, on a server clock ``skew`` seconds ahead of ours."""

    def __init__(self, clock, limit=10, skew=0.0, send_date=True):
        self.clock = clock
        self.limit = limit
        self.skew = skew
        self.send_date = send_date
        self.window_end = clock.time() + skew + 60
        self.used = 0
        self.served = []

    def __call__(self, request, context):
        server_now = self.clock.time() + self.skew
        if server_now >= self.window_end:
            self.window_end = server_now + 60
            self.used = 0
        self.used += 1
        remaining = max(0, self.limit - self.used)
        context.headers.update({
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(int(self.window_end)),
            "X-Okta-Request-Id": f"req{len(self.served)}",
        })
        if self.send_date:
            context.headers["Date"] = http_date(server_now)
        if self.used > self.limit:
            context.status_code = 429
            self.served.append(429)
            return {"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}
        self.served.append(200)
        return {"id": "00o1", "n": self.used}


def test_limiter_waits_before_remaining_hits_the_share_floor(okta, make_client, clock):
    bucket = Bucket(clock, limit=10)
    okta.get(f"{ORG}/api/v1/org", json=bucket)
    client = make_client()
    for _ in range(12):
        client.get("/api/v1/org")
    assert 429 not in bucket.served
    # first answer: remaining 9, so the connector may spend floor(9 * 0.5) = 4 more, then waits for the reset
    assert bucket.served[:5] == [200] * 5
    waits = [s for s in clock.sleeps if s > 1]
    assert waits, "the limiter never waited"
    assert 55 <= waits[0] <= 62  # until the window resets (60 s after the first request), plus jitter
    stats = client.stats()
    assert stats["throttled"] == 0
    assert stats["rate_limit_wait_seconds"] >= 55


def test_share_of_the_remaining_quota_is_respected_per_window(okta, make_client, clock):
    bucket = Bucket(clock, limit=100)
    okta.get(f"{ORG}/api/v1/org", json=bucket)
    client = make_client(base_config(rate_limit_share=0.2))
    start = clock.mono
    for _ in range(20):
        client.get("/api/v1/org")
    # 99 remaining after the first call: 19 more allowed (0.2 share) before waiting; the 21st request waits
    assert clock.mono == start
    client.get("/api/v1/org")
    assert clock.mono - start >= 59
    assert bucket.used <= 2  # a new window on the server


def test_429_waits_until_reset_on_the_servers_clock(okta, make_client, clock):
    # the server clock runs 300 s ahead of ours: Reset - local now would be 320 s; Reset - Date is 20 s
    server_now = clock.time() + 300
    okta.get(f"{ORG}/api/v1/users/me", [
        {"status_code": 429, "json": {"errorCode": "E0000047"}, "headers": {
            "X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": str(int(server_now + 20)), "Date": http_date(server_now)}},
        {"json": {"id": "00u1"}},
    ])
    client = make_client()
    assert client.get("/api/v1/users/me").json == {"id": "00u1"}
    big = [s for s in clock.sleeps if s > 1]
    assert len(big) == 1 and 21 <= big[0] <= 24  # Reset - Date + 1, plus jitter
    assert client.stats()["throttled"] == 1 and client.stats()["retries"] == 1


def test_429_without_date_uses_the_local_clock(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/users/me", [
        {"status_code": 429, "headers": {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0",
                                         "X-Rate-Limit-Reset": str(int(clock.time() + 10))}},
        {"json": {"id": "00u1"}},
    ])
    make_client().get("/api/v1/users/me")
    big = [s for s in clock.sleeps if s > 1]
    assert len(big) == 1 and 11 <= big[0] <= 14


def test_429_without_reset_or_date_falls_back_to_bounded_backoff(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/users/me", [{"status_code": 429}, {"status_code": 429}, {"json": {"id": "00u1"}}])
    make_client().get("/api/v1/users/me")
    big = [s for s in clock.sleeps if s > 1]
    assert len(big) == 2 and all(s <= 62 for s in big) and big[1] > big[0]


def test_429_honours_retry_after_when_no_reset(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/users/me", [{"status_code": 429, "headers": {"Retry-After": "7"}}, {"json": {}}])
    make_client().get("/api/v1/users/me")
    assert 7 <= max(clock.sleeps) <= 8.5


def test_persistent_429_becomes_rate_limited_with_the_request_id(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/users/me", status_code=429, json={"errorCode": "E0000047"},
             headers={"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0",
                      "X-Rate-Limit-Reset": str(int(clock.time() + 5)), "X-Okta-Request-Id": "rid-429"})
    with pytest.raises(RateLimited) as info:
        make_client().get("/api/v1/users/me")
    assert info.value.kind == "rate_limited" and info.value.request_id == "rid-429"
    assert "rid-429" in str(info.value)


def test_concurrency_429_shrinks_concurrency_instead_of_waiting_a_window(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/users/me", [
        {"status_code": 429, "headers": {"X-Rate-Limit-Limit": "0", "X-Rate-Limit-Remaining": "0",
                                         "X-Rate-Limit-Reset": str(int(clock.time() + 60))}},
        {"json": {"id": "00u1"}},
    ])
    client = make_client(base_config(max_concurrency=8))
    client.get("/api/v1/users/me")
    assert max(clock.sleeps) < 6  # a short pause, not the 60 s window
    stats = client.stats()
    assert stats["concurrency_throttled"] == 1 and stats["throttled"] == 1
    assert stats["concurrency_limit"] == 4


def test_wait_past_the_deadline_fails_fast(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/users/me", status_code=429, headers={
        "X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(clock.time() + 200))})
    with pytest.raises(RateLimited) as info:
        make_client(base_config(max_sync_seconds=60)).get("/api/v1/users/me")
    assert "deadline" in info.value.message
    assert sum(clock.sleeps) < 60


def test_limiter_learns_separate_buckets_from_headers(clock):
    limiter = RateLimiter(0.5, clock)
    reset = str(int(clock.time() + 60))
    assert limiter.reserve("users") == 0
    limiter.observe("users", "/api/v1/users", {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "599",
                                               "X-Rate-Limit-Reset": reset}, clock.monotonic())
    assert limiter.reserve("users") == 0
    new_key = limiter.observe("users", "/api/v1/users/{id}/factors", {
        "X-Rate-Limit-Limit": "2000", "X-Rate-Limit-Remaining": "1", "X-Rate-Limit-Reset": str(int(clock.time() + 30))},
        clock.monotonic())
    assert new_key != "users"
    assert limiter.key_for("users", "/api/v1/users/{id}/factors") == new_key
    assert limiter.key_for("users", "/api/v1/users") == "users"
    # the exhausted factors bucket waits; the users list bucket does not
    assert limiter.reserve(new_key) > 0
    assert limiter.reserve("users") == 0


def test_limiter_counts_requests_in_flight(clock):
    limiter = RateLimiter(1.0, clock)
    limiter.reserve("b")
    limiter.observe("b", "/r", {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Remaining": "3",
                                "X-Rate-Limit-Reset": str(int(clock.time() + 60))}, clock.monotonic())
    assert [limiter.reserve("b") == 0 for _ in range(4)] == [True, True, True, False]


def test_rate_headers_parse_joined_values_conservatively():
    rh = RateHeaders.parse({"X-Rate-Limit-Limit": "600, 100", "X-Rate-Limit-Remaining": "5, 90",
                            "X-Rate-Limit-Reset": "1700000000", "Date": "Tue, 14 Nov 2023 22:13:10 GMT"})
    assert (rh.limit, rh.remaining, rh.reset) == (100, 5, 1700000000)
    assert rh.seconds_to_reset(0) == pytest.approx(10.0)
    assert RateHeaders.parse({"X-Rate-Limit-Limit": "0", "X-Rate-Limit-Remaining": "0"}).is_concurrency


def test_adaptive_semaphore_never_exceeds_twenty_and_regrows():
    sem = AdaptiveSemaphore(75)
    assert sem.capacity == 20
    assert sem.shrink() == 10 and sem.shrink() == 5
    for _ in range(AdaptiveSemaphore.GROW_AFTER):
        sem.acquire()
        sem.release(True)
    assert sem.capacity == 6


class _SlowOrg(http.server.BaseHTTPRequestHandler):
    """A loopback 'org' that takes 20 ms per answer and counts the requests in flight."""

    lock = threading.Lock()
    now = 0
    peak = 0

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        cls = type(self)
        with cls.lock:
            cls.now += 1
            cls.peak = max(cls.peak, cls.now)
        time.sleep(0.02)
        with cls.lock:
            cls.now -= 1
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        body = well_known_body(host) if "well-known" in self.path else {"id": "00o1"}
        data = json.dumps(body).encode()
        self.send_response(200)
        for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)),
                     "X-Rate-Limit-Limit": "10000", "X-Rate-Limit-Remaining": "9999",
                     "X-Rate-Limit-Reset": str(int(time.time() + 60))}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


def test_requests_in_flight_never_exceed_max_concurrency(make_client):
    from connector_okta.client.clock import SystemClock

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowOrg)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = make_client(base_config(org_url=url, allow_insecure_http_loopback=True, max_concurrency=3),
                             clock=SystemClock(), resolver=None)
        client.get("/api/v1/org")  # learn the bucket first
        _SlowOrg.peak = 0
        threads = [threading.Thread(target=lambda: [client.get("/api/v1/org") for _ in range(4)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert _SlowOrg.peak == 3  # parallel, and never more than max_concurrency
        assert client.stats()["requests_by_endpoint"]["/api/v1/org"] == 33
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ 5xx, timeouts, connection errors


def test_5xx_retried_with_bounded_backoff(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/org", [{"status_code": 503}, {"status_code": 502}, {"status_code": 504}, {"json": {"id": "o"}}])
    client = make_client()
    assert client.get("/api/v1/org").json == {"id": "o"}
    assert len(clock.sleeps) == 3 and all(0 < s <= 30 for s in clock.sleeps)
    assert client.stats()["retries"] == 3
    # retries say what they retry
    assert okta.request_history[-1].headers["X-Okta-Retry-Count"] == "3"


def test_5xx_gives_up_as_transient(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/org", status_code=503, json={"errorCode": "E0000010"}, headers={"X-Okta-Request-Id": "r5"})
    with pytest.raises(TransientError) as info:
        make_client().get("/api/v1/org")
    assert info.value.kind == "transient" and info.value.status == 503 and info.value.request_id == "r5"
    assert len([r for r in okta.request_history if r.path == "/api/v1/org"]) == 5


def test_timeouts_are_retried_then_reported(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/org", [{"exc": requests.exceptions.ReadTimeout}, {"json": {"ok": 1}}])
    assert make_client().get("/api/v1/org").json == {"ok": 1}
    okta.get(f"{ORG}/api/v1/zones", exc=requests.exceptions.ReadTimeout)
    with pytest.raises(TransientError) as info:
        make_client().get("/api/v1/zones")
    assert "request_timeout_seconds" in info.value.message


def test_connection_errors_become_network_errors(okta, make_client):
    okta.get(f"{ORG}/api/v1/org", exc=requests.exceptions.ConnectionError)
    with pytest.raises(NetworkError) as info:
        make_client().get("/api/v1/org")
    assert info.value.kind == "network"


def test_connect_and_read_timeouts_on_every_request(okta, make_client):
    okta.get(f"{ORG}/api/v1/org", json={})
    make_client(base_config(request_timeout_seconds=45)).get("/api/v1/org")
    assert all(r.timeout == (10.0, 45.0) for r in okta.request_history)


def test_truncated_json_is_retried(okta, make_client):
    okta.get(f"{ORG}/api/v1/org", [
        {"text": '{"id": "00o1", "na', "headers": {"Content-Type": "application/json"}},
        {"json": {"id": "00o1"}},
    ])
    assert make_client().get("/api/v1/org").json == {"id": "00o1"}


def test_deadline_stops_retries(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/org", status_code=503)
    client = make_client(base_config(max_sync_seconds=10))
    clock.advance(11)
    with pytest.raises(TransientError) as info:
        client.get("/api/v1/org")
    assert "deadline" in info.value.message


def test_limiter_splits_a_route_whose_window_differs(clock):
    limiter = RateLimiter(0.5, clock)
    now = clock.time()
    limiter.reserve("default")
    limiter.observe("default", "/api/v1/zones", {"X-Rate-Limit-Limit": "1200", "X-Rate-Limit-Remaining": "1199",
                                                 "X-Rate-Limit-Reset": str(int(now + 60))}, clock.monotonic())
    clock.advance(5)
    limiter.reserve("default")
    key = limiter.observe("default", "/api/v1/idps", {"X-Rate-Limit-Limit": "1200", "X-Rate-Limit-Remaining": "1",
                                                      "X-Rate-Limit-Reset": str(int(now + 30 + 60))}, clock.monotonic())
    assert key == "default|/api/v1/idps"
    assert limiter.reserve("default") == 0  # zones keeps its own budget
    assert limiter.reserve(key) > 0  # idps has 1 left: half of it rounds to none


def test_limiter_does_not_serialise_answers_without_rate_headers(clock):
    limiter = RateLimiter(0.5, clock)
    assert limiter.reserve("other") == 0
    assert limiter.reserve("other") > 0  # unknown budget: one at a time ...
    limiter.observe("other", "/x", {}, clock.monotonic())
    assert limiter.reserve("other") == 0 and limiter.reserve("other") == 0  # ... until we know there is none


@pytest.mark.timeout(20)
def test_reminting_with_a_single_slot_does_not_deadlock(okta, make_client):
    from test_client_auth import TokenEndpoint, oauth_config, pem, rsa_key

    key = rsa_key()
    endpoint = TokenEndpoint(key.public_key())
    okta.post(f"{ORG}/oauth2/v1/token", json=endpoint)
    okta.get(f"{ORG}/api/v1/users", [
        {"status_code": 401, "headers": {"WWW-Authenticate": 'Bearer error="invalid_token"'}},
        {"json": []},
    ])
    client = make_client(oauth_config(pem(key), max_concurrency=1))
    assert client.get("/api/v1/users").json == []
    assert len(endpoint.issued) == 2


def test_routes_with_different_quotas_in_one_window_get_separate_limiters(clock):
    # an unlimited sandbox reports constant Remaining per bucket; two buckets may share a reset second
    limiter = RateLimiter(0.5, clock)
    reset = str(int(clock.time() + 60))
    limiter.reserve("users")
    limiter.observe("users", "/api/v1/users/{id}/factors",
                    {"X-Rate-Limit-Limit": "1200", "X-Rate-Limit-Remaining": "1200", "X-Rate-Limit-Reset": reset},
                    clock.monotonic())
    limiter.reserve("users")
    key = limiter.observe("users", "/api/v1/users",
                          {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "600", "X-Rate-Limit-Reset": reset},
                          clock.monotonic())
    assert key != "users"
    assert limiter.reserve("users") == 0 and limiter.reserve(key) == 0  # neither waits a window
