"""Hunting secret values in whatever a connector produced, in any form, and masking them in the kit's output.

A secret is found when the output holds, anywhere in a text:

- the secret itself, or any slice of :data:`MIN_SLICE` or more of its characters (a "masked" ``fk_live_5ecr…``
  still gives most of it away); slices of too few distinct characters (``000000000000``) are not hunted;
- the same in an encoded form: base64 (standard and URL-safe, at any byte alignment, so also inside a
  ``Basic`` header's ``user:secret``), hexadecimal, URL/percent-encoding, JSON string escaping;

or, in a structure (a message, a result, a log record's ``args`` and ``extra``), the secret split across
two or more fields (fragments of 4+ characters covering :data:`MIN_SLICE` characters or the whole secret).
Values shorter than :data:`MIN_SECRET_LENGTH` are too likely to occur by chance to hunt at all.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

#: Values shorter than this are too likely to occur by chance ("abc" in a message) to hunt for.
MIN_SECRET_LENGTH = 6
#: A slice of a secret this long (or longer) is a leak.
MIN_SLICE = 12
#: A slice must hold this many distinct characters to count (``000000000000`` is not evidence).
MIN_DISTINCT = 5
#: Fragments shorter than this are not considered for a secret split across fields.
MIN_FRAGMENT = 4
#: Largest text hunted in full (longer texts are hunted in their first and last parts).
MAX_TEXT = 4_000_000
REDACTED = "«redacted»"

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----(.*?)-----END [A-Z0-9 ]+-----", re.S)
_JWK_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "k")


def usable_secrets(values: Iterable[Any]) -> set[str]:
    return {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH}


def mask(secret: str) -> str:
    """How a leak is reported: enough to recognise which secret, never the secret itself."""
    return f"{secret[:2]}…({len(secret)} chars)"


def _hunted_parts(secret: str) -> list[str]:
    """What of a secret is secret: a PEM key's body (not its armour), a JWK's private members, else all of it."""
    parts = []
    for body in _PEM.findall(secret):
        joined = "".join(body.split())
        if len(joined) >= MIN_SECRET_LENGTH:
            parts.append(joined)
            parts += [line.strip() for line in body.splitlines() if len(line.strip()) >= MIN_SLICE]
    if secret.lstrip().startswith("{"):
        try:
            jwk = json.loads(secret)
        except ValueError:
            jwk = None
        if isinstance(jwk, dict):
            parts += [jwk[k] for k in _JWK_PRIVATE if isinstance(jwk.get(k), str) and len(jwk[k]) >= MIN_SECRET_LENGTH]
    return parts or [secret]


def _base64_cores(data: bytes) -> list[str]:
    """The characters of base64(x + data + y) fixed by ``data`` alone, for the three alignments of ``data``."""
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        start = (shift * 8 + 5) // 6  # characters touched by the bytes before
        end = (shift + len(data)) * 8 // 6  # characters fixed entirely by data
        core = encoded[start:end]
        if len(core) >= MIN_SECRET_LENGTH:
            cores.append(core)
            urlsafe = core.replace("+", "-").replace("/", "_")
            if urlsafe != core:
                cores.append(urlsafe)
    return cores


def encoded_forms(value: str) -> list[tuple[str, str]]:
    """``(form, how)``: the value as such and as the encodings a connector may let it out in."""
    data = value.encode("utf-8")
    forms = [(value, "")]
    forms += [(core, "base64") for core in _base64_cores(data)]
    hexed = binascii.hexlify(data).decode("ascii")
    forms += [(hexed, "hex"), (hexed.upper(), "hex")]
    for encoded in {quote(value, safe=""), quote_plus(value, safe=""), quote(value)}:
        if encoded != value:
            forms.append((encoded, "URL-encoded"))
            lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)
            if lower != encoded:
                forms.append((lower, "URL-encoded"))
    escaped = json.dumps(value)[1:-1]
    if escaped != value:
        forms.append((escaped, "JSON-escaped"))
    seen: set[str] = set()
    return [(f, how) for f, how in forms if not (f in seen or seen.add(f))]


class SecretHunter:
    """Finds (and masks) a set of secrets in texts and JSON-like structures."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted(usable_secrets(secrets), key=len, reverse=True)
        # (form, secret, how): every form a secret is hunted in
        self.forms: list[tuple[str, str, str]] = []
        for secret in self.secrets:
            for part in _hunted_parts(secret):
                for form, how in encoded_forms(part):
                    self.forms.append((form, secret, how))

    def __bool__(self) -> bool:
        return bool(self.secrets)

    # ------------------------------------------------------------------------------------------- texts

    def _spans(self, text: str) -> list[tuple[int, int, str, str]]:
        """Every ``(start, end, secret, how)`` where ``text`` holds a secret or a long enough slice of one."""
        spans = []
        for form, secret, how in self.forms:
            if len(form) < MIN_SLICE:
                start = text.find(form)
                while start != -1:
                    spans.append((start, start + len(form), secret, how))
                    start = text.find(form, start + 1)
                continue
            # Any slice of MIN_SLICE characters contains one of these blocks, whole.
            block = MIN_SLICE // 2
            starts = sorted({*range(0, len(form) - block + 1, block), len(form) - block})
            for j in starts:
                piece = form[j:j + block]
                at = text.find(piece)
                hits = 0
                while at != -1 and hits < 1000:
                    hits += 1
                    left = 0
                    while left < j and left < at and form[j - left - 1] == text[at - left - 1]:
                        left += 1
                    right = 0
                    limit = min(len(form) - j - block, len(text) - at - block)
                    while right < limit and form[j + block + right] == text[at + block + right]:
                        right += 1
                    lo, hi = at - left, at + block + right
                    if hi - lo >= MIN_SLICE and (hi - lo == len(form) or len(set(text[lo:hi])) >= MIN_DISTINCT):
                        spans.append((lo, hi, secret, how))
                    at = text.find(piece, at + 1)
        return spans

    def _clip(self, text: str) -> str:
        if len(text) <= MAX_TEXT:
            return text
        half = MAX_TEXT // 2
        return text[:half] + "\0" + text[-half:]

    def leaks_in_text(self, text: str) -> list[str]:
        """The masked secrets ``text`` gives away (once each), saying in which form."""
        found: dict[str, list[str]] = {}
        for _, _, secret, how in self._spans(self._clip(text)):
            found.setdefault(secret, []).append(how)
        return [mask(s) + ("" if "" in hows else f" ({hows[0]})") for s, hows in found.items()]

    def redact(self, text: str) -> str:
        """``text`` with every secret, encoded form and long slice replaced by :data:`REDACTED`."""
        if not self.forms or not text:
            return text
        merged: list[list[int]] = []
        for lo, hi in sorted((lo, hi) for lo, hi, _, _ in self._spans(text)):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        if not merged:
            return text
        out, pos = [], 0
        for lo, hi in merged:
            out += [text[pos:lo], REDACTED]
            pos = hi
        out.append(text[pos:])
        return "".join(out)

    # -------------------------------------------------------------------------------------- structures

    def leaks_in_value(self, value: Any, where: str = "") -> list[str]:
        """Every place in a JSON-like structure (keys and values) holding a secret (``path: secret``), and
        secrets split across several of its fields."""
        leaves: list[tuple[str, str, bool]] = []  # (path, text, is a key)

        def walk(node: Any, path: str, depth: int) -> None:
            if depth > 64:
                return
            if isinstance(node, Mapping):
                for key, child in list(node.items()):
                    leaves.append((path, key if isinstance(key, str) else _safe_repr(key), True))
                    walk(child, f"{path}/{key}", depth + 1)
            elif isinstance(node, list | tuple | set | frozenset):
                for i, child in enumerate(list(node)):
                    walk(child, f"{path}/{i}", depth + 1)
            elif node is not None and not isinstance(node, bool | int | float):
                leaves.append((path, node if isinstance(node, str) else _safe_repr(node), False))

        walk(value, where, 0)
        if not self.forms or not leaves:
            return []
        found: list[str] = []
        if self._spans("\0".join(text for _, text, _ in leaves)):  # the common case: nothing at all
            for path, text, is_key in leaves:
                label = f"{path}/<key>" if is_key else (path or "/")
                found.extend(f"{label}: {leak}" for leak in self.leaks_in_text(text))
        if not found:
            found += [f"{where or '/'}: {leak}" for leak in self.split_leaks(text for _, text, _ in leaves)]
        return found

    def split_leaks(self, leaves: Iterable[str]) -> list[str]:
        """Secrets spread over several strings, none of which gives away a long enough slice alone."""
        longest = len(self.secrets[0]) if self.secrets else 0
        strings = [s for s in set(leaves) if MIN_FRAGMENT <= len(s) < longest and len(set(s)) >= 3]
        found = []
        for secret in self.secrets if strings else ():
            covered: set[int] = set()
            pieces = 0
            for s in strings:
                if len(s) >= len(secret) or s not in secret:
                    continue
                pieces += 1
                start = secret.find(s)
                while start != -1:
                    covered.update(range(start, start + len(s)))
                    start = secret.find(s, start + 1)
            if pieces >= 2 and len(covered) >= min(len(secret), MIN_SLICE):
                found.append(f"{mask(secret)} (split across {pieces} fields)")
        return found


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ hides nothing from us
        return object.__repr__(value)


# Backwards-compatible helpers (exact and encoded forms, no structure context)

def leaks_in_text(text: str, secrets: Iterable[str]) -> list[str]:
    return SecretHunter(secrets).leaks_in_text(text)


def leaks_in_value(value: Any, secrets: set[str], where: str = "") -> list[str]:
    return SecretHunter(secrets).leaks_in_value(value, where)
