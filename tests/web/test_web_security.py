"""CSRF on every state-changing route, login when exposed, security headers, no secret anywhere."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from connector_host.web import create_app
from connector_host.web.auth import LoginThrottle
from web_helpers import csrf_token, form_for, wait_sync
from werkzeug.security import generate_password_hash

STATE_CHANGING = [
    ("post", "/integrations/new/okta"),
    ("post", "/integrations/{id}"),
    ("post", "/integrations/{id}/sync"),
    ("post", "/integrations/{id}/delete"),
    ("post", "/logout"),
    ("post", "/api/integrations"),
    ("put", "/api/integrations/{id}"),
    ("patch", "/api/integrations/{id}"),
    ("delete", "/api/integrations/{id}"),
    ("post", "/api/integrations/{id}/test"),
    ("post", "/api/integrations/{id}/sync"),
    ("post", "/api/test-connection"),
]


@pytest.mark.parametrize("method,url", STATE_CHANGING)
def test_csrf_is_required_on_every_state_changing_request(
    client: Any, configured: dict[str, Any], store: Any, method: str, url: str
) -> None:
    url = url.format(id=configured["id"])
    before = store.get_integration(configured["id"])
    for headers in ({}, {"X-CSRFToken": "forged"}):
        resp = getattr(client, method)(url, data={**form_for(configured["sandbox"]), "_connector": "okta"},
                                       headers=headers)
        assert resp.status_code == 400, (url, resp.status_code)
        assert "CSRF" in resp.get_data(as_text=True)
    after = store.get_integration(configured["id"])
    assert after == before and store.history(configured["id"]) == []


def test_api_json_without_csrf_header_is_refused(client: Any, configured: dict[str, Any]) -> None:
    resp = client.post("/api/integrations", json={"connector": "okta", "name": "x", "config": {}})
    assert resp.status_code == 400 and "CSRF" in resp.get_json()["error"]


def test_security_headers_on_pages_and_api(client: Any) -> None:
    for url in ("/integrations", "/api/connectors", "/static/app.js", "/nope"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/integrations/new/okta").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
    assert " style=" not in page and "onclick" not in page


@pytest.fixture
def locked(store: Any, registry: Any, secret_key: str) -> Any:
    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key},
                     password_hash=generate_password_hash("correct horse"), testing=True,
                     throttle=LoginThrottle(max_wait=0))  # no waits here: test_web_hardening pins them
    return app.test_client()


def test_login_is_required_when_a_password_is_set(locked: Any) -> None:
    resp = locked.get("/findings?severity=high")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert locked.get("/api/integrations").status_code == 401
    assert locked.get("/static/app.css").status_code == 200
    page = locked.get("/login").get_data(as_text=True)
    assert "Sign out" not in page and 'data-nav="findings"' not in page  # nothing but the login for strangers
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert locked.post("/login", data={"password": "correct horse"}).status_code == 400  # CSRF on the login too
    bad = locked.post("/login", data={"password": "wrong", "csrf_token": token})
    assert bad.status_code == 401 and "wrong password" in bad.get_data(as_text=True)
    assert locked.get("/api/integrations").status_code == 401
    ok = locked.post("/login?next=/findings", data={"password": "correct horse", "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"] == "/findings"
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert locked.get("/api/integrations").status_code == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', locked.get("/login").get_data(as_text=True)).group(1)
    evil = locked.post("/login?next=//evil.example/", data={"password": "correct horse", "csrf_token": token})
    assert evil.headers["Location"] == "/integrations"
    page = locked.get("/integrations").get_data(as_text=True)
    assert "Sign out" in page
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert locked.post("/logout", data={"csrf_token": token}).status_code == 302
    assert locked.get("/api/integrations").status_code == 401


def test_no_secret_in_any_page_response_or_log(
    client: Any, synced: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sb, iid, h = synced["sandbox"], synced["id"], {"X-CSRFToken": synced["csrf"]}
    bodies = []
    for url in ("/integrations", f"/integrations/{iid}", "/history", "/findings", "/assets", "/api/integrations",
                f"/api/integrations/{iid}", f"/api/integrations/{iid}/sync", "/api/history", "/api/findings",
                "/api/findings/summary", "/api/assets", "/api/connectors"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        bodies.append(resp.get_data(as_text=True))
    bodies.append(client.post(f"/api/integrations/{iid}/test", headers=h).get_data(as_text=True))
    bodies.append(client.post("/api/test-connection", data={**form_for(sb), "_connector": "okta"},
                              headers=h).get_data(as_text=True))
    bodies.append(client.post(f"/integrations/{iid}", data={**form_for(sb), "_action": "test",
                                                            "csrf_token": synced["csrf"]}).get_data(as_text=True))
    bodies.append(client.post(f"/integrations/{iid}", data={**form_for(sb, max_concurrency="x"),
                                                            "csrf_token": synced["csrf"]}).get_data(as_text=True))
    client.post(f"/api/integrations/{iid}/sync", headers=h)
    wait_sync(client, iid)
    for body in bodies:
        assert sb.token not in body
    assert sb.token not in caplog.text
    assert "encrypted" in bodies[1]  # the secret's state is shown, never its value


def test_secrets_need_an_encryption_key(store: Any, registry: Any, org_sandbox: Any) -> None:
    app = create_app(store, registry, env={}, testing=True)
    client = app.test_client()
    token = csrf_token(client)
    resp = client.post("/integrations/new/okta", data={**form_for(org_sandbox), "csrf_token": token})
    assert resp.status_code == 500 and "CONNECTOR_HOST_SECRET_KEY" in resp.get_data(as_text=True)
    assert store.list_integrations() == []
