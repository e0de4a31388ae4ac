"""Reading pages: ``Link`` headers (several lines or one comma-joined value), body ``_links.next`` on ``/iam/*``.

Okta says: follow the ``Link`` values, never build your own cursor URLs. The only ``rel`` values are ``self``
and ``next``. Several ``Link`` header lines reach us either as a list (urllib3's ``getlist``) or joined with
``", "`` (``requests``' merged header); URLs may themselves contain commas, so the parser splits on the
``<...>`` boundaries, not on commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

_LINK = re.compile(r"<([^<>]*)>((?:\s*;\s*[A-Za-z0-9*_-]+\s*(?:=\s*(?:\"[^\"]*\"|[^;,]*))?)*)")
_PARAM = re.compile(r";\s*([A-Za-z0-9*_-]+)\s*(?:=\s*(?:\"([^\"]*)\"|([^;,]*)))?")

WRAPPER_KEYS = ("value", "roles", "resource-sets")


def parse_link_values(values: Iterable[str]) -> dict[str, str]:
    """``{rel: url}`` from the ``Link`` header values; the first link of each rel wins."""
    links: dict[str, str] = {}
    for value in values:
        for match in _LINK.finditer(value or ""):
            url = match.group(1).strip()
            for param in _PARAM.finditer(match.group(2) or ""):
                if param.group(1).lower() != "rel":
                    continue
                rel_value = param.group(2) if param.group(2) is not None else (param.group(3) or "")
                for rel in rel_value.split():
                    links.setdefault(rel.lower(), url)
    return links


def link_header_values(response: Any) -> list[str]:
    """Every ``Link`` header line of a ``requests`` response (falls back to the merged value)."""
    raw_headers = getattr(getattr(response, "raw", None), "headers", None)
    getlist = getattr(raw_headers, "getlist", None)
    if callable(getlist):
        try:
            values = list(getlist("Link"))
        except Exception:  # noqa: BLE001 - any odd raw object: use the merged header
            values = []
        if values:
            return values
    merged = response.headers.get("Link") if getattr(response, "headers", None) is not None else None
    return [merged] if merged else []


def body_items(body: Any) -> tuple[list[Any] | None, str | None]:
    """The list of objects in a page and the wrapper key it came from (``None`` for a plain JSON array)."""
    if isinstance(body, list):
        return body, None
    if isinstance(body, Mapping):
        for key in WRAPPER_KEYS:
            if isinstance(body.get(key), list):
                return body[key], key
        lists = [k for k, v in body.items() if isinstance(v, list) and not k.startswith("_")]
        if len(lists) == 1:
            return body[lists[0]], lists[0]
    return None, None


def body_next(body: Any) -> str | None:
    if isinstance(body, Mapping):
        links = body.get("_links")
        if isinstance(links, Mapping):
            nxt = links.get("next")
            if isinstance(nxt, Mapping) and isinstance(nxt.get("href"), str) and nxt["href"]:
                return nxt["href"]
    return None


def body_self(body: Any) -> str | None:
    if isinstance(body, Mapping):
        links = body.get("_links")
        if isinstance(links, Mapping):
            me = links.get("self")
            if isinstance(me, Mapping) and isinstance(me.get("href"), str):
                return me["href"]
    return None


def cursor_of(url: str) -> str | None:
    """The opaque ``after`` cursor of a next link, when it has one."""
    values = parse_qs(urlsplit(url).query).get("after")
    return values[0] if values else None


def same_url(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    pa, pb = urlsplit(a), urlsplit(b)
    return (
        pa.netloc.lower() == pb.netloc.lower()
        and pa.path.rstrip("/") == pb.path.rstrip("/")
        and parse_qs(pa.query) == parse_qs(pb.query)
    )
