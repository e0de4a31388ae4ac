"""Users as a lazy sequence: the i-th user is built on demand, so a 100,000-user org costs a few MB.

Per-user facts that the server must filter on (``status``, ``lastUpdated``) are kept in compact arrays built
once; everything else (names, timestamps) is derived from ``(seed, i)`` when the user is read. Overrides (admins,
service accounts, test mutations through :meth:`LazyUsers.touch`) are merged on top.
"""

from __future__ import annotations

import random
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, overload

from .ids import okta_id
from .names import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, LOCATIONS

Json = dict[str, Any]

DAY_MS = 86_400_000

# status, weight (per mille). ACTIVE mostly; every other state present in any org of >= 200 users.
STATUS_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("ACTIVE", 860),
    ("PROVISIONED", 30),
    ("STAGED", 20),
    ("SUSPENDED", 20),
    ("LOCKED_OUT", 15),
    ("PASSWORD_EXPIRED", 15),
    ("RECOVERY", 10),
    ("DEPROVISIONED", 30),
)
STATUSES: tuple[str, ...] = tuple(s for s, _ in STATUS_WEIGHTS)
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
_CUMULATIVE = []
_acc = 0
for _s, _w in STATUS_WEIGHTS:
    _acc += _w
    _CUMULATIVE.append(_acc)

USER_TYPE_ID = "oty00000000000000001"


def iso_ms(ms: int) -> str:
    """Epoch milliseconds -> Okta timestamp (``2026-11-28T10:00:00.000Z``)."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso_ms(ts: str) -> int:
    """Okta timestamp -> epoch milliseconds."""
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def _status_for(r: float) -> str:
    x = r * 1000
    for s, c in zip(STATUSES, _CUMULATIVE, strict=True):
        if x < c:
            return s
    return STATUSES[0]


class LazyUsers(Sequence[Json]):
    """``Sequence`` of Okta user objects ordered by id (``users[i]["id"] == okta_id("00u", i)``).

    Treat returned dicts as read-only (they are cached); change users through :meth:`touch`.
    """

    def __init__(
        self,
        count: int,
        *,
        seed: int = 0,
        anchor_ms: int,
        domain: str = "example.com",
        base_url: str = "https://sandbox.okta.example",
        cache_size: int = 2048,
        hygiene: bool = False,
    ) -> None:
        """``hygiene=True`` (the hardened org): every ACTIVE user signed in within 30 days and STAGED/PROVISIONED
        users are younger than 3 weeks, so lifecycle checks find nothing stale."""
        if count < 0:
            raise ValueError("user count must be >= 0")
        self._n = count
        self._seed = seed
        self._anchor = anchor_ms
        self._domain = domain
        self._base = base_url
        self._cache: OrderedDict[int, Json] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_size = cache_size
        self._overrides: dict[int, Json] = {}
        rng = random.Random(f"users:{seed}")
        self._status = array("b", (_STATUS_CODE[_status_for(rng.random())] for _ in range(count)))
        self._hygiene = hygiene
        fresh = (_STATUS_CODE["STAGED"], _STATUS_CODE["PROVISIONED"]) if hygiene else ()
        # lastUpdated as seconds before the anchor: between 1 hour and 2 years ago (3 weeks for fresh accounts)
        self._updated_age_s = array(
            "l", (rng.randint(3_600, (20 if c in fresh else 730) * 86_400) for c in self._status)
        )
        self._last_touch_ms = 0

    # --- Sequence protocol -------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Json: ...
    @overload
    def __getitem__(self, i: slice) -> list[Json]: ...
    def __getitem__(self, i: int | slice) -> Json | list[Json]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("user index out of range")
        with self._cache_lock:  # the server's threads share the cache: an entry can go between a get and a move
            cached = self._cache.get(i)
            if cached is not None:
                self._cache.move_to_end(i)
                return cached
        user = self._build(i)
        with self._cache_lock:
            self._cache[i] = user
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return user

    def __iter__(self) -> Iterator[Json]:
        for i in range(self._n):
            yield self[i]

    def __repr__(self) -> str:
        return f"LazyUsers(count={self._n}, seed={self._seed})"

    # --- fast lookups for the server ---------------------------------------------------------------------------
    def id_of(self, i: int) -> str:
        return okta_id("00u", i)

    def status_of(self, i: int) -> str:
        o = self._overrides.get(i)
        if o and "status" in o:
            return o["status"]
        return STATUSES[self._status[i]]

    def last_updated_ms(self, i: int) -> int:
        o = self._overrides.get(i)
        if o and "lastUpdated" in o:
            return parse_iso_ms(o["lastUpdated"])
        return self._anchor - self._updated_age_s[i] * 1000

    def indices_with_status(self, status: str) -> list[int]:
        """Indices (ascending, i.e. id order) of users in ``status``."""
        code = _STATUS_CODE.get(status)
        out = [i for i, c in enumerate(self._status) if c == code] if code is not None else []
        if self._overrides:
            changed = {i for i, o in self._overrides.items() if "status" in o}
            if changed:
                out = sorted((set(out) - changed) | {i for i in changed if self.status_of(i) == status})
        return out

    def indices_updated_after(self, ms: int, *, inclusive: bool = False) -> list[int]:
        """Indices (ascending) of users whose ``lastUpdated`` is after ``ms`` (epoch ms)."""
        limit_age_s = (self._anchor - ms) / 1000  # updated after ms  <=>  age < limit
        if inclusive:
            out = [i for i, a in enumerate(self._updated_age_s) if a <= limit_age_s]
        else:
            out = [i for i, a in enumerate(self._updated_age_s) if a < limit_age_s]
        if self._overrides:
            changed = {i for i, o in self._overrides.items() if "lastUpdated" in o}
            if changed:
                keep = {
                    i
                    for i in changed
                    if (self.last_updated_ms(i) >= ms if inclusive else self.last_updated_ms(i) > ms)
                }
                out = sorted((set(out) - changed) | keep)
        return out

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for i in range(self._n):
            counts[self.status_of(i)] += 1
        return counts

    # --- mutation ------------------------------------------------------------------------------------------------
    def set_overrides(self, i: int, changes: Json) -> None:
        """Merge fixed facts into user ``i`` (used by the generator for admins); does not bump lastUpdated."""
        cur = self._overrides.setdefault(i, {})
        _deep_merge(cur, changes)
        with self._cache_lock:
            self._cache.pop(i, None)

    def touch(self, i: int, now_ms: int | None = None, **changes: Any) -> Json:
        """Change user ``i`` (``status=``, ``profile={...}``, ``lastLogin=``...) and make ``lastUpdated`` newer
        than every ``lastUpdated`` handed out so far (strictly increasing across calls). Returns the new user."""
        if not 0 <= i < self._n:
            raise IndexError("user index out of range")
        now = now_ms if now_ms is not None else int(datetime.now(tz=UTC).timestamp() * 1000)
        ts = max(now, self._anchor + 1, self._last_touch_ms + 1, self.last_updated_ms(i) + 1)
        self._last_touch_ms = ts
        upd: Json = dict(changes)
        upd["lastUpdated"] = iso_ms(ts)
        if "status" in changes:
            upd["statusChanged"] = iso_ms(ts)
        self.set_overrides(i, upd)
        return self[i]

    # --- building ----------------------------------------------------------------------------------------------
    def _build(self, i: int) -> Json:
        rng = random.Random(self._seed * 1_000_003 + i)
        status = STATUSES[self._status[i]]
        updated = self._anchor - self._updated_age_s[i] * 1000
        first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
        last = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
        login = f"{first.lower()}.{last.lower()}.{i}@{self._domain}"
        # created before lastUpdated (30 days to 3 years earlier)
        if self._hygiene and status in ("STAGED", "PROVISIONED"):
            created = updated - rng.randint(0, DAY_MS)
        else:
            created = updated - rng.randint(30, 1095) * DAY_MS - rng.randint(0, DAY_MS)
        activated = None if status in ("STAGED", "PROVISIONED") else created + rng.randint(0, 3 * DAY_MS)
        status_changed = None if status == "STAGED" else max(created, updated - rng.randint(0, 200) * DAY_MS)
        last_login: int | None
        r = rng.random()
        if self._hygiene and status == "ACTIVE":
            last_login = self._anchor - rng.randint(0, 30 * DAY_MS)
        elif status in ("STAGED", "PROVISIONED") or r < 0.08:
            last_login = None  # never signed in
        elif r < 0.25:
            last_login = self._anchor - rng.randint(91, 700) * DAY_MS  # stale: more than 90 days ago
        elif r < 0.35:
            last_login = self._anchor - rng.randint(36, 90) * DAY_MS
        else:
            last_login = self._anchor - rng.randint(0, 35 * DAY_MS)
        if last_login is not None and last_login < created:
            last_login = min(created + DAY_MS, self._anchor)
        pw_changed = None if status in ("STAGED", "PROVISIONED") else created + rng.randint(0, 700) * DAY_MS
        if pw_changed is not None and pw_changed > updated:
            pw_changed = created
        uid = okta_id("00u", i)
        user: Json = {
            "id": uid,
            "status": status,
            "created": iso_ms(created),
            "activated": iso_ms(activated) if activated is not None else None,
            "statusChanged": iso_ms(status_changed) if status_changed is not None else None,
            "lastLogin": iso_ms(last_login) if last_login is not None else None,
            "lastUpdated": iso_ms(updated),
            "passwordChanged": iso_ms(pw_changed) if pw_changed is not None else None,
            "type": {"id": USER_TYPE_ID},
            "profile": {
                "firstName": first,
                "lastName": last,
                "mobilePhone": None,
                "secondEmail": None,
                "login": login,
                "email": login,
                "department": DEPARTMENTS[rng.randrange(len(DEPARTMENTS))],
                "city": LOCATIONS[rng.randrange(len(LOCATIONS))],
                "employeeNumber": str(100000 + i),
            },
            "credentials": {
                "password": {},
                "provider": {"type": "OKTA", "name": "OKTA"},
            },
            "_links": {"self": {"href": f"{self._base}/api/v1/users/{uid}"}},
        }
        if status in ("STAGED", "DEPROVISIONED"):
            user["credentials"] = {"provider": {"type": "OKTA", "name": "OKTA"}}
        o = self._overrides.get(i)
        if o:
            _deep_merge(user, o)
        return user


def _deep_merge(dst: Json, src: Json) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _deep_merge(dst[k], v)
        else:
            dst[k] = v


def ids(users: Sequence[Json], indices: Iterable[int]) -> list[str]:
    """User ids for indices (works for any user sequence, lazy or not)."""
    if isinstance(users, LazyUsers):
        return [users.id_of(i) for i in indices]
    return [users[i]["id"] for i in indices]
