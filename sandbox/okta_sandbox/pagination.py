"""Okta-style cursor pagination: per-endpoint ``limit`` defaults and maxima, opaque ``after`` cursors,
``Link`` headers, and a small cache of filtered views so paging a filtered 100,000-user list stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .errors import okta_error


@dataclass(frozen=True)
class PageLimit:
    default: int | None  # None: everything on one page unless the client asks for a limit
    maximum: int | None  # None: no maximum


# Per-endpoint default and maximum ``limit`` (the spec's values where it states them; see
# ../shared/reference/okta-api-behaviour.md section 1). A larger ``limit`` is clamped to the maximum.
PAGE_LIMITS: dict[str, PageLimit] = {
    "users": PageLimit(200, 200),
    "groups": PageLimit(200, 10000),
    "group_members": PageLimit(1000, 1000),
    "group_rules": PageLimit(50, 200),
    "apps": PageLimit(20, 200),  # the spec's default is -1 ("all"); Okta serves 20
    "app_users": PageLimit(50, 500),
    "app_groups": PageLimit(20, 200),
    "policies": PageLimit(None, None),
    "policy_rules": PageLimit(50, None),  # real orgs truncate ACCESS_POLICY rules at 50 without paging
    "zones": PageLimit(20, 200),
    "idps": PageLimit(20, 200),
    "authorization_servers": PageLimit(200, 200),
    "trusted_origins": PageLimit(20, 200),
    "log_streams": PageLimit(20, 200),
    "devices": PageLimit(200, 200),
    "iam_assignees": PageLimit(100, 100),
    "logs": PageLimit(100, 1000),
}

# How each endpoint writes its Link header: "split" = one header line per rel (as Okta's docs show),
# "joined" = one line, comma-joined. Clients must handle both; endpoints not listed use "split".
LINK_STYLE: dict[str, str] = {
    "users": "split",
    "groups": "joined",
    "group_members": "split",
    "group_rules": "joined",
    "apps": "joined",
    "app_users": "split",
    "app_groups": "joined",
    "policies": "joined",
    "policy_rules": "split",
    "zones": "joined",
    "idps": "split",
    "authorization_servers": "joined",
    "trusted_origins": "split",
    "log_streams": "joined",
    "devices": "split",
    "logs": "split",
}


def resolve_limit(key: str, raw: str | None) -> int | None:
    """The page size for ``key`` given the request's ``limit`` (clamped to the maximum)."""
    spec = PAGE_LIMITS[key]
    if raw is None or raw == "":
        return spec.default
    try:
        value = int(raw)
    except ValueError:
        raise okta_error("E0000001", causes=[f"limit: '{raw}' is not a number"]) from None
    if value <= 0:  # -1 and 0 mean "the default"
        return spec.default
    if spec.maximum is not None:
        value = min(value, spec.maximum)
    return value


def encode_cursor(last_id: str, position: int, snapshot: int | None = None) -> str:
    raw = json.dumps({"i": last_id, "p": position, "s": snapshot}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    last_id: str
    position: int  # index (in the listing) of the first item after ``last_id``
    snapshot: int | None


def decode_cursor(token: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        return Cursor(str(data["i"]), int(data["p"]), data.get("s"))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise okta_error("E0000054", causes=["after: the cursor is not valid"]) from None


def start_position(items: Sequence[Any], cursor: Cursor | None, id_of: Callable[[Any], str]) -> int:
    """Where the page after ``cursor`` starts in ``items``: the cursor's position if the item before it
    is still the one the cursor names, else just after that id wherever it moved (or the position)."""
    if cursor is None:
        return 0
    p = cursor.position
    if 0 < p <= len(items) and id_of(items[p - 1]) == cursor.last_id:
        return p
    for i, item in enumerate(items):
        if id_of(item) == cursor.last_id:
            return i + 1
    return min(max(p, 0), len(items))


def page_slice(items: Sequence[Any], start: int, limit: int | None) -> tuple[list[Any], int | None]:
    """Items of one page and the start of the next page (None on the last page)."""
    end = len(items) if limit is None else min(start + limit, len(items))
    page = [items[i] for i in range(start, end)]
    return page, (end if end < len(items) else None)


def url_with(base: str, path: str, params: dict[str, str], **changes: str | None) -> str:
    merged = dict(params)
    for k, v in changes.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = v
    query = urlencode(merged)
    return f"{base}{path}?{query}" if query else f"{base}{path}"


def link_header_values(self_url: str, next_url: str | None, style: str) -> list[str]:
    parts = [f'<{self_url}>; rel="self"']
    if next_url is not None:
        parts.append(f'<{next_url}>; rel="next"')
    return [", ".join(parts)] if style == "joined" else parts


class ViewCache:
    """A small LRU of computed listings (e.g. the index list of users matching a filter), so that the
    pages after the first reuse the first page's result instead of scanning the org again. Every
    listing's first page computes afresh, so posture changes between syncs are always seen."""

    def __init__(self, maxsize: int = 32) -> None:
        self._items: OrderedDict[int, Any] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def put(self, value: Any) -> int:
        with self._lock:
            key = next(self._ids)
            self._items[key] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
            return key

    def get(self, key: int | None) -> Any | None:
        if key is None:
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value
