"""The Flask app factory: pages, JSON API, login, CSRF and security headers.

* CSRF: Flask-WTF's ``CSRFProtect`` on every state-changing request, forms (``csrf_token`` field) and the JSON
  API alike (``X-CSRFToken`` header; the page's script reads the token from a ``<meta>`` tag).
* Login: when a password hash is given (``serve`` requires one when bound to anything but loopback), every
  route but the login page and static files needs a session; the password is compared against its hash.
* Session cookie: HttpOnly, SameSite=Strict; Secure when ``secure_cookies``.
* Headers: a CSP without inline script or style, ``frame-ancestors 'none'`` + ``X-Frame-Options: DENY``,
  ``nosniff``, no referrer, no caching of pages.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..loader import Registry
from ..runner import Runner
from ..store import Store
from .actions import Host
from .api import api
from .auth import LoginThrottle, Sessions, require_login
from .jobs import SyncJobs
from .posture_api import posture_api
from .store_threads import release_thread_connection
from .views import pages

log = logging.getLogger(__name__)

ALLOWED_HOSTS = "connector_host_allowed_hosts"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(
    store: Store,
    registry: Registry,
    *,
    runner: Runner | None = None,
    jobs: SyncJobs | None = None,
    env: Mapping[str, str] | None = None,
    password_hash: str | None = None,
    secret_key: bytes | None = None,
    secure_cookies: bool = False,
    testing: bool = False,
    allowed_hosts: Iterable[str] = (),
    dev_allow_insecure_loopback: bool = False,
    sessions: Sessions | None = None,
    throttle: LoginThrottle | None = None,
) -> Flask:
    """A web app over ``store`` and ``registry``.

    ``env``: where secret references are resolved and the encryption key is read (default ``os.environ``).
    ``password_hash``: a werkzeug password hash; when set, a login is required.
    ``allowed_hosts``: host names (or addresses) the ``Host`` header may name besides ``localhost``,
    ``127.0.0.1`` and ``::1``; any other is refused (DNS rebinding).
    ``dev_allow_insecure_loopback``: offer the connector's developer option allowing plain http to loopback.
    """
    env = dict(os.environ if env is None else env)
    runner = runner or Runner(store, registry, env=env)
    jobs = jobs or SyncJobs(runner)
    app = Flask(__name__)
    app.json = _JSONProvider(app)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="connector_host_session",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=secure_cookies,
        TESTING=testing,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.extensions["connector_host"] = Host(store, registry, runner, jobs, env,
                                            dev_allow_insecure_loopback=dev_allow_insecure_loopback)
    named = {h.strip().lower().strip("[]") for h in allowed_hosts if h and h.strip()}
    hosts = {*LOCAL_HOSTS, *named}
    app.extensions[ALLOWED_HOSTS] = hosts
    # a write's Origin may name a (reverse proxy's) public name on any port, but never a loopback address or
    # localhost on another port: there other users of the machine run their own pages, and cookies ignore ports
    proxy_names = {h for h in named if not _is_loopback(h)}

    @app.before_request
    def same_site_only() -> Any:
        """Refuse a Host header this server does not answer to, and a write from another origin."""
        if _hostname(request.host) not in hosts:
            return _refuse(f"the Host header {request.host[:100]!r} is not one this server answers to; open the page "
                           "by the address it was started on (or start it with --allowed-host NAME)", 421)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("Origin")
            source = origin if origin is not None else request.headers.get("Referer")
            if source is not None and not _same_origin(source, request.host, proxy_names):
                return _refuse("the request was refused: it comes from another site (Origin or Referer)", 403)
        return None

    CSRFProtect(app)

    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(posture_api, url_prefix="/api")  # grouped findings, standards, exceptions, exports
    app.jinja_env.filters.update(_filters())
    app.jinja_env.globals["login_required"] = password_hash is not None
    require_login(app, password_hash, sessions=sessions, throttle=throttle)

    @app.after_request
    def headers(resp: Any) -> Any:
        resp.headers.setdefault("Content-Security-Policy", CSP)  # a view may set a stricter one (the icon)
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"  # browsers then send our Origin on our own writes
        resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.endpoint != "static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.teardown_request
    def release_connection(_exc: BaseException | None) -> None:
        release_thread_connection(store)

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError) -> Any:
        msg = "the request was refused: its CSRF token is missing or wrong; reload the page and try again"
        if request.path.startswith("/api/"):
            return jsonify(error=msg, status=400), 400
        return render_template("error.html", title="Request refused", message=msg), 400

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(error=e.description, status=e.code), e.code
        return render_template("error.html", title=f"{e.code} {e.name}", message=e.description), e.code

    return app


def _hostname(host: str) -> str:
    """The name in a ``Host`` header or an origin's netloc, without port or brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") > 1:  # a bare IPv6 address
        return host
    return host.partition(":")[0]


def _same_origin(source: str, host: str, named: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether the ``Origin`` (or ``Referer``) ``source`` is this site: http(s) and the same host and port, or a
    host named with ``--allowed-host`` (a reverse proxy may give the page another ``Host`` than its public one)."""
    try:
        parts = urlsplit(source)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    return parts.netloc.lower() == host.strip().lower() or _hostname(parts.netloc) in named


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MAX_JSON_DEPTH = 64  # a config is a few levels deep; a deeper body only makes copies and validators recurse


class _JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a body nested too deeply is invalid JSON (a 400), not a ``RecursionError`` (a 500) in
    the parser or, for a body just under the parser's limit, in the code that copies and validates it."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply") from None
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep")
        return value


def _depth(value: Any) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((v, level + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _refuse(message: str, status: int) -> Any:
    if request.path.startswith("/api/"):
        return jsonify(error=message, status=status), status
    return render_template("error.html", title="Request refused", message=message), status


def _filters() -> dict[str, Any]:
    import json
    import time

    def ts(ms: Any) -> str:
        if not isinstance(ms, int | float):
            return "–"
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000)) + " UTC"

    def duration(seconds: Any) -> str:
        if not isinstance(seconds, int | float):
            return "–"
        if seconds < 60:
            return f"{seconds:.1f} s"
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"

    def pretty(obj: Any) -> str:
        return json.dumps(obj, indent=2, sort_keys=True, default=str)

    def num(value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else ("–" if value is None else str(value))

    def frequency(minutes: Any) -> str:
        if not minutes:
            return "on demand"
        if minutes % 1440 == 0:
            return "every day" if minutes == 1440 else f"every {minutes // 1440} days"
        if minutes % 60 == 0:
            return "every hour" if minutes == 60 else f"every {minutes // 60} hours"
        return f"every {minutes} min"

    return {"ts": ts, "duration": duration, "pretty": pretty, "num": num, "frequency": frequency}
