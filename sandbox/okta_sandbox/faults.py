"""Fault injection, chosen per run and triggered deterministically by path pattern and request count.

A ``Fault`` matches requests whose path (without the query) fits the glob ``path``; it counts them and
fires on the matching requests numbered ``after + 1`` .. ``after + count`` (``count=None``: every one
after ``after``). ``revoke`` is the exception: it lets ``after`` requests through, then revokes the
token of the next matching request for good.

``parents`` makes a fault persistent for some objects only, whatever ``after`` and ``count`` say: a number ``N``
picks the first ``N`` distinct paths the pattern matches (``/api/v1/policies/*/rules:parents=2``: the rules of two
policies fail on every read, the others never), ids separated by ``|`` pick the paths naming one of them
(``parents=00p1|00p2``).

Spec strings (CLI ``--fault``): ``KIND[:PATH][:k=v,k=v]``, e.g. ``error:/api/v1/users:after=1,count=3,status=503``;
``query=TEXT`` limits a fault to requests whose query string contains TEXT
(``status=400:/api/v1/policies:query=type=PROFILE_ENROLLMENT``: one policy type fails).

``KIND=VALUE`` is short for the kind's main option: ``status=404:/api/v1/policies/*/rules:parents=2``,
``malformed=list:/api/v1/org``.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from urllib.parse import unquote_plus

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
    "status": "answer `status` (400, 403, 404, 429, 500, 503, ...) with Okta's error body for it",
    "malformed": "answer 200 with a body of the wrong shape (`shape`: text (not JSON), string, object, list, null)",
}
# the option ``KIND=VALUE`` sets
MAIN_OPTION = {"status": "status", "malformed": "shape", "error": "status", "html": "status", "slow": "delay"}
SHAPES = ("text", "string", "object", "list", "null")

# Which phase of request handling consults each kind.
PRE_KINDS = {"error", "reset", "slow", "html", "rate_limit", "concurrency", "status"}
ACCESS_KINDS = {"forbidden", "feature"}
LINK_KINDS = {"next_self", "repeat_cursor", "foreign_next"}
BODY_KINDS = {"trickle", "truncate", "oversized", "malformed"}


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
    parents: str | None = None  # "N" (the first N distinct paths) or "id1|id2": persistent for those only
    shape: str = "text"
    query: str | None = None  # only requests whose query string contains this (e.g. "type=PROFILE_ENROLLMENT")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        if self.after < 0 or (self.count is not None and self.count < 0):
            raise ValueError("fault 'after' and 'count' must be >= 0")
        if self.kind == "status" and (self.status is None or not 400 <= self.status <= 599):
            raise ValueError("a 'status' fault needs status=4xx or 5xx")
        if self.shape not in SHAPES:
            raise ValueError(f"unknown malformed shape {self.shape!r}; known: {', '.join(SHAPES)}")
        if self.parents is not None and not self.parents.strip():
            raise ValueError("fault 'parents' must be a number or ids separated by '|'")

    @property
    def parent_count(self) -> int | None:
        """``parents=N``: N; None for a list of ids (or no ``parents``)."""
        return int(self.parents) if self.parents is not None and self.parents.isdigit() else None

    @property
    def parent_ids(self) -> frozenset[str]:
        if self.parents is None or self.parents.isdigit():
            return frozenset()
        return frozenset(p for p in self.parents.split("|") if p)

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``KIND[:PATH][:k=v,...]`` or ``KIND=VALUE[:PATH][:k=v,...]``; a value ``count=all`` means every matching
        request."""
        kind, _, rest = spec.partition(":")
        kind, eq, main = kind.partition("=")
        path, opts = "*", ""
        if rest:
            if "=" in rest.split(":")[0]:
                opts = rest
            else:
                path, _, opts = rest.partition(":")
        if eq:
            if kind.strip() not in MAIN_OPTION:
                raise ValueError(f"fault kind {kind!r} takes no value (in {spec!r})")
            opts = f"{MAIN_OPTION[kind.strip()]}={main}" + (f",{opts}" if opts else "")
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

    def matches(self, path: str, query: str = "") -> bool:
        return fnmatch.fnmatchcase(path, self.path) and (self.query is None or self.query in unquote_plus(query))

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
        self._chosen: list[set[str]] = [set() for _ in self.faults]  # parents=N: the paths picked so far
        self._lock = threading.Lock()

    @classmethod
    def of(cls, items: Faults | Iterable[Fault | str] | None) -> Faults:
        if items is None:
            return cls()
        if isinstance(items, Faults):
            return items
        return cls([f if isinstance(f, Fault) else Fault.parse(f) for f in items])

    def arm(self, path: str, query: str = "") -> list[Fault]:
        """Count this request against every matching fault; return the faults that fire on it."""
        active: list[Fault] = []
        with self._lock:
            for i, f in enumerate(self.faults):
                if not f.matches(path, query):
                    continue
                self._counts[i] += 1
                if f.parents is not None:
                    hit = self._for_parent(i, f, path)
                else:
                    hit = f.fires_on(self._counts[i])
                if hit:
                    self._fired[i] += 1
                    active.append(f)
        return active

    def _for_parent(self, i: int, f: Fault, path: str) -> bool:
        """Whether a ``parents`` fault fires on ``path`` (every time, once the path is picked)."""
        if f.parent_count is None:
            return bool(f.parent_ids & set(path.split("/")))
        chosen = self._chosen[i]
        if path in chosen:
            return True
        if len(chosen) < f.parent_count:
            chosen.add(path)
            return True
        return False

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
