"""Real local HTTP servers for the security tests (issue 15): a programmable fake Okta org, and a tampering
reverse proxy in front of a sandbox org that rewrites one route's answers (a body nested 100,000 levels deep,
``X-Rate-Limit-Remaining: 1e400``, 300 objects for ``limit=200``...). Nothing is mocked below the socket: the
connector's real HTTP stack (requests, urllib3) parses every URL, header and body."""

from __future__ import annotations

import fnmatch
import http.client
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

TOKEN = "00SECURITYtoken-abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class Answer:
    """What a fake route answers: status, headers (a list: a name may repeat) and the body bytes."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b"[]"
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes


def json_answer(value: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Answer:
    return Answer(status, [("Content-Type", "application/json"), *(headers or [])],
                  json.dumps(value, separators=(",", ":")).encode())


Route = Callable[["Request"], Answer]


@dataclass
class Request:
    method: str
    path: str  # with the query
    headers: dict[str, str]

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True


class FakeOrg:
    """An Okta-compatible org on ``127.0.0.1:<port>`` whose routes a test programs (glob patterns on the path).

    ``/.well-known/okta-organization`` answers like an Okta org (``organization`` = this server) unless a test
    routes it. Every request is recorded with its headers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: list[tuple[str, Route]] = []
        self.requests: list[Request] = []
        self.well_known_links: dict[str, Any] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                req = Request(self.command, self.path, dict(self.headers))
                outer.requests.append(req)
                answer = outer.answer(req)
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value.encode("utf-8").decode("latin-1"))  # raw UTF-8 on the wire
                if answer.content_length:
                    self.send_header("Content-Length", str(len(answer.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    self.wfile.write(answer.body)
                except OSError:  # the client gave up reading (a refused body): fine
                    pass

            do_GET = _answer  # noqa: N815
            do_POST = _answer  # noqa: N815

        self._httpd = _Server((host, 0), Handler)
        self.host, self.port = host, self._httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def route(self, pattern: str, fn: Route) -> None:
        self.routes.insert(0, (pattern, fn))  # the latest wins

    def answer(self, req: Request) -> Answer:
        for pattern, fn in self.routes:
            if fnmatch.fnmatchcase(req.route, pattern):
                return fn(req)
        if req.route == "/.well-known/okta-organization":
            links = {"organization": {"href": self.url}, **self.well_known_links}
            return json_answer({"id": "00oFAKEORG0000000001", "pipeline": "idx", "_links": links})
        return json_answer({"errorCode": "E0000007", "errorSummary": f"Not found: {req.route}"}, 404)

    def config(self, **extra: Any) -> dict[str, Any]:
        cfg: dict[str, Any] = {"org_url": self.url, "auth": {"method": "api_token", "token": TOKEN},
                               "allow_insecure_http_loopback": True}
        cfg.update(extra)
        return cfg

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOrg:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------------ tampering proxy

Tamper = Callable[[Request, int, list[tuple[str, str]], bytes], "tuple[int, list[tuple[str, str]], bytes] | None"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te", "upgrade"}


class TamperingProxy:
    """A reverse proxy on ``127.0.0.1:<port>`` in front of ``upstream`` (a sandbox URL).

    Every answer is forwarded with the upstream URL rewritten to the proxy's own (bodies and ``Link`` headers),
    so the connector sees one org. ``tamper(request, status, headers, body)`` may return a replacement
    ``(status, headers, body)`` for any answer; ``None`` keeps it."""

    def __init__(self, upstream: str, tamper: Tamper | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.tamper = tamper
        self.tampered: list[str] = []
        up = urlsplit(self.upstream)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP and k.lower() != "host"}
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                try:
                    conn.request(self.command, self.path, body=payload, headers=headers)
                    resp = conn.getresponse()
                    body = resp.read()
                    status, out_headers = resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP]
                finally:
                    conn.close()
                old, new = outer.upstream, outer.url
                body = body.replace(old.encode(), new.encode())
                out_headers = [(k, v.replace(old, new)) for k, v in out_headers]
                if outer.tamper is not None:
                    changed = outer.tamper(Request(self.command, self.path, dict(self.headers)), status, out_headers,
                                           body)
                    if changed is not None:
                        outer.tampered.append(self.path)
                        status, out_headers, body = changed
                self.send_response(status)
                for k, v in out_headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

            do_GET = _forward  # noqa: N815
            do_POST = _forward  # noqa: N815

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def replace_header(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]


def deep_json(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# ------------------------------------------------------------------------------------------------ forward proxy


class AuthProxy:
    """A plain-HTTP forward proxy on ``127.0.0.1:<port>`` that wants ``Proxy-Authorization: Basic user:password``
    (else 407) and records what it was sent; enough to prove the connector logs in to its proxy."""

    def __init__(self, user: str, password: str) -> None:
        import base64

        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.seen: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                auth = self.headers.get("Proxy-Authorization")
                outer.seen.append(auth)
                if auth != outer.expected:
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = urlsplit(self.path)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in _HOP and k.lower() not in ("host", "proxy-authorization")}
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                try:
                    conn.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
                    resp = conn.getresponse()
                    body = resp.read()
                    out = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP]
                    status = resp.status
                finally:
                    conn.close()
                self.send_response(status)
                for k, v in out:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
