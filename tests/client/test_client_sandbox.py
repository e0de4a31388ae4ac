"""The client end to end against the Okta sandbox: pages, rate limits (compressed time), faults, OAuth, DPoP."""

from __future__ import annotations

import threading
import time

import pytest

from connector_okta import connection
from connector_okta.client import (
    CredentialsError,
    FeatureNotAvailable,
    OktaClient,
    PermissionDenied,
    ResponseError,
    UnsafeURLError,
)
from connector_okta.config import load_config

okta_sandbox = pytest.importorskip("okta_sandbox.server")
from okta_sandbox.faults import Fault  # noqa: E402
from okta_sandbox.ratelimit import RateLimits  # noqa: E402


def client_for(sb, **overrides) -> OktaClient:
    raw = {"org_url": sb.url, "auth": {"method": "api_token", "token": sb.token}, "allow_insecure_http_loopback": True}
    raw.update(overrides)
    return OktaClient(load_config(raw))


def oauth_raw(sb, **auth_overrides):
    client_id, client = next(iter(sb.org.oauth_clients.items()))
    auth = {"method": "oauth", "client_id": client_id, "private_key": sb.org.oauth_private_keys[client_id],
            "key_id": client.jwks["keys"][0]["kid"], "scopes": ["okta.users.read", "okta.groups.read", "okta.apps.read"]}
    auth.update(auth_overrides)
    return {"org_url": sb.url, "auth": auth, "allow_insecure_http_loopback": True}


def test_paginates_every_user_across_pages(sandbox):
    sb = sandbox(users=450, rate_limits=None)
    with client_for(sb) as client:
        pages = list(client.paginate("/api/v1/users"))
        ids = [u["id"] for page in pages for u in page]
        expected = sum(1 for u in sb.org.users if u["status"] != "DEPROVISIONED")
        assert len(pages) == 3 and len(ids) == len(set(ids)) == expected
        # Link split over two header lines (users) and joined (groups) both work
        groups = [g for page in client.paginate("/api/v1/groups", {"limit": 5}) for g in page]
        assert len(groups) == len(sb.org.groups)
        assert client.stats()["requests_by_endpoint"]["/api/v1/users"] == 3


def test_org_metadata_confirmed_before_credentials(sandbox):
    sb = sandbox(users=20, rate_limits=None)
    with client_for(sb) as client:
        client.get("/api/v1/org")
        assert client.org.id and client.org.pipeline in ("idx", "v1")
        assert sb.stats()["requests_by_path"]["/.well-known/okta-organization"] == 1


def test_stays_under_the_rate_limit_with_compressed_time(sandbox):
    # a 1-second "minute"; 20 requests per window for the org, 10 for this token (Okta's 50% share)
    sb = sandbox(users=20, rate_limits=RateLimits({"default": 20}), time_scale=60)
    with client_for(sb, rate_limit_share=1.0) as client:
        started = time.monotonic()
        for _ in range(20):
            client.get("/api/v1/zones")
        elapsed = time.monotonic() - started
        stats = client.stats()
    assert sb.stats()["throttled"] == 0  # the limiter waited before Remaining hit zero
    assert stats["throttled"] == 0 and stats["rate_limit_wait_seconds"] > 0
    assert elapsed < 6


def test_recovers_from_a_rate_limit_storm(sandbox):
    sb = sandbox(users=20, rate_limits=RateLimits(), time_scale=60,
                 faults=[Fault("rate_limit", path="/api/v1/zones", count=1)])
    with client_for(sb) as client:
        assert isinstance(client.get("/api/v1/zones").json, list)
        assert client.stats()["throttled"] == 1


def test_concurrency_limit_shrinks_requests_in_flight(sandbox):
    sb = sandbox(users=20, rate_limits=RateLimits(), concurrency=2, faults=["slow:/api/v1/zones:count=all,delay=0.05"])
    errors: list[Exception] = []
    with client_for(sb, max_concurrency=8) as client:
        client.get("/api/v1/zones")  # learn the bucket

        def work():
            try:
                for _ in range(3):
                    client.get("/api/v1/zones")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        stats = client.stats()
    assert not errors
    assert stats["requests_by_endpoint"]["/api/v1/zones"] >= 25
    assert stats["concurrency_throttled"] >= 1 and stats["concurrency_limit"] < 8  # shrank instead of waiting
    assert stats["rate_limit_wait_seconds"] < 10
    assert sb.stats()["peak_concurrency"] <= 3


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("foreign_next:/api/v1/users", UnsafeURLError),
        ("revoke:/api/v1/users:after=1", CredentialsError),
        ("html:/api/v1/users:count=all,status=200", ResponseError),  # a 200 that is not JSON: not retried
    ],
)
def test_faults_that_must_fail(sandbox, fault, error):
    sb = sandbox(users=450, rate_limits=None, faults=[fault])
    with client_for(sb) as client, pytest.raises(error):
        list(client.paginate("/api/v1/users"))


@pytest.mark.parametrize(
    "fault",
    ["error:/api/v1/users:count=2,status=503", "truncate:/api/v1/users", "reset:/api/v1/users",
     "error:/api/v1/users:count=1,status=500", "html:/api/v1/users:count=1"],  # a proxy's 502 page
)
def test_faults_that_are_retried(sandbox, fault):
    sb = sandbox(users=450, rate_limits=None, faults=[fault])
    with client_for(sb) as client:
        ids = [u["id"] for page in client.paginate("/api/v1/users") for u in page]
        assert len(ids) == len(set(ids)) == sum(1 for u in sb.org.users if u["status"] != "DEPROVISIONED")
        assert client.stats()["retries"] >= 1


@pytest.mark.parametrize("fault", ["next_self:/api/v1/users", "repeat_cursor:/api/v1/users"])
def test_pagination_loops_stop(sandbox, fault):
    sb = sandbox(users=450, rate_limits=None, faults=[fault + ":after=1"])
    with client_for(sb) as client:
        pages = list(client.paginate("/api/v1/users"))
        assert 1 <= len(pages) <= 3
        assert client.stats()["pagination_stops"]


def test_feature_and_permission_faults_are_typed(sandbox):
    sb = sandbox(users=20, rate_limits=None, faults=["feature:/api/v1/authenticators:count=all",
                                                      "forbidden:/api/v1/zones:count=all"])
    with client_for(sb) as client:
        with pytest.raises(FeatureNotAvailable):
            client.get("/api/v1/authenticators")
        with pytest.raises(PermissionDenied):
            client.get("/api/v1/zones")


def test_oauth_private_key_jwt_end_to_end(sandbox):
    sb = sandbox(users=30, rate_limits=None)
    with OktaClient(load_config(oauth_raw(sb))) as client:
        users = [u for page in client.paginate("/api/v1/users") for u in page]
        assert users
        assert set(client.auth.granted_scopes) >= {"okta.users.read"}
        with pytest.raises(PermissionDenied) as info:
            client.get("/api/v1/policies", {"type": "OKTA_SIGN_ON"})  # okta.policies.read was not requested
        assert info.value.missing_scope == "okta.policies.read"
        assert client.auth.mints == 1


def test_dpop_end_to_end_with_the_nonce(sandbox):
    sb = sandbox(users=30, rate_limits=None)
    for client_cfg in sb.org.oauth_clients.values():
        client_cfg.require_dpop = True
    with OktaClient(load_config(oauth_raw(sb, use_dpop=True))) as client:
        assert [u for page in client.paginate("/api/v1/users") for u in page]
        assert client.auth.use_dpop and not client.auth.dpop_auto_enabled
    with OktaClient(load_config(oauth_raw(sb, use_dpop=False))) as client:
        client.get("/api/v1/groups")
        assert client.auth.dpop_auto_enabled  # the app requires DPoP: switched on by itself


def test_expired_oauth_tokens_are_reminted(sandbox):
    sb = sandbox(users=20, rate_limits=None, token_lifetime=1)
    with OktaClient(load_config(oauth_raw(sb))) as client:
        client.get("/api/v1/groups")
        time.sleep(1.1)
        client.get("/api/v1/groups")
        assert client.auth.mints == 2


def test_test_connection_against_the_sandbox(sandbox, sandbox_config):
    sb = sandbox(users=20, rate_limits=None)
    result = connection.test_connection(sandbox_config(sb))
    assert result["status"] == "succeeded", result["message"]
    assert result["identity"]["login"]
    assert any(c["status"] == "ok" for c in result["capabilities"])
    assert sb.token not in str(result)
    oauth = connection.test_connection(oauth_raw(sb))
    assert oauth["status"] == "succeeded", oauth["message"]
    assert oauth["identity"]["type"] == "service_app"


def test_foreign_next_host_never_receives_a_request(sandbox):
    import http.server

    hits: list[dict] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            hits.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

    foreign = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    try:
        host = f"http://127.0.0.1:{foreign.server_address[1]}"
        sb = sandbox(users=450, rate_limits=None, faults=[Fault("foreign_next", path="/api/v1/users", host=host, count=None)])
        for raw in (None, oauth_raw(sb)):
            client = client_for(sb) if raw is None else OktaClient(load_config(raw))
            with client, pytest.raises(UnsafeURLError):
                list(client.paginate("/api/v1/users"))
        assert hits == []  # another port on the same machine is another origin: nothing was sent there
    finally:
        foreign.shutdown()
        foreign.server_close()
