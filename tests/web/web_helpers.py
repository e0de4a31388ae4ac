"""Helpers of the web page tests (a module name of its own: every test folder has a conftest)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

EVIL = "<script>alert('x')</script>"


def evil_org(users: int = 10) -> Any:
    """A weak sandbox org in which one group and one user are named like an XSS payload."""
    from okta_sandbox.generator import generate

    org = generate("weak", users=users, seed=1)
    org.groups[-1]["profile"]["name"] = EVIL
    org.users[-1]["profile"]["login"] = "xss" + EVIL + "@example.com"
    org.users[-1]["profile"]["firstName"] = EVIL
    return org


def csrf_token(client: Any) -> str:
    page = client.get("/integrations").get_data(as_text=True)
    m = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert m, "no CSRF token in the page"
    return m.group(1)


def form_for(sb: Any, **extra: str) -> dict[str, str]:
    """The configure form as a browser would post it for the sandbox (API token branch)."""
    form = {
        "_name": "acme",
        "org_url": sb.url,
        "auth~": "0",
        "auth~0.token": sb.token,
        "_interval": "0",
        "allow_insecure_http_loopback": "on",
    }
    form.update(extra)
    return form


def wait_sync(client: Any, iid: int, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/integrations/{iid}/sync").get_json()
        if not status["running"] and status["last_sync"] and status["last_sync"]["status"] != "running":
            return status
        time.sleep(0.1)
    raise AssertionError("the sync did not end in time")


PASSWORD = "test-login-Kx7pQ2wZ"  # the login password of the pages ``start_serve`` runs


def start_serve(store: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Run ``connector-host serve --port 0`` (login password :data:`PASSWORD` unless ``env`` says otherwise) and
    return the process and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "connector_host.cli", "--store", str(store), "serve", "--port", "0", *extra],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "CONNECTOR_HOST_CONNECTORS": "okta",
             "CONNECTOR_HOST_WEB_PASSWORD": PASSWORD, **(env or {})},
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        m = re.search(r"on (http://127\.0\.0\.1:\d+)/", line)
        if m:
            # keep draining stderr (request logs): a full pipe would block the server
            proc.log = lines  # type: ignore[attr-defined]
            threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
            return proc, m.group(1)
        if len(lines) > 20:
            break
    proc.kill()
    raise AssertionError("serve did not start: " + "".join(lines))


def login_opener(base: str, password: str = PASSWORD) -> Any:
    """A urllib opener signed in to the page at ``base`` (cookies kept)."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + "/login", timeout=10) as resp:
        token = re.search(r'name="csrf-token" content="([^"]+)"', resp.read().decode()).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"password": password, "csrf_token": token}).encode()
    with opener.open(urllib.request.Request(base + "/login", data=data, headers={"Origin": base}), timeout=10) as resp:
        assert "/login" not in resp.url, "the login failed"
    return opener
