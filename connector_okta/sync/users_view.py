"""The users as the checks see them, carried from one sync to the next (issue 18).

A re-sync reads only the users Okta says changed (``lastUpdated``), yet every users check judges the whole
population (counts, shares, inactivity measured against today). So each sync packs, for every user, the fields the
users checks read (:data:`FIELDS`, a test keeps it in step with the checks) into its STATE, and the next sync
visits every user again: the changed ones as Okta serves them now, the others from this view. The results are
those a full sync would give, today.

Memory stays flat: the view is written and read as a deflated stream of lines (``<id>\\t<JSON of the fields>``),
never held as objects, carried in the STATE as base64 pieces of about 64 KB; at 100,000 users it packs to a few
MB.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

# the fields of a user the users checks read (okta-user-*, okta-admin-stale, okta-admin-password-age,
# okta-api-token-owner-inactive; tests/sync/test_sync_resync.py fails when a check reads another one); a dotted name
# is a nested field. The id is the line's key.
FIELDS: tuple[str, ...] = ("status", "created", "activated", "lastLogin", "passwordChanged", "profile.login")


def project(user: Mapping[str, Any]) -> dict[str, Any]:
    """The view's fields of ``user`` (those it has), nested as in the user object."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        head, _, tail = name.partition(".")
        if not tail:
            if head in user:
                out[head] = user[head]
            continue
        inner = user.get(head)
        if isinstance(inner, Mapping) and tail in inner:
            out.setdefault(head, {})[tail] = inner[tail]
    return out


def as_user(uid: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A user object for the checks from its view line (a fresh dict: the checks may keep it)."""
    return {"id": uid, **fields}


class ViewWriter:
    """Lines deflated, and the deflated bytes base64-encoded in pieces of about 64 KB, as they are written (only
    the text is held); ``packed()`` is the STATE's value: a list of those pieces (no one large string is ever built,
    so packing costs no copy of the view)."""

    PIECE = 48 * 1024  # deflated bytes per base64 piece (a multiple of 3: each piece decodes alone)
    BATCH = 256 * 1024  # lines deflated together: zlib releases the GIL on every call, and taking it back behind
    # the page-reading threads cost ~80 us a line when deflated one by one (issue 18: 2 s of a 20,000-user sync)

    def __init__(self) -> None:
        self._z = zlib.compressobj(6)
        self._pieces: list[str] = []
        self._pending = bytearray()  # deflated bytes not encoded yet
        self._lines: list[bytes] = []
        self._buffered = 0
        self.count = 0
        self._done = False

    def _encode(self, data: bytes, final: bool = False) -> None:
        self._pending += data
        while len(self._pending) >= self.PIECE or (final and self._pending):
            cut = min(len(self._pending), self.PIECE)
            self._pieces.append(base64.b64encode(bytes(self._pending[:cut])).decode("ascii"))
            del self._pending[:cut]

    def put(self, user: Mapping[str, Any]) -> None:
        uid = user.get("id")
        if not isinstance(uid, str) or not uid or "\t" in uid or "\n" in uid:
            return
        self.put_line(uid, json.dumps(project(user), separators=(",", ":"), sort_keys=True))

    def put_line(self, uid: str, fields_json: str) -> None:
        if self._done:
            raise RuntimeError("the view was packed already")
        line = f"{uid}\t{fields_json}\n".encode()
        self._lines.append(line)
        self._buffered += len(line)
        self.count += 1
        if self._buffered >= self.BATCH:
            self._deflate()

    def _deflate(self) -> None:
        if self._lines:
            out = self._z.compress(b"".join(self._lines))
            self._lines, self._buffered = [], 0
            if out:
                self._encode(out)

    def packed(self) -> list[str]:
        if not self._done:
            self._deflate()
            self._encode(self._z.flush(), final=True)
            self._done = True
        return self._pieces


def lines(packed: Any) -> Iterator[tuple[str, str]]:
    """``(id, fields JSON)`` of every user of a packed view (the list of pieces ``ViewWriter.packed`` gives), in
    the order written, decoded and decompressed piece by piece. Raises ``ValueError`` when it is not a view."""
    if isinstance(packed, str):
        packed = [packed] if packed else []
    if not isinstance(packed, list) or not all(isinstance(p, str) for p in packed):
        raise ValueError("not a users view: not a list of text pieces")
    z = zlib.decompressobj()
    rest = b""
    try:
        for piece in packed:
            rest += z.decompress(base64.b64decode(piece.encode("ascii"), validate=True))
            *full, rest = rest.split(b"\n")
            for line in full:
                yield _split(line)
        rest += z.flush()
    except (ValueError, UnicodeEncodeError, zlib.error) as exc:
        raise ValueError(f"not a users view: {exc}") from None
    if rest.strip() or (packed and not z.eof):
        raise ValueError("a users view ends in the middle")


def _split(line: bytes) -> tuple[str, str]:
    uid, sep, fields = line.decode().partition("\t")
    if not sep or not uid:
        raise ValueError("a users view line has no id")
    return uid, fields


def users(packed: Any) -> Iterator[dict[str, Any]]:
    """Every user of a packed view, as the checks see it."""
    for uid, fields in lines(packed):
        yield as_user(uid, json.loads(fields))
