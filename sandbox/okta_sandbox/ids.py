"""Okta-shaped object ids.

Okta ids are 20 characters: a 3-character type prefix (``00u`` user, ``00g`` group, ``0oa`` app, ...) followed by
17 base62 characters. The sandbox builds them from a counter, zero-padded, so that for one prefix the
lexicographic order of the ids equals the counter order (``sorted(ids) == ids``) and a list ordered by id can be
indexed by counter.
"""

from __future__ import annotations

import base64

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # ASCII order, so padding keeps sort order
_WIDTH = 17


def okta_id(prefix: str, n: int) -> str:
    """The ``n``-th id of a type: ``okta_id("00u", 5) == "00u00000000000000005"``."""
    if len(prefix) != 3:
        raise ValueError(f"Okta id prefixes are 3 characters, got {prefix!r}")
    if n < 0:
        raise ValueError("id counters start at 0")
    digits = []
    while True:
        n, r = divmod(n, 62)
        digits.append(BASE62[r])
        if n == 0:
            break
    body = "".join(reversed(digits))
    if len(body) > _WIDTH:
        raise ValueError("id counter too large")
    return prefix + body.rjust(_WIDTH, "0")


def id_index(okta_id_: str) -> int:
    """Inverse of :func:`okta_id` (ignores the prefix); raises ``ValueError`` on ids not built by it."""
    if len(okta_id_) != 20:
        raise ValueError(f"not a sandbox id: {okta_id_!r}")
    n = 0
    for ch in okta_id_[3:]:
        v = BASE62.find(ch)
        if v < 0:
            raise ValueError(f"not a sandbox id: {okta_id_!r}")
        n = n * 62 + v
    return n


def standard_role_id(role_type: str) -> str:
    """The id Okta gives an assignment of a standard admin role: base32 of the role type, unpadded.

    Okta derives it from the type (``USER_ADMIN`` -> ``KVJUKUS7IFCE2SKO``, ``APP_ADMIN`` -> ``IFIFAX2BIRGUSTQ``,
    ``HELP_DESK_ADMIN`` -> ``JBCUYUC7IRCVGS27IFCE2SKO``: the ids in the spec's ``StandardRolesListResponse``), so
    every user, group and client holding the role lists an assignment with the same id; it is unique only per
    principal.
    """
    return base64.b32encode(role_type.encode("ascii")).decode("ascii").rstrip("=")
