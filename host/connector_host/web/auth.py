"""The page's login: the password hash an app keeps, the check against it, and the gate in front of every route.

``serve`` requires a password when bound to anything but loopback; without one every route is open.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, jsonify, redirect, request, session, url_for
from werkzeug.security import check_password_hash

PASSWORD_HASH = "connector_host_password"  # the key of the hash in ``app.extensions``


def require_login(app: Flask, password_hash: str | None) -> None:
    """Keep ``password_hash`` on ``app`` and, when it is set, ask for a login on every route but the login page
    and static files (JSON routes answer 401, pages redirect to the login)."""
    app.extensions[PASSWORD_HASH] = password_hash

    @app.before_request
    def require_login() -> Any:
        if password_hash is None or request.endpoint in ("static", "pages.login"):
            return None
        if session.get("user") == "admin":
            return None
        if request.path.startswith("/api/"):
            return jsonify(error="login required", status=401), 401
        return redirect(url_for("pages.login", next=request.full_path if request.method == "GET" else None))


def check_password(app: Flask, password: str) -> bool:
    hashed = app.extensions.get(PASSWORD_HASH)
    if not hashed or not password:
        # compare anyway so timing does not tell whether a password is configured
        hmac.compare_digest("x", "y")
        return False
    return check_password_hash(hashed, password)
