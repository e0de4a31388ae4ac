"""The sandbox HTTP server: a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 serving an ``Org`` like Okta.

    with Sandbox(org, time_scale=60).start() as sb:
        requests.get(sb.url + "/api/v1/users", headers={"Authorization": f"SSWS {sb.token}"})

Every response carries ``X-Okta-Request-Id``, ``Date`` and the ``X-Rate-Limit-*`` headers. The org is
read per request, so tests may change ``sb.org`` (posture) between syncs.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from . import routes
from .auth import AuthService, Principal, forbidden_scope
from .errors import OktaHTTPError, error_body, okta_error
from .faults import Fault, Faults, first
from .model import Org
from .pagination import LINK_STYLE, ViewCache, link_header_values, url_with
from .ratelimit import ConcurrencyGate, Decision, RateLimiter, RateLimits, bucket_for

_DEFAULT = object()

HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The server received an invalid response from an upstream server.</p>"
    "</body></html>"
)


# the errorCode Okta answers with for a status (the ``status`` fault)
STATUS_CODES = {400: "E0000001", 401: "E0000011", 403: "E0000006", 404: "E0000007", 405: "E0000022",
                429: "E0000047", 500: "E0000009", 503: "E0000010"}
# the ``malformed`` fault's bodies: not JSON, or JSON of a shape no Okta endpoint answers with
MALFORMED: dict[str, Any] = {"text": "Service temporarily unavailable; please retry",
                             "string": json.dumps("unexpected"), "object": {"unexpected": "object"},
                             "list": ["unexpected"], "null": json.dumps(None)}


class Sandbox:
    """An Okta-compatible read-only API over ``org``.

    ``rate_limits``: per-bucket quotas (``RateLimits()`` = Workforce defaults; ``None`` = no limits and
    no concurrency limit). ``time_scale``: a rate-limit minute lasts ``60 / time_scale`` seconds.
    ``faults``: ``Faults``, or a list of ``Fault`` / spec strings. ``token_share``: each token's or
    OAuth app's share of a bucket. ``concurrency``: org-wide in-flight limit.
    """

    def __init__(
        self,
        org: Org,
        *,
        rate_limits: RateLimits | None | Any = _DEFAULT,
        time_scale: float = 1.0,
        faults: Faults | Iterable[Fault | str] | None = None,
        token_share: float = 0.5,
        concurrency: int | None = 75,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime: int = 3600,
    ) -> None:
        self.org = org
        limits = RateLimits() if rate_limits is _DEFAULT else rate_limits
        self.time_scale = time_scale
        self.limiter = RateLimiter(limits, time_scale=time_scale, token_share=token_share)
        self.gate = ConcurrencyGate(concurrency if limits is not None else None)
        self.faults = Faults.of(faults)
        self.host, self.port = host, port
        self.auth = AuthService(lambda: self.org, lambda: self.url, token_lifetime=token_lifetime)
        self.views = ViewCache()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stats_lock = threading.Lock()
        self._by_bucket: Counter[str] = Counter()
        self._by_path: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._throttled: Counter[str] = Counter()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._httpd is not None:
            return self
        httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.sandbox = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="okta-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, users={len(self.org.users)})"

    # -- what clients need --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def tokens(self) -> list[str]:
        return [g.token for g in self.org.tokens.values()]

    @property
    def token(self) -> str:
        """The first ``Org.tokens`` entry (an SSWS API token)."""
        tokens = self.tokens
        if not tokens:
            raise LookupError("this org has no API tokens (Org.tokens is empty)")
        return tokens[0]

    @property
    def token_url(self) -> str:
        return self.url + routes.TOKEN_PATH

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            return {
                "requests": sum(self._by_bucket.values()),
                "requests_by_bucket": dict(self._by_bucket),
                "requests_by_path": dict(self._by_path),
                "responses_by_status": dict(self._by_status),
                "throttled": sum(self._throttled.values()),
                "throttled_by_kind": dict(self._throttled),
                "faults_fired": self.faults.fired(),
                "peak_concurrency": self.gate.peak,
            }

    def _record(self, bucket: str, path: str) -> None:
        with self._stats_lock:
            self._by_bucket[bucket] += 1
            self._by_path[path] += 1

    def _record_status(self, status: int, throttled: str | None = None) -> None:
        with self._stats_lock:
            self._by_status[status] += 1
            if throttled:
                self._throttled[throttled] += 1


class _Abort(Exception):
    """The connection was reset or truncated on purpose: write nothing more."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls

    def version_string(self) -> str:
        return "okta-sandbox"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet, and never logs tokens
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -----------------------------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        sb: Sandbox = self.server.sandbox  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        self._body_in = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        self._path = split.path or "/"
        self._params = dict(parse_qsl(split.query, keep_blank_values=True))
        self._rid = "sbx" + format(time.time_ns() & 0xFFFFFFFFFFFF, "x") + format(threading.get_ident() & 0xFFFF, "x")
        bucket = bucket_for(method, self._path)
        sb._record(bucket, self._path)
        if not sb.gate.enter():
            now = time.time()
            self._send(sb, 429, error_body("E0000047"), Decision(False, 0, 0, math.ceil(now + 1)), throttled="concurrency")
            return
        try:
            self._serve(sb, method, bucket)
        except _Abort:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            sb.gate.leave()

    def _serve(self, sb: Sandbox, method: str, bucket: str) -> None:
        path = self._path
        active = sb.faults.arm(path, urlsplit(self.path).query)
        peek = sb.limiter.check(bucket, sb.auth.principal_key(self.headers), consume=False)

        # faults that act before Okta would even look at the request (a proxy, a load balancer)
        if first(active, "reset"):
            self._reset()
        slow = first(active, "slow")
        if slow:
            time.sleep(slow.delay)
        f = first(active, "error")
        if f:
            status = f.status or 500
            summary = "Internal Server Error" if status == 500 else "Service Unavailable"
            self._send(sb, status, error_body("E0000009", summary), peek, active=active)
            return
        f = first(active, "status")
        if f and f.status is not None:
            self._send(sb, f.status, error_body(STATUS_CODES.get(f.status, "E0000009"),
                                                None if f.status in STATUS_CODES else f"HTTP {f.status}"),
                       peek, active=active)
            return
        f = first(active, "html")
        if f:
            self._send(sb, f.status or 502, HTML_ERROR_PAGE, peek, content_type="text/html; charset=UTF-8", active=active)
            return
        if first(active, "rate_limit"):
            storm = Decision(False, sb.limiter.principal_limit(bucket), 0, sb.limiter.reset_time(bucket))
            self._send(sb, 429, error_body("E0000047"), storm, throttled="rate", active=active)
            return
        if first(active, "concurrency"):
            self._send(sb, 429, error_body("E0000047"), Decision(False, 0, 0, math.ceil(time.time() + 1)),
                       throttled="concurrency", active=active)
            return

        decision = peek
        try:
            if path == routes.TOKEN_PATH:
                if method != "POST":
                    raise okta_error("E0000022", headers={"Allow": "POST"})
                decision = sb.limiter.check(bucket, None)
                if not decision.allowed:
                    self._send(sb, 429, error_body("E0000047"), decision, throttled="rate", active=active)
                    return
                form = dict(parse_qsl(self._body_in.decode("utf-8", "replace"), keep_blank_values=True))
                status, body, headers = sb.auth.token_request(form, self.headers)
                self._send(sb, status, body, decision, extra=headers, active=active)
                return

            found = routes.match(path)
            if found is None:
                raise okta_error(
                    "E0000022", f"Not found: Resource not found: {path} (Path)", status=404
                )
            route, args = found
            if method != "GET":
                raise okta_error("E0000022", headers={"Allow": "GET"})

            principal: Principal | None = None
            if route.scope is not None:
                principal = sb.auth.authenticate(method, path, self.headers)
                if first(active, "revoke"):
                    sb.auth.revoke(principal)
                    raise okta_error("E0000011")
            decision = sb.limiter.check(bucket, principal.key if principal else None)
            if not decision.allowed:
                self._send(sb, 429, error_body("E0000047"), decision, throttled="rate", active=active)
                return
            self._check_access(sb, route, principal, active)

            org = sb.org
            req = routes.Request(
                org=org, base_url=sb.url, path=path, raw_path=self.path, params=self._params,
                args=args, principal=principal, views=sb.views,
            )
            reply = route.handler(req)
        except OktaHTTPError as exc:
            self._send(sb, exc.status, exc.body, decision, extra=exc.headers, active=active)
            return
        except Exception:  # noqa: BLE001 - an unexpected bug answers 500, never a traceback to the client
            traceback.print_exc()
            self._send(sb, 500, error_body("E0000009"), decision, active=active)
            return
        self._send_reply(sb, route, reply, decision, active)

    def _check_access(self, sb: Sandbox, route: routes.Route, principal: Principal | None, active: list[Fault]) -> None:
        if first(active, "forbidden"):
            raise okta_error("E0000006")
        if first(active, "feature"):
            raise okta_error("E0000015")
        org = sb.org
        if route.feature and (
            route.feature in org.missing_features
            or (org.pipeline == "v1" and route.feature in routes.OIE_ONLY_FEATURES)
        ):
            raise okta_error("E0000015")
        if principal is None:
            return
        if route.scope and not principal.has_scope(route.scope):
            raise forbidden_scope(sb.auth, principal, route.scope, self._path)
        if route.name != "users_me" and not principal.roles & routes.ADMIN_ROLES:
            raise okta_error("E0000006")
        if route.super_admin_only and "SUPER_ADMIN" not in principal.roles:
            raise okta_error("E0000006")

    def _send_reply(
        self, sb: Sandbox, route: routes.Route, reply: routes.Reply, decision: Decision, active: list[Fault]
    ) -> None:
        self_url = sb.url + self.path
        next_url = reply.next_url
        if reply.paged or reply.wrap:
            if first(active, "next_self"):
                next_url = self_url
            elif first(active, "repeat_cursor") and reply.cursor:
                others = {k: v for k, v in self._params.items() if k != "after"}
                next_url = url_with(sb.url, self._path, {"after": reply.cursor, **others})
            f = first(active, "foreign_next")
            if f and next_url:
                parts, host = urlsplit(next_url), urlsplit(f.host)
                next_url = urlunsplit((host.scheme, host.netloc, parts.path, parts.query, ""))
        extra = dict(reply.headers)
        links: list[str] = []
        if reply.paged:
            links = link_header_values(self_url, next_url, LINK_STYLE.get(route.page or "", "split"))
        body = reply.body
        if reply.wrap:
            body = {reply.wrap: body, "_links": {"next": {"href": next_url}} if next_url else {}}
        bad = first(active, "malformed")
        if bad:
            body = MALFORMED[bad.shape]
        self._send(sb, reply.status, body, decision, extra=extra, links=links, active=active)

    # -- writing ------------------------------------------------------------------------------
    def _send(
        self,
        sb: Sandbox,
        status: int,
        body: Any,
        decision: Decision,
        *,
        extra: dict[str, str] | None = None,
        links: list[str] | None = None,
        content_type: str = "application/json",
        throttled: str | None = None,
        active: list[Fault] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body, separators=(",", ":")).encode()
        org_base = getattr(sb.org, "base_url", "")
        if org_base and org_base != sb.url and content_type == "application/json":
            data = data.replace(org_base.encode(), sb.url.encode())  # hrefs name this server
        active = active or []
        big = first(active, "oversized")
        if big and len(data) < big.size and content_type == "application/json":
            data += b" " * (big.size - len(data))  # still valid JSON, just huge
        sb._record_status(status, throttled)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("X-Okta-Request-Id", self._rid)
        for k, v in decision.headers().items():
            self.send_header(k, v)
        for value in links or []:
            self.send_header("Link", value)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        trunc, trickle = first(active, "truncate"), first(active, "trickle")
        if trunc:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._reset(graceful=True)
        if trickle:
            for i in range(0, len(data), max(1, trickle.chunk)):
                self.wfile.write(data[i : i + trickle.chunk])
                self.wfile.flush()
                time.sleep(trickle.delay)
            return
        self.wfile.write(data)

    def _reset(self, graceful: bool = False) -> None:
        """Close the connection: with an RST (no answer at all), or after what was sent (truncation)."""
        self.close_connection = True
        conn: socket.socket = self.connection
        try:
            if not graceful:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        except OSError:
            pass
        raise _Abort()

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
