"""Fixtures of the web page tests: a store, the installed Okta connector, a sandbox org, the Flask app.

The tests that sync a sandbox org through the page (``configured`` / ``synced``: the sync, History, the findings
and assets views and their search, exports) run on both store backends, SQLite and PostgreSQL (a fresh schema per
test, dropped after; skipped where PostgreSQL is absent, failing under CI=true: tests/services.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

flask = pytest.importorskip("flask")

from connector_host.loader import Registry, load_connectors  # noqa: E402
from connector_host.store import Store  # noqa: E402
from connector_host.web import create_app  # noqa: E402
from services import pg_store_url  # noqa: E402
from web_helpers import csrf_token, evil_org, form_for, wait_sync  # noqa: E402

BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"configured", "synced"} & set(metafunc.fixturenames) and "store_backend" in metafunc.fixturenames:
        metafunc.parametrize("store_backend", BACKENDS, indirect=True)


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


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
def store(tmp_path: Path, store_backend: str) -> Iterator[Store]:
    if store_backend == "postgresql":
        with pg_store_url("web") as url:
            s = Store(url)
            yield s
            s.close()
        return
    s = Store(tmp_path / "store.db")
    yield s
    s.close()


@pytest.fixture
def app(store: Store, registry: Registry, secret_key: str) -> Any:
    # the sandbox speaks plain http on loopback: the developer option must be offered
    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key}, testing=True,
                     dev_allow_insecure_loopback=True)
    assert app.config.get("WTF_CSRF_ENABLED", True)
    yield app
    app.extensions["connector_host"].jobs.join(30)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()








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
