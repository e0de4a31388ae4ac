"""Fixtures of the web page tests: a store, the installed Okta connector, a sandbox org, the Flask app."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

flask = pytest.importorskip("flask")

from connector_host.loader import Registry, load_connectors  # noqa: E402
from connector_host.store import Store  # noqa: E402
from connector_host.web import create_app  # noqa: E402

EVIL = "<script>alert('x')</script>"


def evil_org(users: int = 10) -> Any:
    """A weak sandbox org in which one group, one app and one user are named like an XSS payload."""
    from okta_sandbox.generator import generate

    org = generate("weak", users=users, seed=1)
    org.groups[-1]["profile"]["name"] = EVIL
    org.users[-1]["profile"]["login"] = "xss" + EVIL + "@example.com"
    org.users[-1]["profile"]["firstName"] = EVIL
    return org


@pytest.fixture
def org_sandbox(sandbox: Callable[..., Any]) -> Any:
    """A started sandbox (no rate limits, so syncs take well under a second)."""
    return sandbox(org=evil_org(), rate_limits=None)


@pytest.fixture
def registry() -> Registry:
    reg = load_connectors(allow="okta")
    assert "okta" in reg, reg.failures
    return reg


@pytest.fixture
def secret_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store.db")
    yield s
    s.close()


@pytest.fixture
def app(store: Store, registry: Registry, secret_key: str) -> Any:
    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key}, testing=True)
    assert app.config.get("WTF_CSRF_ENABLED", True)
    yield app
    app.extensions["connector_host"].jobs.join(30)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


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


@pytest.fixture
def configured(client: Any, org_sandbox: Any, store: Store) -> dict[str, Any]:
    """An integration saved through the configure form; returns its id and the sandbox."""
    token = csrf_token(client)
    resp = client.post("/integrations/new/okta", data={**form_for(org_sandbox), "csrf_token": token, "_action": "save"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    integ = store.get_integration("acme")
    return {"id": integ.id, "sandbox": org_sandbox, "csrf": token}


@pytest.fixture
def synced(client: Any, configured: dict[str, Any]) -> dict[str, Any]:
    """``configured``, after one sync started through the JSON API."""
    resp = client.post(f"/api/integrations/{configured['id']}/sync", headers={"X-CSRFToken": configured["csrf"]})
    assert resp.status_code == 202, resp.get_json()
    status = wait_sync(client, configured["id"])
    assert status["last_sync"]["status"] in ("succeeded", "partial"), status
    return {**configured, "status": status}
