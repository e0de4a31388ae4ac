"""``OktaClient``: the one way the connector talks to Okta.

Every request goes through :meth:`OktaClient._send`, which
* refuses any URL not on the org (and, once per host, any host resolving to an unsafe address);
* follows a link read from a response (a ``next`` page, a redirect's ``Location``) only when it is a plain URL on
  the org, judged by a parser that agrees with the one requests connects with, and rebuilt as the org's origin +
  the link's path and query; anything else is refused (:class:`UnsafeLinkError`: only that read fails);
* confirms the org with ``/.well-known/okta-organization`` before the first credential leaves the machine; the
  hosts that answer names (``organization``, ``alternate``) receive the credential only when they are the
  configured host or under an Okta-operated domain;
* reserves a slot in the bucket's rate-limit budget and in the concurrency semaphore;
* sends with connect and read timeouts, redirects disabled (a same-org redirect is followed by hand, a
  foreign one refused), and a credential built for exactly that URL;
* reads bodies with bounded memory: a byte cap proportionate to the page size asked for, pages holding more
  objects than the ``limit`` asked for refused, nesting depth bounded (:mod:`body`);
* reads the rate-limit headers (values outside a sane range are ignored), and retries 429s (until Reset, server clock), concurrency 429s (fewer
  requests in flight), 5xx / timeouts / truncated bodies (bounded exponential backoff), within the sync's
  overall deadline;
* turns error answers, and any response it cannot read, into typed :mod:`errors`, scrubbed of secrets.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from .. import urls as _urls
from .auth import OAuthAuth, SSWSAuth
from .body import MAX_DEPTH, MAX_VALUES, BodyError, parse_json
from .clock import Clock, SystemClock
from .errors import (
    ConfigError,
    NetworkError,
    NotFound,
    OktaError,
    RateLimited,
    ResponseError,
    TransientError,
    UnsafeLinkError,
    UnsafeURLError,
    classify,
    request_id_of,
    scrub,
)
from .keys import load_private_key
from .pagination import (
    body_items,
    body_next,
    body_self,
    cursor_of,
    link_header_values,
    parse_link_values,
    same_url,
)
from .ratelimit import AdaptiveSemaphore, RateHeaders, RateLimiter
from .routes import PAGE_LIMITS, PAGE_MINIMUMS, bucket_for, route_template
from .stats import Stats

USER_AGENT = "connector-okta/0.1 (+https://github.com/; read-only posture connector)"
MAX_BODY_BYTES = 64 * 1024 * 1024  # any one response
PAGE_BODY_FLOOR = 8 * 1024 * 1024  # a page of a route that honours `limit`: at least this much ...
ITEM_BODY_BUDGET = 64 * 1024  # ... and this much per object asked for (Okta objects are a few KB; apps ~30 KB)
MAX_PAGES = 100_000
TRANSIENT_RETRIES = 4  # retries of 5xx, timeouts, connection errors, truncated bodies
THROTTLE_RETRIES = 6  # retries of rate-limit 429s
CONCURRENCY_RETRIES = 10  # retries of concurrency 429s
MAX_BACKOFF = 30.0
WELL_KNOWN = "/.well-known/okta-organization"
RETRY_STATUSES = {500, 502, 503, 504}


@dataclass(frozen=True)
class OktaResponse:
    status: int
    headers: Mapping[str, str] = field(repr=False)
    json: Any = field(repr=False)
    url: str = ""
    request_id: str | None = None
    link_values: tuple[str, ...] = field(default=(), repr=False)

    @property
    def links(self) -> dict[str, str]:
        return parse_link_values(self.link_values)


class _HeaderAuth(requests.auth.AuthBase):
    """Applies headers computed for the prepared request's final method and URL (DPoP ``htu``)."""

    def __init__(self, fn: Callable[[str, str], dict[str, str]] | None) -> None:
        self._fn = fn

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._fn is not None:
            r.headers.update(self._fn(r.method or "GET", r.url or ""))
        return r


class OrgSession(requests.Session):
    """A session that never carries a credential to another origin, even if a redirect is followed."""

    CREDENTIAL_HEADERS = ("Authorization", "DPoP", "Proxy-Authorization-Okta")

    def __init__(self, allowed: set[tuple[str, str, int]]) -> None:
        super().__init__()
        self.allowed_origins = allowed

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        if _urls.origin(prepared_request.url or "") not in self.allowed_origins:
            for name in self.CREDENTIAL_HEADERS:
                prepared_request.headers.pop(name, None)
            return None
        return super().rebuild_auth(prepared_request, response)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target and _urls.origin(urljoin(resp.url, target)) not in self.allowed_origins:
            return None  # never follow off the org
        return target


class _UnsafePeer(Exception):  # noqa: N818 - not an OSError: urllib3 must not retry it or wrap it
    """The address a connection reached is one the client may not talk to (see :class:`_PeerCheckingAdapter`)."""


def _peer_checked(conn_cls: type, allow_loopback: bool) -> type:
    class PeerChecked(conn_cls):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> Any:
            sock = super()._new_conn()
            if getattr(self, "proxy", None) is None:  # a direct connection (a proxy is the operator's choice)
                try:
                    peer = str(sock.getpeername()[0])
                except (OSError, IndexError):
                    peer = ""
                ip = _urls._ip(peer.partition("%")[0])
                problem = "an address that cannot be checked" if ip is None else _urls.address_problem(
                    ip, allow_loopback=allow_loopback)
                if problem:
                    sock.close()
                    raise _UnsafePeer(f"{self.host} connected to {problem} ({peer}); refusing to send anything. "
                                      "Use your Okta org's public domain name.")
            return sock

    return PeerChecked


class _PeerCheckingAdapter(HTTPAdapter):
    """Judges the address each new connection actually reached, before a byte is sent on it.

    The host's addresses are checked when first resolved (:func:`urls.check_host_addresses`), but the connection
    resolves the name again: a name answering a public address first and an internal one next (DNS rebinding)
    would have passed that check. Connections through a proxy are not judged (the proxy resolves the name)."""

    def __init__(self, *, allow_loopback: bool, **kwargs: Any) -> None:
        self._allow_loopback = allow_loopback
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        super().init_poolmanager(*args, **kwargs)
        allow = self._allow_loopback

        class HTTPPool(HTTPConnectionPool):
            ConnectionCls = _peer_checked(HTTPConnection, allow)

        class HTTPSPool(HTTPSConnectionPool):
            ConnectionCls = _peer_checked(HTTPSConnection, allow)

        self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}


def _reveal(value: Any) -> str:
    return value.reveal() if hasattr(value, "reveal") else str(value)


def page_limit(route: str, url: str, params: Mapping[str, Any] | None) -> int | None:
    """The ``limit`` a request asks for, on a route known to honour it (:data:`routes.PAGE_LIMITS`), else ``None``.

    Okta says some endpoints ignore ``limit``; on those a longer answer is normal and only the byte cap applies."""
    if route not in PAGE_LIMITS:
        return None
    value: Any = (params or {}).get("limit")
    if value is None:
        try:
            value = parse_qs(urlsplit(url).query).get("limit", [None])[0]
        except ValueError:
            return None
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        limit = int(str(value))
    except (TypeError, ValueError):
        return None
    return max(limit, PAGE_MINIMUMS.get(route, 1)) if limit > 0 else None


def proxy_password(config: Any) -> str | None:
    secret = getattr(config, "proxy_password", None)
    return _reveal(secret) if secret is not None else None


def proxy_url(config: Any) -> str | None:
    """``https_proxy`` with ``proxy_username`` / ``proxy_password`` put in as its (percent-encoded) user info."""
    url = getattr(config, "https_proxy", None)
    if not url:
        return None
    user = getattr(config, "proxy_username", None) or ""
    password = proxy_password(config) or ""
    if not (user or password):
        return url
    scheme, sep, rest = url.partition("://")
    userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return f"{scheme}{sep}{userinfo}@{rest}"


class _Retry(Exception):
    pass


class OktaClient:
    """A thread-safe, rate-limit-aware, read-only Okta Management API client."""

    def __init__(
        self,
        config: Any,
        *,
        session: requests.Session | None = None,
        logger: logging.Logger | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        resolver: Callable[..., list] | None = None,
        verify_org: bool = True,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if isinstance(config, Mapping):
            from ..config import load_config

            config = load_config(config)
        self.config = config
        self.org_url: str = config.org_url.rstrip("/")
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._resolver = resolver
        self._log = logger or logging.getLogger("connector_okta.client")
        self._verify_org = verify_org
        self._max_body = max_body_bytes
        self._allowed: set[tuple[str, str, int]] = {_urls.origin(self.org_url)}
        self._own_session = session is None
        self._session = session if session is not None else self._make_session()
        proxy = proxy_url(config)
        # given with each request too: requests lets HTTPS_PROXY / HTTP_PROXY of the environment override a
        # session's proxies, and the configured proxy (the one stored secrets are bound to) must be the one used
        self._proxies: dict[str, str] | None = {"https": proxy, "http": proxy} if proxy else None
        if proxy:
            self._session.proxies.update(self._proxies)
        timeout = float(getattr(config, "request_timeout_seconds", 30) or 30)
        self._timeout = (min(10.0, timeout), timeout)
        self._stats = Stats()
        # told (bucket, seconds) before each rate-limit wait, from the thread that waits: the sync turns it into a
        # progress line ("waiting 41 s for the users quota"); a callback that raises never breaks a request
        self.on_rate_wait: Callable[[str, float], None] | None = None
        self._limiter = RateLimiter(getattr(config, "rate_limit_share", 0.5), self._clock, self._rng)
        self._sem = AdaptiveSemaphore(getattr(config, "max_concurrency", 4))
        self._deadline = self._clock.monotonic() + float(getattr(config, "max_sync_seconds", 3600) or 3600)
        self._org: _urls.OrgMetadata | None = None
        self._org_lock = threading.RLock()
        self._safe_hosts: set[tuple[str, str, int]] = set()
        self._hosts_lock = threading.Lock()
        self._auth = self._make_auth(config.auth)
        self.pagination_stops: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ construction

    def _make_session(self) -> requests.Session:
        session = OrgSession(self._allowed)
        retry = Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0, backoff_factor=0.2,
                      raise_on_status=False, allowed_methods=None)
        size = max(4, min(20, int(getattr(self.config, "max_concurrency", 4)) + 2))
        adapter = _PeerCheckingAdapter(
            allow_loopback=bool(getattr(self.config, "allow_insecure_http_loopback", False)),
            max_retries=retry, pool_connections=2, pool_maxsize=size,
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        return session

    def _make_auth(self, auth_cfg: Any) -> SSWSAuth | OAuthAuth:
        method = getattr(auth_cfg, "method", None)
        if method == "api_token":
            return SSWSAuth(_reveal(auth_cfg.token))
        if method == "oauth":
            key = load_private_key(_reveal(auth_cfg.private_key), getattr(auth_cfg, "key_id", None))
            return OAuthAuth(
                org_url=self.org_url,
                client_id=auth_cfg.client_id,
                key=key,
                scopes=list(auth_cfg.scopes),
                use_dpop=bool(getattr(auth_cfg, "use_dpop", False)),
                clock=self._clock,
                post=self._post_token,
                logger=self._log,
            )
        raise ConfigError("auth.method must be 'api_token' or 'oauth'")

    def __repr__(self) -> str:
        return f"OktaClient(org_url={self.org_url!r}, auth={self._auth!r})"

    def __enter__(self) -> OktaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    # ------------------------------------------------------------------ public surface

    @property
    def auth(self) -> SSWSAuth | OAuthAuth:
        return self._auth

    @property
    def org(self) -> _urls.OrgMetadata | None:
        """The org metadata once confirmed (after the first request), else ``None``."""
        return self._org

    def stats(self) -> dict[str, Any]:
        out = self._stats.snapshot()
        out["concurrency_limit"] = self._sem.capacity
        if self.pagination_stops:
            out["pagination_stops"] = list(self.pagination_stops)
        return out

    def extend_deadline(self, seconds: float) -> None:
        """Start a new overall deadline ``seconds`` from now (one client per sync normally needs none)."""
        self._deadline = self._clock.monotonic() + seconds

    def well_known(self) -> dict[str, Any]:
        """``GET /.well-known/okta-organization`` (no credential); raises if the host is not an Okta org."""
        try:
            resp = self._send("GET", self.org_url + WELL_KNOWN, credential=False, raw=True)
        except UnsafeLinkError as exc:
            raise UnsafeURLError(
                f"{self.org_url} redirected {WELL_KNOWN} away from itself: it is not an Okta org, or org_url is not "
                f"your org's address. Check org_url. ({exc.message})",
                request_id=exc.request_id,
            ) from None
        except ResponseError as exc:
            raise UnsafeURLError(
                f"{self.org_url} did not answer {WELL_KNOWN} with JSON: it is not an Okta org. Check org_url.",
                request_id=exc.request_id,
            ) from None
        if resp.status >= 500 or resp.status == 429:
            raise self._fail(TransientError(
                f"{self.org_url} answered {resp.status} to {WELL_KNOWN}; Okta may be busy or down, try again later.",
                status=resp.status,
                request_id=resp.request_id,
            ))
        if resp.status != 200:
            raise UnsafeURLError(
                f"{self.org_url} answered {resp.status} to {WELL_KNOWN}: it is not an Okta org (or is down). "
                "Check org_url.",
                status=resp.status,
                request_id=resp.request_id,
            )
        meta = _urls.parse_well_known(
            resp.json, self.org_url,
            allow_insecure_http_loopback=bool(getattr(self.config, "allow_insecure_http_loopback", False)),
        )
        with self._org_lock:
            self._org = meta
            for url in (meta.url, meta.alternate):
                if url and self._may_receive_credential(url):
                    self._allowed.add(_urls.origin(url))
                elif url:  # e.g. the custom domain of an org configured by its okta.com URL: nothing goes there
                    self._log.debug("the org metadata names %s, neither org_url nor under an Okta domain: no "
                                    "request goes there", _urls.origin(url)[1] or "a malformed URL")
        return dict(resp.json)

    def _may_receive_credential(self, url: str) -> bool:
        """Only the configured host, or an https host under an Okta-operated domain, may receive the credential."""
        org = _urls.origin(url)
        if org == _urls.NO_ORIGIN:
            return False
        if org == _urls.origin(self.org_url):
            return True
        scheme, host, port = org
        return scheme == "https" and port == 443 and _urls.is_okta_domain(host)

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> OktaResponse:
        """GET one resource; raises an :class:`OktaError` subclass on an error answer."""
        return self._send("GET", path_or_url, params=params)

    def get_json(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.get(path_or_url, params).json

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, max_pages: int = MAX_PAGES
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the objects of a list endpoint one page at a time, following ``next`` links verbatim."""
        url = self._absolute(path)
        route = route_template(urlsplit(url).path)
        params = dict(params or {})
        if "limit" not in params and "limit" not in parse_qs(urlsplit(url).query) and route in PAGE_LIMITS:
            params["limit"] = PAGE_LIMITS[route]
        seen_urls: list[str] = []
        seen_cursors: set[str] = set()
        pages = 0
        cur_url, cur_params = url, params or None
        while True:
            resp = self._get_page(cur_url, cur_params)
            items, _key = body_items(resp.json)
            if items is None:
                raise ResponseError(
                    f"GET {route}: expected a list of objects, got {type(resp.json).__name__}",
                    status=resp.status, request_id=resp.request_id, kind="internal",
                )
            pages += 1
            if not items:
                return
            yield items
            links = resp.links
            nxt = links.get("next") or body_next(resp.json)
            if not nxt:
                return
            nxt = self._follow(nxt, resp.url, what="the next-page link", method="GET", route=route,
                               request_id=resp.request_id)
            self_url = links.get("self") or body_self(resp.json) or resp.url
            seen_urls.append(resp.url)
            reason = None
            if same_url(nxt, self_url) or same_url(nxt, resp.url):
                reason = "next link equals self"
            elif any(same_url(nxt, u) for u in seen_urls):
                reason = "next link repeats an earlier page"
            else:
                cursor = cursor_of(nxt)
                if cursor is not None:
                    if cursor in seen_cursors:
                        reason = "repeated cursor"
                    seen_cursors.add(cursor)
            if reason:
                self._log.warning("pagination of %s stopped after %d pages: %s", route, pages, reason)
                with self._org_lock:
                    self.pagination_stops.append({"endpoint": route, "pages": pages, "reason": reason})
                return
            if pages >= max_pages:
                raise ResponseError(
                    f"GET {route}: stopped after {pages} pages (the maximum); the collection is incomplete.",
                    kind="internal",
                )
            cur_url, cur_params = nxt, None

    def _get_page(self, url: str, params: dict[str, Any] | None) -> OktaResponse:
        """One page; a 500 (Okta's timeout on a large page) is retried once with half the ``limit``."""
        try:
            return self._send("GET", url, params=params, retry_500=False)
        except TransientError as exc:
            if exc.status != 500:
                raise
        self._stats.add("retries")
        full = url + (("&" if "?" in url else "?") + urlencode(params, doseq=True) if params else "")
        parts = urlsplit(full)
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            limit = int(query.get("limit", ["200"])[0])
        except ValueError:
            limit = 200
        query["limit"] = [str(max(1, limit // 2))]
        smaller = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))
        self._log.info("retrying %s with limit=%s after a 500", route_template(parts.path), query["limit"][0])
        return self._send("GET", smaller)

    # ------------------------------------------------------------------ the request loop

    def _absolute(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            if self._starts_with_allowed_base(path_or_url):
                return path_or_url  # built from an allowed base (e.g. a page retried with a smaller limit)
            org = _urls.origin(path_or_url)
            if org not in self._allowed:
                problem = _urls.url_problem(path_or_url)
                raise UnsafeURLError(
                    f"refusing to send a request to {org[1] or f'a URL that is not plain ({problem})'}: only the org "
                    f"{self.org_url} is allowed"
                )
            return self._rebuild(path_or_url, org)
        if not path_or_url.startswith("/"):
            path_or_url = "/" + path_or_url
        return self.org_url + path_or_url

    @staticmethod
    def _rebuild(url: str, org: tuple[str, str, int]) -> str:
        """The allowed origin ``org`` + the path and query of ``url`` (a checked URL): what is requested is exactly
        what was checked, whatever another parser would make of the original."""
        parts = urlsplit(url)
        return _urls.origin_url(org) + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _follow(
        self, link: Any, base: str, *, what: str, method: str, route: str, request_id: str | None = None,
        status: int | None = None,
    ) -> str:
        """The URL to request for a link read from a response (``what``: a next-page link, a redirect's Location).

        Only a plain URL (:func:`urls.url_problem`) on an allowed origin is followed, rebuilt by :meth:`_rebuild`.
        Anything else raises :class:`UnsafeLinkError` (kind ``internal``: that read fails, not the sync)."""
        problem: str | None
        target = ""
        if not isinstance(link, str) or not link.strip():
            problem = "it is empty"
        elif _urls.BAD_URL_CHAR.search(link):
            problem = "it holds a backslash, whitespace, control or non-ASCII character"
        else:
            try:
                target = urljoin(base, link)
            except ValueError:
                problem = "it does not parse"
            else:
                problem = _urls.url_problem(target)
        if problem is None:
            org = _urls.origin(target)
            if org in self._allowed:
                return self._rebuild(target, org)
            raise self._fail(UnsafeLinkError(
                f"{method} {route}: {what} points at {org[1]} ({_urls.origin_url(org)}), not the org {self.org_url}; "
                "refusing to follow it: nothing is sent there, and what this read returned so far is incomplete.",
                status=status, request_id=request_id,
            ))
        raise self._fail(UnsafeLinkError(
            f"{method} {route}: {what} is not a plain URL on the org {self.org_url} ({problem}); refusing to follow "
            "it: nothing is sent anywhere from it, and what this read returned so far is incomplete.",
            status=status, request_id=request_id,
        ))

    def _starts_with_allowed_base(self, url: str) -> tuple[str, str, int] | None:
        """The allowed origin whose ``scheme://host[:port]`` ``url`` starts with, followed by ``/``, ``?`` or
        nothing: every parser then reads that authority, whatever the path holds."""
        for org in tuple(self._allowed):  # a snapshot: well_known() may add to the set from another thread
            base = _urls.origin_url(org)
            if url == base or url.startswith((base + "/", base + "?")):
                return org
        return None

    def _origin_of(self, url: str) -> tuple[str, str, int]:
        """The allowed origin ``url`` (built by :meth:`_absolute`, :meth:`_follow` or :meth:`_rebuild`) starts with."""
        org = self._starts_with_allowed_base(url)
        if org is None:
            raise self._fail(UnsafeURLError(f"refusing to send a request off the org {self.org_url}"))
        return org

    def _ensure_host_safe(self, url: str) -> None:
        org = self._origin_of(url)
        with self._hosts_lock:
            if org in self._safe_hosts:
                return
        _urls.check_host_addresses(
            _urls.origin_url(org),
            allow_loopback=bool(getattr(self.config, "allow_insecure_http_loopback", False)),
            resolver=self._resolver,
            via_proxy=bool(getattr(self.config, "https_proxy", None)),
        )
        with self._hosts_lock:
            self._safe_hosts.add(org)

    def _ensure_org(self) -> None:
        if not self._verify_org or self._org is not None:
            return
        with self._org_lock:
            if self._org is None:
                self.well_known()

    def _post_token(
        self, url: str, data: dict[str, str], header_fn: Callable[[str, str], dict[str, str]]
    ) -> tuple[int, Any, Any]:
        self._stats.add("token_requests")
        resp = self._send("POST", url, data=data, credential=False, header_fn=header_fn, raw=True)
        return resp.status, resp.headers, resp.json

    def _secrets(self) -> list[str]:
        out = list(self._auth.secrets()) if getattr(self, "_auth", None) is not None else []
        password = proxy_password(self.config)
        if password:
            out += [password, quote(password, safe="")]
        return out

    def _fail(self, exc: OktaError) -> OktaError:
        exc.message = scrub(exc.message, self._secrets())
        exc.args = (exc.message,)
        return exc

    def _sleep(self, seconds: float, *, rate_limit: bool, route: str, bucket: str | None = None) -> None:
        if seconds <= 0:
            return
        if self._clock.monotonic() + seconds > self._deadline:
            cls = RateLimited if rate_limit else TransientError
            why = "Okta's rate limits hold these requests back" if rate_limit else "Okta keeps failing"
            raise cls(
                f"GET {route}: {why}; waiting {seconds:.0f}s more would pass the sync deadline "
                f"(max_sync_seconds={getattr(self.config, 'max_sync_seconds', '?')}); the sync stops here."
            )
        if rate_limit and self.on_rate_wait is not None:
            try:
                self.on_rate_wait(bucket or route, seconds)
            except Exception:  # noqa: BLE001 - a progress display never breaks a request
                pass
        self._clock.sleep(seconds)
        self._stats.add("rate_limit_wait" if rate_limit else "backoff_wait", seconds)

    def _backoff(self, attempt: int) -> float:
        return min(MAX_BACKOFF, 0.5 * 2 ** max(0, attempt - 1)) * (0.5 + self._rng.random() / 2)

    def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        credential: bool = True,
        header_fn: Callable[[str, str], dict[str, str]] | None = None,
        raw: bool = False,
        retry_500: bool = True,
    ) -> OktaResponse:
        url = self._absolute(path_or_url)
        try:
            self._ensure_host_safe(url)
            if credential:
                self._ensure_org()
        except OktaError as exc:
            raise self._fail(exc) from None
        route = route_template(urlsplit(url).path)
        bucket = bucket_for(method, route)
        transient = throttle = concurrency = unauthorized = redirects = 0
        last_rid: str | None = None
        retry_count = 0
        while True:
            if self._clock.monotonic() > self._deadline:
                raise self._fail(TransientError(
                    f"{method} {route}: the sync deadline (max_sync_seconds) has passed; stopping."
                ))
            if credential:
                try:
                    self._auth.prepare()  # (re)mint a token before taking a slot: minting needs one too
                except OktaError as exc:
                    exc.credential_unavailable = True  # type: ignore[attr-defined]  # no request can be sent now
                    raise self._fail(exc) from None
            key = self._limiter.key_for(bucket, route)
            while True:
                wait = self._limiter.reserve(key)
                if wait <= 0:
                    break
                self._sleep(wait, rate_limit=True, route=route, bucket=bucket)
            max_items = page_limit(route_template(urlsplit(url).path), url, params)
            self._sem.acquire()
            sem_ok = True
            observed = False
            wait_then_retry: tuple[float, bool, bool] | None = None  # (seconds, rate-limit wait?, a retry?)
            try:
                headers = {"Accept": "application/json"}
                if retry_count:
                    headers["X-Okta-Retry-Count"] = str(retry_count)
                    if last_rid:
                        headers["X-Okta-Retry-For"] = last_rid
                fn = self._auth.headers if credential else header_fn
                self._stats.request(bucket, route)
                try:
                    r = self._session.request(
                        method, url, params=params, data=data, headers=headers, auth=_HeaderAuth(fn),
                        timeout=self._timeout, allow_redirects=False, stream=True, proxies=self._proxies,
                    )
                    arrived = self._clock.monotonic()
                    try:
                        content = self._read_body(r, route, self._body_cap(max_items))
                    finally:
                        r.close()
                except _UnsafePeer as exc:
                    raise self._fail(UnsafeURLError(f"{method} {route}: {exc}")) from None
                except requests.RequestException as exc:
                    err = self._transport_error(exc, method, route)
                    if transient >= TRANSIENT_RETRIES:
                        raise self._fail(err) from None
                    transient += 1
                    self._log.info("%s %s failed (%s); retrying", method, route, type(exc).__name__)
                    wait_then_retry = (self._backoff(transient), False, True)
                    raise _Retry from None
                key = self._limiter.observe(key, route, r.headers, arrived)
                observed = True
                status = r.status_code
                self._stats.status(status)
                rid = request_id_of(r.headers)
                last_rid = rid or last_rid
                self._log.debug("%s %s -> %s (%s)", method, route, status, rid)

                if status == 429:
                    self._stats.add("throttled")
                    if RateHeaders.parse(r.headers).is_concurrency:
                        # the org-wide concurrency limit: fewer requests in flight, a short pause, not a window
                        self._stats.add("concurrency_throttled")
                        sem_ok = False
                        cap = self._sem.shrink()
                        if concurrency < CONCURRENCY_RETRIES:
                            concurrency += 1
                            self._log.info("concurrency limit hit on %s; %d request(s) in flight from now", route, cap)
                            wait_then_retry = (self._limiter.concurrency_pause(concurrency), True, True)
                            raise _Retry
                    elif throttle < THROTTLE_RETRIES:
                        throttle += 1
                        wait = self._limiter.wait_after_429(key, r.headers, arrived, throttle)
                        self._log.info("rate limited on %s; waiting %.1fs", route, wait)
                        wait_then_retry = (arrived + wait - self._clock.monotonic(), True, True)
                        raise _Retry
                    raise self._fail(classify(429, self._json_or_none(content), r.headers, path=route,
                                              route=route, pipeline=self._pipeline(), oauth=self._auth.is_oauth))

                if status in (301, 302, 303, 307, 308) and r.headers.get("Location"):
                    target = self._follow(r.headers["Location"], url, what="the redirect (Location)", method=method,
                                          route=route, request_id=rid, status=status)
                    if redirects >= 3:
                        raise self._fail(ResponseError(f"{method} {route}: too many redirects", status=status))
                    redirects += 1
                    url, params = target, None
                    if status == 303:
                        method, data = "GET", None
                    wait_then_retry = (0.0, False, False)  # following a redirect is not a retry
                    raise _Retry

                body, body_error = self._parse_body(content, r, route, max_items)
                retryable = status in RETRY_STATUSES and (retry_500 or status != 500)
                if body_error is not None and status < 400:
                    retryable = body_error.kind == "transient"
                if retryable and transient < TRANSIENT_RETRIES:
                    transient += 1
                    self._log.info("%s %s answered %s; retrying", method, route, status)
                    wait_then_retry = (self._backoff(transient), False, True)
                    raise _Retry
                if body_error is not None and status < 400:
                    raise self._fail(body_error)

                if status == 401 and credential and unauthorized < 2 and self._auth.on_unauthorized(r.headers, body):
                    unauthorized += 1  # a nonce learnt or a token to re-mint: the loop re-mints before retrying
                    wait_then_retry = (0.0, False, True)
                    raise _Retry

                response = OktaResponse(
                    status=status,
                    headers=r.headers,
                    json=body,
                    url=r.url or url,
                    request_id=rid,
                    link_values=tuple(link_header_values(r)),
                )
                if status >= 400 and not raw:
                    raise self._fail(classify(status, body, r.headers, path=route, route=route,
                                              pipeline=self._pipeline(), oauth=self._auth.is_oauth))
                return response
            except _Retry:
                pass
            except (RecursionError, OverflowError, ValueError, TypeError, LookupError, UnicodeError) as exc:
                # a response this code cannot read (odd headers or body): a typed error for this read, never a crash
                self._log.debug("%s %s: unreadable response", method, route, exc_info=True)
                raise self._fail(ResponseError(
                    f"{method} {route}: the response could not be read ({type(exc).__name__}); it is not what Okta "
                    "sends. This read is incomplete; if it persists, report it with the X-Okta-Request-Id.",
                    request_id=last_rid, kind="internal",
                )) from None
            finally:
                if not observed:
                    self._limiter.release(key)
                self._sem.release(sem_ok)
            # out of the slot: wait (if needed) and try again
            assert wait_then_retry is not None
            seconds, is_rate_limit, is_retry = wait_then_retry
            if is_retry:
                retry_count += 1
                self._stats.add("retries")
            self._sleep(seconds, rate_limit=is_rate_limit, route=route, bucket=bucket)

    # ------------------------------------------------------------------ helpers

    def _pipeline(self) -> str | None:
        return self._org.pipeline if self._org else None

    def _transport_error(self, exc: requests.RequestException, method: str, route: str) -> OktaError:
        name = type(exc).__name__
        cause = getattr(exc.args[0], "reason", None) if exc.args else None  # urllib3's MaxRetryError.reason
        if isinstance(exc, requests.Timeout) or isinstance(cause, ReadTimeoutError):  # requests wraps an
            return TransientError(  # exhausted read timeout in a ConnectionError: still a timeout, not a network error
                f"{method} {route}: Okta did not answer within request_timeout_seconds "
                f"({self._timeout[1]:.0f}s); try again later or raise the timeout."
            )
        if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
            return TransientError(f"{method} {route}: the response was cut off ({name}); try again later.")
        if isinstance(exc, requests.exceptions.ProxyError):
            return NetworkError(f"{method} {route}: the proxy refused the connection ({name}); check https_proxy.")
        if isinstance(exc, requests.exceptions.SSLError):
            return NetworkError(
                f"{method} {route}: TLS failed ({name}); check org_url and any TLS-intercepting proxy."
            )
        return NetworkError(
            f"{method} {route}: cannot connect to {self.org_url} ({name}); check org_url, DNS, firewall and proxy."
        )

    def _body_cap(self, max_items: int | None) -> int:
        """The byte cap of one response: :data:`ITEM_BODY_BUDGET` per object asked for (at least
        :data:`PAGE_BODY_FLOOR`) on a route that honours ``limit``, else the client's overall cap."""
        if max_items is None:
            return self._max_body
        return min(self._max_body, max(PAGE_BODY_FLOOR, max_items * ITEM_BODY_BUDGET))

    def _read_body(self, r: requests.Response, route: str, max_body: int | None = None) -> bytearray:
        cap = self._max_body if max_body is None else max_body
        declared = (r.headers.get("Content-Length") or "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > cap:
            raise ResponseError(f"GET {route}: the response is {declared} bytes, over the {cap}-byte limit for this "
                                "request; refused before reading it (this read is incomplete).",
                                status=r.status_code, request_id=request_id_of(r.headers), kind="internal")
        buf = bytearray()  # grown in place: no list of chunks and joined copy side by side
        size = 0
        for chunk in r.iter_content(8192):  # small reads: the deadline below is checked while a body trickles
            size += len(chunk)
            if size > cap:
                raise ResponseError(f"GET {route}: the response is over the {cap}-byte limit for this request; "
                                    "refused before parsing it (this read is incomplete).",
                                    status=r.status_code, request_id=request_id_of(r.headers), kind="internal")
            if self._clock.monotonic() > self._deadline:  # a trickling answer never trips the read timeout
                raise TransientError(f"GET {route}: the response was still arriving when the sync deadline "
                                     "(max_sync_seconds) passed; stopping.", status=r.status_code)
            buf += chunk
        return buf

    @staticmethod
    def _json_or_none(content: bytes | bytearray) -> Any:
        try:
            return parse_json(content) if content else None
        except ValueError:  # BodyError is one too
            return None

    def _parse_body(
        self, content: bytes | bytearray, r: requests.Response, route: str, max_items: int | None = None
    ) -> tuple[Any, ResponseError | None]:
        if not content or content.isspace():  # (no .strip(): that would copy a big body)
            return None, None
        rid = request_id_of(r.headers)
        try:
            return parse_json(content, max_items=max_items), None
        except BodyError as exc:
            if exc.reason == "too_many_items":
                why = (f"the page holds more than {max_items} objects, the most the limit asked for allows; Okta "
                       "never sends more, so it is refused")
            elif exc.reason == "too_many_values":
                why = (f"the body holds more than {MAX_VALUES} values, far more than any Okta answer; it is refused "
                       "before decoding")
            else:
                why = f"the JSON is nested more than {MAX_DEPTH} levels deep (Okta objects are not); it is refused"
            return None, ResponseError(f"GET {route}: {why}, and this read is incomplete.",
                                       status=r.status_code, request_id=rid, kind="internal")
        except ValueError:
            pass
        ctype = (r.headers.get("Content-Type") or "").lower()
        if "json" in ctype:
            return None, ResponseError(
                f"GET {route}: the JSON response is truncated or malformed; try again later.",
                status=r.status_code, request_id=rid, kind="transient",
            )
        return None, ResponseError(
            f"GET {route}: the answer is not JSON ({ctype or 'no content type'}); is org_url an Okta org, or is a "
            "proxy or captive portal in the way?",
            status=r.status_code, request_id=rid, kind="internal",
        )


__all__ = ["OktaClient", "OktaResponse", "OrgSession", "NotFound"]
