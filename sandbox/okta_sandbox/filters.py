"""Okta's ``filter`` / ``search`` expressions (the SCIM-like subset list endpoints accept).

``status eq "ACTIVE" or status eq "DEPROVISIONED"``, ``lastUpdated gt "2024-01-01T00:00:00.000Z"``,
``lastUpdated gt "..." and (status eq "A" or status eq "B")``, ``profile.login sw "ann"``, ``id eq "00u1"``.
Operators: eq ne gt ge lt le sw co ew pr; ``and`` binds tighter than ``or``; parentheses; ``not (...)``.
Timestamps compare as instants. A bad expression raises 400 E0000031.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .errors import okta_error

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|"(?P<str>(?:[^"\\]|\\.)*)"|(?P<word>[A-Za-z0-9_.:$\-+]+))'
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew", "pr"}
_MISSING = object()


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def lookup(obj: dict[str, Any], path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if actual is _MISSING or actual is None:
        return op == "ne"
    if op in ("sw", "co", "ew"):
        a, e = str(actual).lower(), str(expected).lower()
        return a.startswith(e) if op == "sw" else (e in a if op == "co" else a.endswith(e))
    left, right = actual, expected
    if isinstance(expected, str):
        ea, ee = _instant(actual), _instant(expected)
        if ea is not None and ee is not None:
            if ea.tzinfo is None or ee.tzinfo is None:
                ea, ee = ea.replace(tzinfo=None), ee.replace(tzinfo=None)
            left, right = ea, ee
        else:
            left, right = str(actual), expected
    try:
        if op == "eq":
            return bool(left == right)
        if op == "ne":
            return bool(left != right)
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        if op == "le":
            return bool(left <= right)
    except TypeError:
        return False
    return False


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"unexpected character at {pos}")
            kind = m.lastgroup or ""
            value = m.group(kind)
            if kind == "str":
                value = re.sub(r"\\(.)", r"\1", value)
            self.tokens.append((kind, value))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ValueError("unexpected end of expression")
        self.i += 1
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].lower() == word

    def expr(self) -> Predicate:
        parts = [self.term()]
        while self.is_word("or"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda o, ps=tuple(parts): any(p(o) for p in ps))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self.is_word("and"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda o, ps=tuple(parts): all(p(o) for p in ps))

    def factor(self) -> Predicate:
        if self.is_word("not"):
            self.take()
            inner = self.factor()
            return lambda o: not inner(o)
        kind, value = self.take()
        if kind == "lp":
            inner = self.expr()
            if self.take()[0] != "rp":
                raise ValueError("missing )")
            return inner
        if kind != "word":
            raise ValueError("expected an attribute")
        attr = value
        okind, op = self.take()
        op = op.lower()
        if okind != "word" or op not in _OPS:
            raise ValueError(f"unknown operator {op!r}")
        if op == "pr":
            return lambda o: lookup(o, attr) not in (_MISSING, None)
        vkind, raw = self.take()
        if vkind == "str":
            expected: Any = raw
        elif vkind == "word" and raw in ("true", "false"):
            expected = raw == "true"
        elif vkind == "word" and raw == "null":
            expected = None
        elif vkind == "word":
            try:
                expected = float(raw) if "." in raw else int(raw)
            except ValueError:
                raise ValueError(f"bad value {raw!r}") from None
        else:
            raise ValueError("expected a value")
        return lambda o: _compare(op, lookup(o, attr), expected)


@lru_cache(maxsize=256)
def _compile(text: str) -> Predicate:
    parser = _Parser(text)
    pred = parser.expr()
    if parser.peek() is not None:
        raise ValueError("trailing tokens")
    return pred


def compile_filter(text: str) -> Predicate:
    try:
        return _compile(text)
    except ValueError as exc:
        raise okta_error("E0000031", causes=[f"Invalid filter/search expression: {exc}"]) from None


def status_equalities(text: str) -> list[str] | None:
    """If ``text`` is only ``status eq "X"`` terms joined by ``or``, the statuses (a fast path)."""
    parts = re.split(r"\s+or\s+", text.strip().strip("()").strip(), flags=re.IGNORECASE)
    out = []
    for p in parts:
        m = re.fullmatch(r'\(?\s*status\s+eq\s+"([A-Z_]+)"\s*\)?', p.strip(), flags=re.IGNORECASE)
        if not m:
            return None
        out.append(m.group(1))
    return out


def _split_top_level_and(text: str) -> list[str]:
    parts, depth, start, i, in_str = [], 0, 0, 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and text[i : i + 5].lower() == " and ":
            parts.append(text[start:i])
            start = i + 5
            i += 4
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _unwrap(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and "(" not in text[1:-1] and ")" not in text[1:-1]:
        text = text[1:-1].strip()
    return text


@dataclass(frozen=True)
class SimpleUserFilter:
    """A users filter the server can answer from per-user indexes: ``status eq`` terms joined by ``or``,
    and/or one ``lastUpdated`` comparison, joined by ``and``."""

    statuses: frozenset[str] | None
    updated_op: str | None  # gt ge lt le
    updated_ms: int | None


def simple_user_filter(text: str) -> SimpleUserFilter | None:
    statuses: frozenset[str] | None = None
    op: str | None = None
    ms: int | None = None
    for part in _split_top_level_and(text):
        part = _unwrap(part)
        found = status_equalities(part)
        if found is not None and statuses is None:
            statuses = frozenset(found)
            continue
        m = re.fullmatch(r'lastUpdated\s+(gt|ge|lt|le)\s+"([^"]+)"', part, flags=re.IGNORECASE)
        instant = _instant(m.group(2)) if m else None
        if m and instant is not None and op is None:
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=UTC)
            op, ms = m.group(1).lower(), int(instant.timestamp() * 1000)
            continue
        return None
    return SimpleUserFilter(statuses, op, ms)
