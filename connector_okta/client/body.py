"""Parsing response bodies with bounded memory and depth.

A hostile or broken server can send JSON that is valid yet ruinous: nested thousands of levels deep (``json``
raises ``RecursionError``, and what survives the parser breaks every recursive consumer after it: ``deepcopy``,
``jsonschema``, the host's ``json.dumps``), or a page of millions of tiny objects (``[{},{},...]``: 57 MB of text
became 2.9 GB of dicts). :func:`parse_json` refuses both with a :class:`BodyError`:

* ``max_items``: a list page (a top-level array, or an array directly inside a top-level object such as
  ``{"value": [...]}``) is decoded one item at a time, and decoding stops at the first item over the limit, so
  the refusal costs ``max_items`` objects, never the whole page;
* ``max_depth``: containers nested deeper than this are refused (Okta objects are under 12 levels deep);
* ``max_values``: a body whose commas say it holds more values than this is refused before decoding (a fast byte
  count; commas inside strings count too, so it errs on the side of refusing only absurd bodies): this bounds the
  memory of bodies no ``limit`` governs (endpoints read without one, or that ignore it) to ~100 MB of objects.

``NaN``, ``Infinity``, ``-Infinity`` (not JSON) and numbers that overflow a float (``1e400``) are refused as
malformed.
"""

from __future__ import annotations

import json
import math
import re
from json.decoder import scanstring
from typing import Any

MAX_DEPTH = 64
MAX_VALUES = 1_000_000  # the largest Okta answers (1000 group members, all of an org's policies) hold ~100k

_WS = re.compile(r"[ \t\n\r]*")


class BodyError(ValueError):
    """A body refused for its shape (``reason``: ``"too_many_items"``, ``"too_many_values"`` or ``"too_deep"``)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: valid syntax, but no number Okta sends, and inf breaks int() downstream
        raise ValueError(f"the number {text[:20]} overflows")
    return value


_DECODER = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)


def _ws(s: str, i: int) -> int:
    m = _WS.match(s, i)
    return m.end() if m else i


def _error(msg: str, s: str, i: int) -> json.JSONDecodeError:
    return json.JSONDecodeError(msg, s, i)


def _array(s: str, i: int, max_items: int) -> tuple[list[Any], int]:
    """Decode the array starting at ``s[i] == "["``, refusing it at its ``max_items + 1``-th item."""
    items: list[Any] = []
    i = _ws(s, i + 1)
    if s[i : i + 1] == "]":
        return items, i + 1
    while True:
        item, i = _DECODER.raw_decode(s, i)
        items.append(item)
        if len(items) > max_items:
            raise BodyError("too_many_items", f"more than {max_items} objects")
        i = _ws(s, i)
        c = s[i : i + 1]
        if c == ",":
            i = _ws(s, i + 1)
        elif c == "]":
            return items, i + 1
        else:
            raise _error("Expecting ',' delimiter", s, i)


def _object(s: str, i: int, max_items: int) -> tuple[dict[str, Any], int]:
    """Decode the object starting at ``s[i] == "{"``; its array members are decoded with :func:`_array`."""
    out: dict[str, Any] = {}
    i = _ws(s, i + 1)
    if s[i : i + 1] == "}":
        return out, i + 1
    while True:
        if s[i : i + 1] != '"':
            raise _error("Expecting property name enclosed in double quotes", s, i)
        key, i = scanstring(s, i + 1)
        i = _ws(s, i)
        if s[i : i + 1] != ":":
            raise _error("Expecting ':' delimiter", s, i)
        i = _ws(s, i + 1)
        if s[i : i + 1] == "[":
            value, i = _array(s, i, max_items)
        else:
            value, i = _DECODER.raw_decode(s, i)
        out[key] = value
        i = _ws(s, i)
        c = s[i : i + 1]
        if c == ",":
            i = _ws(s, i + 1)
        elif c == "}":
            return out, i + 1
        else:
            raise _error("Expecting ',' delimiter", s, i)


def _decode_capped(s: str, max_items: int) -> Any:
    i = _ws(s, 0)
    c = s[i : i + 1]
    if c == "[":
        value, i = _array(s, i, max_items)
    elif c == "{":
        value, i = _object(s, i, max_items)
    else:
        return _DECODER.decode(s)
    if _ws(s, i) != len(s):
        raise _error("Extra data", s, i)
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers in ``value`` nest deeper than ``limit`` (iterative: no recursion of its own)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return isinstance(value, (dict, list)) and limit < 1


def parse_json(
    content: bytes | str, *, max_items: int | None = None, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> Any:
    """Decode a JSON body; :class:`BodyError` for too many items / values / too deep, ``ValueError`` when
    malformed."""
    commas = content.count(b"," if isinstance(content, (bytes, bytearray)) else ",")
    if commas >= max_values:
        raise BodyError("too_many_values", f"more than {max_values} values")
    if isinstance(content, (bytes, bytearray)):
        text = content.decode(json.detect_encoding(content), "surrogatepass")
    else:
        text = content
    try:
        value = _DECODER.decode(text) if max_items is None else _decode_capped(text, max_items)
    except RecursionError:
        raise BodyError("too_deep", f"nested more than {max_depth} levels deep") from None
    if isinstance(value, (dict, list)) and depth_exceeds(value, max_depth):
        raise BodyError("too_deep", f"nested more than {max_depth} levels deep")
    return value
