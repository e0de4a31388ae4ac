"""The Okta connector passes the conformance kit end to end against the Okta sandbox."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from connector_host.conformance import ConformanceSuite

okta_sandbox_server = pytest.importorskip("okta_sandbox.server")
pytest.importorskip("connector_okta.plugin")
generator = pytest.importorskip("okta_sandbox.generator")
faults = pytest.importorskip("okta_sandbox.faults")
routes = pytest.importorskip("okta_sandbox.routes")

BAD_TOKEN = "00qZ4rT8bN2vLx7KmW1pYc5HdE9gJ3sUoA6fRiV0tB"  # as random as a real one: slices of it are hunted too


class _NotOkta(BaseHTTPRequestHandler):
    """A web server that is not Okta: every path is an HTML 404."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b"<html><body><h1>404 Not Found</h1></body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OktaSandboxTarget:
    """conformance_target backed by one okta_sandbox server (and a non-Okta web server for the wrong URL)."""

    def __init__(self, sandbox: Any, not_okta_url: str) -> None:
        self.sb = sandbox
        self.not_okta_url = not_okta_url
        # A Super Administrator's token reads every collection, so a good sync can succeed completely
        # (a Read-Only Administrator's ends 'partial': API tokens and log streams need more).
        self.token = generator.token_for_role(sandbox.org, "SUPER_ADMIN")

    def _config(self, url: str, token: str) -> dict[str, Any]:
        return {"org_url": url, "auth": {"method": "api_token", "token": token}, "allow_insecure_http_loopback": True}

    def good_config(self) -> dict[str, Any]:
        return self._config(self.sb.url, self.token)

    def bad_credential_config(self) -> dict[str, Any]:
        return self._config(self.sb.url, BAD_TOKEN)

    def unreachable_config(self) -> dict[str, Any]:
        return self._config(f"http://127.0.0.1:{_closed_port()}", self.token)

    def wrong_url_config(self) -> dict[str, Any]:
        return self._config(self.not_okta_url, self.token)

    def invalid_config(self) -> dict[str, Any]:
        return {"org_url": 12345, "auth": {"method": "api_token", "token": self.token}}

    @contextlib.contextmanager
    def crash(self) -> Iterator[None]:
        """The user list, read mid-sync, answers every request with a TCP reset (retries included)."""
        saved = self.sb.faults
        self.sb.faults = faults.Faults.of([faults.Fault("reset", path="/api/v1/users", after=0, count=None)])
        try:
            yield
        finally:
            self.sb.faults = saved

    def secrets(self) -> list[str]:
        return [*self.sb.tokens, BAD_TOKEN]

    def endpoint_scopes(self) -> dict[str, str | None]:
        """The OAuth scope of each endpoint, as the sandbox enforces it (from Okta's OpenAPI ``security``)."""
        return {f"GET {route.template}": route.scope for route in routes.ROUTES}

    def requests_seen(self) -> dict[str, int]:
        return {f"GET {path}": n for path, n in self.sb.stats()["requests_by_path"].items()}


@pytest.fixture(scope="module")
def okta_target() -> Iterator[OktaSandboxTarget]:
    sb = okta_sandbox_server.Sandbox(generator.generate("default", users=30), time_scale=60).start()
    not_okta = ThreadingHTTPServer(("127.0.0.1", 0), _NotOkta)
    thread = threading.Thread(target=not_okta.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield OktaSandboxTarget(sb, f"http://127.0.0.1:{not_okta.server_address[1]}")
    finally:
        not_okta.shutdown()
        not_okta.server_close()
        sb.stop()


class TestOktaConformance(ConformanceSuite):
    connector_name = "okta"

    @pytest.fixture
    def conformance_target(self, okta_target: OktaSandboxTarget) -> OktaSandboxTarget:
        return okta_target
