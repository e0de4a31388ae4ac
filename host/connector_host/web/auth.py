"""The page's login: the password policy, the check against its hash, server-side sessions, login throttling,
the ``next`` target after a login, and the gate in front of every route.

* **Password**: at least 12 characters and not trivially weak (:func:`password_problem`); ``serve`` refuses a
  weak one and, when none is configured, makes a random one and prints it once at start.
* **Sessions live on the server** (:class:`Sessions`): the signed cookie carries only a random session id; a
  session ends after ``idle`` seconds without a request or ``absolute`` seconds after the login, and logging out
  deletes it, so a copied cookie stops working at once. A new id is made at each login (no fixation).
* **Throttling** (:class:`LoginThrottle`): each failed login makes its client wait longer before the next try
  (1 s, 2 s, 4 s, ... up to 5 minutes) and, past a number of failures from everyone in a window, every client
  waits too (a password-spraying botnet gets as few tries as one client). Refused tries answer 429 with
  ``Retry-After`` and do not check the password.
* **After the login** only a local path is followed (:func:`safe_next`).

Without a password hash (``create_app(password_hash=None)``, used by tests and embedders) every route is open.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, jsonify, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash

PASSWORD_HASH = "connector_host_password"  # the key of the hash in ``app.extensions``
SESSIONS = "connector_host_sessions"
THROTTLE = "connector_host_login_throttle"
_TRIES = threading.Lock()  # sign-in tries are checked one at a time (see login_page)

MIN_PASSWORD_LENGTH = 12
IDLE_SECONDS = 30 * 60  # a session unused this long ends
ABSOLUTE_SECONDS = 12 * 3600  # and any session ends this long after its login

_COMMON = {
    "password", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty", "qwertyuiop", "asdfghjkl", "zxcvbnm", "letmein",
    "welcome", "admin", "administrator", "iloveyou", "monkey", "dragon", "football", "baseball", "sunshine",
    "princess", "trustno1", "changeme", "secret", "master", "okta", "connector", "connectorhost", "default",
}
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", string.ascii_lowercase)


def password_problem(password: str) -> str | None:
    """Why ``password`` is too weak for the page's login, or None when it will do.

    Refused: fewer than 12 characters; fewer than 6 different characters; a short pattern repeated
    (``abcabcabcabc``); a run along the keyboard or the alphabet (``1234567890ab``, ``qwertyuiop12``); a common
    password with digits or symbols around it (``Password1234!``).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters (it has {len(password)})"
    low = unicodedata.normalize("NFKC", password).lower()
    if len(set(low)) < 6:
        return "the password repeats too few different characters"
    for period in range(1, 5):
        if all(low[i] == low[i % period] for i in range(len(low))):
            return "the password is a short pattern repeated"
    middle = re.sub(r"^[^a-z@$]+|[^a-z@$]+$", "", low)  # digits and symbols added around a word
    leet = middle.translate(str.maketrans("0134@$5", "oleaass"))
    core = re.sub(r"[^a-z]+", "", leet)
    letters = re.sub(r"[^a-z]+", "", low)
    if core in _COMMON or letters in _COMMON or not letters and len(set(low)) < 8:
        return "the password is a common one with digits or symbols added"
    for row in _ROWS:
        for seq in (row, row[::-1]):
            if _longest_run(low, seq) >= len(low) - 2:
                return "the password is a run of neighbouring keys or letters"
    return None


def _longest_run(text: str, seq: str) -> int:
    best = run = 0
    for a, b in zip(text, text[1:], strict=False):
        i = seq.find(a)
        run = run + 1 if i >= 0 and i + 1 < len(seq) and seq[i + 1] == b else 0
        best = max(best, run)
    return best + 1 if best else 0


def generate_password() -> str:
    """A random password for the page (about 120 bits), readable aloud: five groups of five letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (l/1, o/0, i)
    while True:
        text = "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(5))
        if password_problem(text) is None:
            return text


# ------------------------------------------------------------------------------------------------ sessions


@dataclass
class _Session:
    created: float
    last_seen: float


class Sessions:
    """Logged-in sessions, kept in this process: a restart signs everyone out."""

    def __init__(self, idle: float = IDLE_SECONDS, absolute: float = ABSOLUTE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.idle = idle
        self.absolute = absolute
        self.clock = clock
        self._items: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def create(self) -> str:
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            self._sweep(now)
            self._items[sid] = _Session(now, now)
        return sid

    def touch(self, sid: Any) -> bool:
        """True when ``sid`` is a live session (and mark it used now); an expired one is deleted."""
        if not isinstance(sid, str):
            return False
        now = self.clock()
        with self._lock:
            s = self._items.get(sid)
            if s is None:
                return False
            if now - s.last_seen > self.idle or now - s.created > self.absolute:
                del self._items[sid]
                return False
            s.last_seen = now
            return True

    def revoke(self, sid: Any) -> None:
        with self._lock:
            self._items.pop(sid, None) if isinstance(sid, str) else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _sweep(self, now: float) -> None:
        dead = [k for k, s in self._items.items() if now - s.last_seen > self.idle or now - s.created > self.absolute]
        for k in dead:
            del self._items[k]


# ------------------------------------------------------------------------------------------------ throttling


class LoginThrottle:
    """Growing waits after failed logins, per client and for everyone.

    A client that failed ``n`` times in a row waits ``2**(n-1)`` seconds (at most ``max_wait``) before its next
    try; its count is forgotten ``forget`` seconds after its last failure, or at a successful login. Across all
    clients, past ``global_free`` failures within ``window`` seconds, every try waits ``2**(excess-1)`` seconds
    (at most ``max_global_wait``) after the latest failure.
    """

    def __init__(self, *, max_wait: float = 300.0, forget: float = 3600.0, global_free: int = 20,
                 window: float = 600.0, max_global_wait: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.max_wait = max_wait
        self.forget = forget
        self.global_free = global_free
        self.window = window
        self.max_global_wait = max_global_wait
        self.clock = clock
        self._clients: dict[str, tuple[int, float]] = {}  # client -> (failures, time of the last)
        self._recent: list[float] = []  # times of every failure in the window
        self._lock = threading.Lock()

    def wait_for(self, client: str) -> float:
        """Seconds ``client`` must still wait before a try (0: go ahead)."""
        now = self.clock()
        with self._lock:
            self._trim(now)
            wait = 0.0
            n, last = self._clients.get(client, (0, 0.0))
            if n:
                wait = max(wait, last + min(2.0 ** (n - 1), self.max_wait) - now)
            excess = len(self._recent) - self.global_free
            if excess > 0:
                wait = max(wait, self._recent[-1] + min(2.0 ** (excess - 1), self.max_global_wait) - now)
            return max(0.0, wait)

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            self._trim(now)
            n, _ = self._clients.get(client, (0, 0.0))
            self._clients[client] = (n + 1, now)
            self._recent.append(now)
            if len(self._clients) > 10_000:  # bounded memory under a flood of addresses
                for k in sorted(self._clients, key=lambda k: self._clients[k][1])[:5_000]:
                    del self._clients[k]

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _trim(self, now: float) -> None:
        self._recent = [t for t in self._recent if now - t <= self.window]
        for k in [k for k, (_, t) in self._clients.items() if now - t > self.forget]:
            del self._clients[k]


# ------------------------------------------------------------------------------------------------ next target


def safe_next(target: Any, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``.

    Refused: anything not starting with one ``/``; ``//`` or ``/\\`` at the start after removing the characters
    browsers ignore (tabs, new lines, spaces) and after percent-decoding (``/%09/evil.example``,
    ``/%2F/evil.example``); a backslash, a control character or a scheme anywhere.
    """
    if not isinstance(target, str) or not target or len(target) > 2048:
        return default
    candidates = [target]
    text = target
    for _ in range(3):  # double and triple encodings too
        text = unquote(text)
        candidates.append(text)
    for c in candidates:
        if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in c):
            return default
        stripped = "".join(ch for ch in c if not ch.isspace())
        if not stripped.startswith("/") or stripped.startswith("//"):
            return default
        parts = urlsplit(stripped)
        if parts.scheme or parts.netloc:
            return default
        if re.match(r"^/*[A-Za-z][A-Za-z0-9+.-]*:", stripped):
            return default
    if any(ch.isspace() for ch in target):
        return default
    return target


# ------------------------------------------------------------------------------------------------ the gate


def require_login(app: Flask, password_hash: str | None, *, sessions: Sessions | None = None,
                  throttle: LoginThrottle | None = None) -> None:
    """Keep ``password_hash`` on ``app`` and, when it is set, ask for a login on every route but the login page
    and static files (JSON routes answer 401, pages redirect to the login)."""
    app.extensions[PASSWORD_HASH] = password_hash
    app.extensions[SESSIONS] = sessions if sessions is not None else Sessions()
    app.extensions[THROTTLE] = throttle if throttle is not None else LoginThrottle()

    @app.before_request
    def require_login() -> Any:
        if password_hash is None or request.endpoint in ("static", "pages.login"):
            return None
        if session.get("user") == "admin" and app.extensions[SESSIONS].touch(session.get("sid")):
            return None
        if session.get("user"):
            session.clear()  # expired or revoked: the cookie is reset too
        if request.path.startswith("/api/"):
            return jsonify(error="login required", status=401), 401
        target = safe_next(request.full_path.rstrip("?"), "") if request.method == "GET" else ""
        return redirect(url_for("pages.login", next=target or None))


def logged_in() -> bool:
    """Whether this request carries a live session (always True when no login is configured)."""
    if current_app.extensions.get(PASSWORD_HASH) is None:
        return True
    return session.get("user") == "admin" and current_app.extensions[SESSIONS].touch(session.get("sid"))


def check_password(app: Flask, password: str) -> bool:
    hashed = app.extensions.get(PASSWORD_HASH)
    if not hashed or not password:
        # compare anyway so timing does not tell whether a password is configured
        hmac.compare_digest("x", "y")
        return False
    return check_password_hash(hashed, password)


def client_key() -> str:
    return str(request.remote_addr or "unknown")


def login_page() -> Any:
    """The login route (``pages.login``): GET shows the form, POST checks the password (throttled)."""
    app = current_app
    error = None
    status = 200
    headers: dict[str, str] = {}
    if session.get("user") and not logged_in():
        session.clear()  # an expired or revoked session: the page shows nothing of a signed-in user
    if request.method == "POST":
        throttle: LoginThrottle = app.extensions[THROTTLE]
        client = client_key()
        # one try at a time: tries sent at once all passed wait_for() before the first failure was counted
        # (the hash takes a while), so a client got a guess per server thread per wait instead of one
        with _TRIES:
            wait = throttle.wait_for(client)
            ok = wait <= 0 and check_password(app, request.form.get("password", ""))
            if wait <= 0 and not ok:
                throttle.failed(client)
        if wait > 0:
            seconds = int(wait) + 1
            error = f"too many failed sign-ins: wait {seconds} s and try again"
            status = 429
            headers["Retry-After"] = str(seconds)
        elif ok:
            throttle.succeeded(client)
            sessions: Sessions = app.extensions[SESSIONS]
            sessions.revoke(session.get("sid"))
            session.clear()
            session["user"] = "admin"
            session["sid"] = sessions.create()
            return redirect(safe_next(request.args.get("next"), url_for("pages.integrations")))
        else:
            error = "wrong password"
            status = 401
    return render_template("login.html", error=error), status, headers


def logout() -> Any:
    """The logout route (``pages.logout``): the session is deleted on the server, its cookie is worthless."""
    current_app.extensions[SESSIONS].revoke(session.get("sid"))
    session.clear()
    return redirect(url_for("pages.login"))
