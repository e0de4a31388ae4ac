"""Rate limits like Okta: headers on every response, per-token share, concurrency 429, time scale, stats."""

from __future__ import annotations

import email.utils
import threading
import time

import pytest
import requests
from okta_sandbox import Fault, RateLimits
from okta_sandbox.ratelimit import DEFAULT_QUOTAS, RateLimiter, bucket_for
from sandbox_orgs_helper import READONLY_TOKEN, SUPER_TOKEN, small_org

SUPER = {"Authorization": f"SSWS {SUPER_TOKEN}"}
RO = {"Authorization": f"SSWS {READONLY_TOKEN}"}


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [("GET", "/api/v1/apps", "apps"), ("GET", "/api/v1/apps/0oa1/users", "apps"), ("GET", "/api/v1/users", "users_list"),
     ("GET", "/api/v1/users/00u1", "users_get"), ("GET", "/api/v1/users/00u1/factors", "default"),
     ("GET", "/api/v1/groups", "groups"), ("GET", "/api/v1/logs", "logs"), ("GET", "/api/v1/devices", "devices"),
     ("GET", "/api/v1/policies", "default")],
)
def test_buckets(method, path, bucket):
    assert bucket_for(method, path) == bucket
    assert DEFAULT_QUOTAS[bucket] > 0


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/nope", "/.well-known/okta-organization"])
@pytest.mark.parametrize("headers", [SUPER, {"Authorization": "SSWS bad"}])
def test_every_response_has_rate_limit_request_id_and_date_headers(sandbox, path, headers):
    sb = sandbox(org=small_org())
    r = requests.get(sb.url + path, headers=headers, timeout=5)
    for h in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Okta-Request-Id", "Date"):
        assert h in r.headers, (path, h)
    reset = int(r.headers["X-Rate-Limit-Reset"])
    assert 0 <= reset - time.time() <= 61


def test_remaining_counts_down_with_the_token_share(sandbox):
    sb = sandbox(org=small_org())
    first = requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5)
    second = requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5)
    assert first.headers["X-Rate-Limit-Limit"] == "300"  # 50% of the Workforce users-list 600
    assert int(first.headers["X-Rate-Limit-Remaining"]) - int(second.headers["X-Rate-Limit-Remaining"]) == 1


def test_per_token_share_and_org_bucket(sandbox):
    sb = sandbox(org=small_org(), rate_limits=RateLimits({"users_list": 4}), token_share=0.5)
    codes_super = [requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5).status_code for _ in range(3)]
    assert codes_super == [200, 200, 429]
    r = requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5)
    assert r.json()["errorCode"] == "E0000047"
    assert r.headers["X-Rate-Limit-Limit"] == "2" and r.headers["X-Rate-Limit-Remaining"] == "0"
    # another token has its own share of the same bucket; other buckets are untouched
    assert [requests.get(sb.url + "/api/v1/users", headers=RO, timeout=5).status_code for _ in range(3)] == [
        200, 200, 429]
    assert requests.get(sb.url + "/api/v1/groups", headers=SUPER, timeout=5).status_code == 200
    stats = sb.stats()
    assert stats["throttled"] == 3 and stats["throttled_by_kind"] == {"rate": 3}
    assert stats["requests_by_bucket"]["users_list"] == 7 and stats["requests_by_path"]["/api/v1/groups"] == 1


def test_full_share_exhausts_the_org_bucket(sandbox):
    sb = sandbox(org=small_org(), rate_limits=RateLimits({"users_list": 3}), token_share=1.0)
    assert [requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5).status_code for _ in range(3)] == [
        200, 200, 200]
    assert requests.get(sb.url + "/api/v1/users", headers=RO, timeout=5).status_code == 429


def test_waiting_until_reset_works_under_time_scale(sandbox):
    sb = sandbox(org=small_org(), rate_limits=RateLimits({"users_list": 2}), token_share=0.5, time_scale=60)
    t0 = time.time()
    assert requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5).status_code == 200
    r = requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5)
    assert r.status_code == 429
    server_now = email.utils.parsedate_to_datetime(r.headers["Date"]).timestamp()
    wait = int(r.headers["X-Rate-Limit-Reset"]) - server_now + 1  # what the Okta SDKs compute
    assert 0 < wait <= 3  # a "minute" lasts one second at time_scale=60
    time.sleep(max(0.0, int(r.headers["X-Rate-Limit-Reset"]) - time.time()) + 0.01)
    assert requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5).status_code == 200
    assert time.time() - t0 < 5


def test_limiter_window_with_a_fake_clock():
    now = [1000.0]
    lim = RateLimiter(RateLimits({"logs": 120}), time_scale=2, token_share=0.5, clock=lambda: now[0])
    decisions = [lim.check("logs", "token:a") for _ in range(61)]
    assert [d.allowed for d in decisions].count(True) == 60 and not decisions[-1].allowed
    assert decisions[0].reset == 1030
    now[0] = 1030.0
    assert lim.check("logs", "token:a").allowed


def test_limits_off_never_throttle(sandbox):
    sb = sandbox(org=small_org(), rate_limits=None)
    codes = {requests.get(sb.url + "/api/v1/apps", headers=SUPER, timeout=5).status_code for _ in range(120)}
    assert codes == {200}


def test_concurrency_limit_answers_429_with_zero_limit_and_remaining(sandbox):
    sb = sandbox(org=small_org(), concurrency=1, faults=[Fault("slow", "/api/v1/org", count=1, delay=0.5)])
    results: list[requests.Response] = []
    t = threading.Thread(target=lambda: results.append(requests.get(sb.url + "/api/v1/org", headers=SUPER, timeout=5)))
    t.start()
    deadline = time.time() + 2
    while sb.gate.in_flight == 0 and time.time() < deadline:
        time.sleep(0.01)
    r = requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5)
    t.join(timeout=5)
    assert r.status_code == 429 and r.json()["errorCode"] == "E0000047"
    assert r.headers["X-Rate-Limit-Limit"] == "0" and r.headers["X-Rate-Limit-Remaining"] == "0"
    assert results[0].status_code == 200
    assert sb.stats()["throttled_by_kind"] == {"concurrency": 1}
    assert requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5).status_code == 200


def test_fault_responses_show_the_same_per_token_limit(sandbox):
    sb = sandbox(org=small_org(), faults=[Fault("error", "/api/v1/users", after=1)])
    ok = requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5)
    failed = requests.get(sb.url + "/api/v1/users", headers=SUPER, timeout=5)
    assert failed.status_code == 500
    assert ok.headers["X-Rate-Limit-Limit"] == failed.headers["X-Rate-Limit-Limit"] == "300"
    assert ok.headers["X-Rate-Limit-Reset"] == failed.headers["X-Rate-Limit-Reset"]
