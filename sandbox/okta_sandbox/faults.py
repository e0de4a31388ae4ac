"""Fault injection, chosen per run and triggered deterministically by path pattern and request count.

A ``Fault`` matches requests whose path (without the query) fits the glob ``path``; it counts them and
fires on the matching requests numbered ``after + 1`` .. ``after + count`` (``count=None``: every one
after ``after``). ``revoke`` is the exception: it lets ``after`` requests through, then revokes the
token of the next matching request for good.

Spec strings (CLI ``--fault``): ``KIND[:PATH][:k=v,k=v]``, e.g. ``error:/api/v1/users:after=1,count=3,status=503``.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

KINDS: dict[str, str] = {
    "error": "answer 5xx (status 500 or 503) with Okta's error body",
    "reset": "reset the TCP connection without answering",
    "slow": "wait `delay` seconds before answering",
    "trickle": "send the body in `chunk`-byte pieces, `delay` seconds apart",
    "truncate": "announce the full Content-Length, send half the body, close",
    "html": "answer an HTML error page (status default 502)",
    "next_self": "the next link equals the self link",
    "repeat_cursor": "the next link repeats the cursor of the current request",
    "foreign_next": "the next link points at another host (`host`; see `ambiguous_host` for a `\\@` link)",
    "revoke": "revoke the calling token after `after` matching requests (401 E0000011 from then on)",
    "forbidden": "answer 403 E0000006",
    "feature": "answer 401 E0000015 (feature not enabled)",
    "rate_limit": "answer 429 E0000047 with Remaining 0 (a rate-limit storm)",
    "concurrency": "answer 429 E0000047 with Limit 0 and Remaining 0 (a concurrency storm)",
    "oversized": "pad the JSON response to at least `size` bytes",
}

# Which phase of request handling consults each kind.
PRE_KINDS = {"error", "reset", "slow", "html", "rate_limit", "concurrency"}
ACCESS_KINDS = {"forbidden", "feature"}
LINK_KINDS = {"next_self", "repeat_cursor", "foreign_next"}
BODY_KINDS = {"trickle", "truncate", "oversized"}


@dataclass(frozen=True)
class Fault:
    kind: str
    path: str = "*"
    after: int = 0
    count: int | None = 1
    status: int | None = None
    delay: float = 0.0
    chunk: int = 64
    size: int = 8 * 1024 * 1024
    host: str = "http://evil.example.test"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        if self.after < 0 or (self.count is not None and self.count < 0):
            raise ValueError("fault 'after' and 'count' must be >= 0")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``KIND[:PATH][:k=v,...]``; a value ``count=all`` means every matching request."""
        kind, _, rest = spec.partition(":")
        path, opts = "*", ""
        if rest:
            if "=" in rest.split(":")[0]:
                opts = rest
            else:
                path, _, opts = rest.partition(":")
        types = {f.name: f.type for f in fields(cls)}
        kwargs: dict[str, object] = {}
        for item in filter(None, opts.split(",")):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in types or key in ("kind", "path"):
                raise ValueError(f"bad fault option {item!r} in {spec!r}")
            if key == "count" and value in ("all", "none", ""):
                kwargs[key] = None
            elif key in ("after", "count", "status", "chunk", "size"):
                kwargs[key] = int(value)
            elif key == "delay":
                kwargs[key] = float(value)
            else:
                kwargs[key] = value
        return cls(kind=kind.strip(), path=path or "*", **kwargs)  # type: ignore[arg-type]

    def matches(self, path: str) -> bool:
        return fnmatch.fnmatchcase(path, self.path)

    def fires_on(self, n: int) -> bool:
        """Whether the ``n``-th (1-based) matching request triggers this fault."""
        if self.kind == "revoke":
            return n > self.after
        return n > self.after and (self.count is None or n <= self.after + self.count)


@dataclass
class Faults:
    """The faults of one run, with their match counters."""

    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._counts = [0] * len(self.faults)
        self._fired = [0] * len(self.faults)
        self._lock = threading.Lock()

    @classmethod
    def of(cls, items: Faults | Iterable[Fault | str] | None) -> Faults:
        if items is None:
            return cls()
        if isinstance(items, Faults):
            return items
        return cls([f if isinstance(f, Fault) else Fault.parse(f) for f in items])

    def arm(self, path: str) -> list[Fault]:
        """Count this request against every matching fault; return the faults that fire on it."""
        active: list[Fault] = []
        with self._lock:
            for i, f in enumerate(self.faults):
                if f.matches(path):
                    self._counts[i] += 1
                    if f.fires_on(self._counts[i]):
                        self._fired[i] += 1
                        active.append(f)
        return active

    def fired(self) -> dict[str, int]:
        with self._lock:
            out: dict[str, int] = {}
            for f, n in zip(self.faults, self._fired, strict=True):
                key = f"{f.kind}:{f.path}"
                out[key] = out.get(key, 0) + n
            return out


def ambiguous_host(foreign: str, org: str) -> str:
    """A ``host`` for ``foreign_next`` whose links read as ``org`` to Python's ``urlsplit`` but connect to
    ``foreign`` with requests/urllib3: ``http://FOREIGN\\@ORG`` (issue 15). ``org`` is the sandbox's URL, so build
    the fault once the sandbox has its port, e.g. ``sb.faults = Faults.of([Fault("foreign_next", "/api/v1/users",
    host=ambiguous_host(evil_url, sb.url), count=None)])``; the spec-string form works too
    (``foreign_next:/api/v1/users:host=http://127.0.0.1:8001\\@127.0.0.1:8000``)."""
    scheme, _, foreign_netloc = foreign.rstrip("/").partition("://")
    org_netloc = org.rstrip("/").partition("://")[2]
    return f"{scheme}://{foreign_netloc}\\@{org_netloc}"


def first(active: list[Fault], kinds: set[str] | str) -> Fault | None:
    wanted = {kinds} if isinstance(kinds, str) else kinds
    return next((f for f in active if f.kind in wanted), None)
