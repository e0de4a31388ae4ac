"""A tiny Okta replay server: serves a fixture's responses verbatim on 127.0.0.1, as Okta serves them.

A fixture (``tests/fixtures/replay/*.json``) is ``{"description", "pipeline", "page_size", "responses"}``;
``responses`` maps a request to its body: the path with the query parameters that select a series
(``/api/v1/policies?type=PASSWORD``, ``/api/v1/users?filter=status eq "DEPROVISIONED"``), or the path alone.
Lists are served in pages of ``min(limit, page_size)`` objects with Okta's ``Link`` header (``rel="self"`` and
``rel="next"``); ``/api/v1/iam/assignees/users`` in Okta's body wrapper (``{"value": [...], "_links": {"next"}}``).
A list the fixture does not name but the connector reads under a parent (``/api/v1/groups/{id}/roles`` of a group
without roles) is an empty list; any other path is Okta's 404 (``E0000007``). Requests need the fixture's SSWS
token; every request is recorded, and :meth:`ReplayServer.served` tells which fixture objects were served.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from connector_okta.resources import RESOURCES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replay"
TOKEN = "00replayTOKENnot-a-real-one-0123456789"
PAGING = ("limit", "after")
WRAPPED = {"/api/v1/iam/assignees/users": "value"}
# sub-collections a parent may have none of: an empty list when the fixture does not name them
_EMPTY_LISTS = [re.compile("^" + re.sub(r"\{[a-z_]+\}", "[^/]+", r.path) + "$") for r in RESOURCES if r.parent]
_EMPTY_LISTS.append(re.compile(r"^/api/v1/users/[^/]+/factors$"))


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _key(path: str, params: Mapping[str, str]) -> str:
    series = {k: v for k, v in sorted(params.items()) if k not in PAGING}
    return path + ("?" + "&".join(f"{k}={v}" for k, v in series.items()) if series else "")


class ReplayServer:
    def __init__(self, fixture: Mapping[str, Any]) -> None:
        self.fixture = fixture
        self.responses: dict[str, Any] = dict(fixture["responses"])
        self.page_size = int(fixture.get("page_size") or 200)
        self.requests: list[str] = []
        self._served: dict[str, set[int]] = {}  # response key -> indices of list objects served
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                status, body, headers = server.answer(self.path, self.headers.get("Authorization"))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    # ---------------------------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def config(self) -> dict[str, Any]:
        """The connector config as the host stores it (the token from an environment variable)."""
        return {"org_url": self.url, "auth": {"method": "api_token", "token": {"$secret": "env", "name": "REPLAY_TOKEN"}},
                "allow_insecure_http_loopback": True}

    # ---------------------------------------------------------------------------------------------- answers
    def answer(self, raw_path: str, auth: str | None) -> tuple[int, Any, list[tuple[str, str]]]:
        parts = urlsplit(raw_path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path
        with self._lock:
            self.requests.append(raw_path)
        headers = [("X-Okta-Request-Id", f"replay-{len(self.requests)}"), ("X-Rate-Limit-Limit", "600"),
                   ("X-Rate-Limit-Remaining", "599"), ("X-Rate-Limit-Reset", str(int(time.time()) + 60))]
        if path == "/.well-known/okta-organization":
            org = self.responses["/api/v1/org"]
            return 200, {"id": org["id"], "pipeline": self.fixture.get("pipeline", "idx"),
                         "_links": {"organization": {"href": self.url}}}, headers
        if auth != f"SSWS {TOKEN}":
            return 401, _error("E0000011", "Invalid token provided"), headers
        key = _key(path, params)
        has_series = any(k.startswith(path + "?") for k in self.responses)
        if key in self.responses:
            body = self.responses[key]
        elif key != path and has_series:  # a series (policy type, user filter) the fixture has none of
            body = []
        elif path in self.responses:
            key, body = path, self.responses[path]
        elif any(rx.match(path) for rx in _EMPTY_LISTS):
            body = []
        else:
            return 404, _error("E0000007", f"Not found: Resource not found: {path} (replay)"), headers
        if not isinstance(body, list):
            return 200, body, headers
        start = int(params.get("after") or 0)
        size = min(int(params.get("limit") or self.page_size), self.page_size)
        page = body[start:start + size]
        with self._lock:
            self._served.setdefault(key, set()).update(range(start, start + len(page)))
        next_url = None
        if start + size < len(body):
            next_url = f"{self.url}{path}?{urlencode({**params, 'after': str(start + size)})}"
        if path in WRAPPED:
            out: dict[str, Any] = {WRAPPED[path]: page, "_links": {}}
            if next_url:
                out["_links"]["next"] = {"href": next_url}
            return 200, out, headers
        headers.append(("Link", f'<{self.url}{raw_path}>; rel="self"'))
        if next_url:
            headers.append(("Link", f'<{next_url}>; rel="next"'))
        return 200, page, headers

    def served(self, key: str) -> int:
        """How many objects of the fixture's list ``key`` were served (every page read: its length)."""
        body = self.responses[key]
        if not isinstance(body, list):
            return 1 if any(r.split("?", 1)[0] == key for r in self.requests) else 0
        return len(self._served.get(key, ()))


def _error(code: str, summary: str) -> dict[str, Any]:
    return {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oaeReplay000000000000",
            "errorCauses": []}
