"""A second attack pass on the page after issue 15 (variants of the fixed items): each test failed before its fix.

* A write whose ``Origin`` is another port of the loopback address the page is bound to passed the Origin check
  (``serve`` names its bound address as an allowed host, and allowed hosts matched on any port).
* A JSON body nested deeper than Python's recursion limit made the JSON API answer 500 (``RecursionError``).
* The downloaded HTML report put the integration's name in its footer unescaped.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from connector_host.web import create_app


def _token(client: Any, host: str) -> str:
    page = client.get("/integrations", headers={"Host": host}).get_data(as_text=True)
    m = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert m
    return m.group(1)


@pytest.fixture
def served(store: Any, registry: Any, secret_key: str) -> Any:
    """The app as ``serve`` makes it on 127.0.0.1 (the bound address is an allowed host), plus a proxy's name."""
    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key}, testing=True,
                     allowed_hosts=["127.0.0.1", "hosts.example"])
    yield app
    app.extensions["connector_host"].jobs.join(30)


@pytest.mark.parametrize("origin", ["http://127.0.0.1:9999", "http://127.0.0.1", "http://localhost:8080",
                                    "http://[::1]:8080", "http://127.0.0.2:8080"])
def test_a_write_from_another_loopback_port_is_refused(served: Any, origin: str) -> None:
    client = served.test_client()
    host = "127.0.0.1:8080"
    token = _token(client, host)
    resp = client.post("/api/integrations", json={"connector": "okta"},
                       headers={"Host": host, "Origin": origin, "X-CSRFToken": token})
    assert resp.status_code == 403, resp.get_json()
    resp = client.post("/api/integrations", json={"connector": "okta"},
                       headers={"Host": host, "Referer": origin + "/integrations", "X-CSRFToken": token})
    assert resp.status_code == 403, resp.get_json()


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8080", "https://hosts.example", "http://hosts.example:8443"])
def test_a_write_from_the_page_itself_or_its_proxy_name_passes_the_origin_check(served: Any, origin: str) -> None:
    client = served.test_client()
    host = "127.0.0.1:8080"
    token = _token(client, host)
    resp = client.post("/api/integrations", json={"connector": "okta", "name": "x", "config": {}},
                       headers={"Host": host, "Origin": origin, "X-CSRFToken": token})
    assert resp.status_code == 422, resp.get_json()  # judged on its content: the Origin was accepted


@pytest.mark.parametrize("route", ["/api/integrations", "/api/test-connection"])
def test_a_deeply_nested_json_body_is_a_bad_request(client: Any, route: str) -> None:
    token = _token(client, "localhost")
    body = "[" * 50_000 + "]" * 50_000  # past the parser's recursion limit
    resp = client.post(route, data=body, headers={"Content-Type": "application/json", "X-CSRFToken": token})
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["status"] == 400
    # just under it: parsed, then the copies and the validation of the config recursed too deep (a 500)
    deep: Any = "x"
    for _ in range(700):
        deep = {"a": deep}
    resp = client.post(route, json={"connector": "okta", "name": "n",
                                    "config": {"org_url": "https://acme.okta.com", "check_overrides": deep}},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]


def test_the_report_escapes_the_integration_name(client: Any, store: Any) -> None:
    integ = store.add_integration("<script>alert(1)</script>", "okta", {"org_url": "https://acme.okta.com"})
    resp = client.get(f"/report?integration={integ.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_concurrent_guesses_do_not_slip_past_the_login_throttle(store: Any, registry: Any, secret_key: str) -> None:
    """Tries sent at once all passed the throttle's check before the first failure was counted (the password hash
    takes a while): a client got as many guesses as the server has threads per wait instead of one."""
    import threading

    from connector_host.web.auth import LoginThrottle
    from werkzeug.security import generate_password_hash

    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key}, testing=True,
                     password_hash=generate_password_hash("correct horse battery"), throttle=LoginThrottle())
    app.config["WTF_CSRF_ENABLED"] = False
    checked: list[int] = []
    import connector_host.web.auth as auth

    real = auth.check_password

    def slow_check(a: Any, password: str) -> bool:
        checked.append(1)
        threading.Event().wait(0.3)  # a slow hash: the window the guesses raced through
        return real(a, password)

    statuses: list[int] = []
    try:
        auth.check_password = slow_check
        threads = [threading.Thread(target=lambda: statuses.append(
            app.test_client().post("/login", data={"password": "wrong guess"},
                                   environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        auth.check_password = real
    assert sorted(statuses) == [401, 429, 429, 429, 429, 429], statuses
    assert len(checked) == 1


@pytest.mark.parametrize("proxy", ["http://u:Zq9pw@proxy.invalid:3128", "http://u:Zq9p@ss@proxy.invalid:3128",
                                   "http://Zq9token@proxy.invalid:3128", "socks5h://u:Zq9%40pw@proxy.invalid:1080"])
def test_a_refused_proxy_url_is_never_quoted_with_its_login(client: Any, proxy: str) -> None:
    """The schema's pattern error quoted the whole https_proxy value, password included, in the JSON API's errors
    and the configure page."""
    token = _token(client, "localhost")
    config = {"org_url": "https://acme.okta.com", "auth": {"method": "api_token", "token": "00abcdefghijklmnop"},
              "https_proxy": proxy}
    for route in ("/api/integrations", "/api/test-connection"):
        resp = client.post(route, json={"connector": "okta", "name": "p", "config": config},
                           headers={"X-CSRFToken": token})
        text = resp.get_data(as_text=True)
        assert "https_proxy" in text, text
        assert "Zq9" not in text and "00abcdefghijklmnop" not in text, text
    form = {"_name": "p", "org_url": "https://acme.okta.com", "auth~": "0", "auth~0.token": "00abcdefghijklmnop",
            "https_proxy": proxy, "csrf_token": token, "_action": "save"}
    page = client.post("/integrations/new/okta", data=form).get_data(as_text=True)
    assert "does not match" in page or "https_proxy" in page
    assert not re.search(r"field-error[^<]*Zq9", page), "the field's error quotes the proxy login"


def test_a_key_file_readable_by_others_is_made_private(tmp_path: Any) -> None:
    """``<store>.key`` decrypts every secret typed into the page; one left readable by others (copied, restored
    from a backup) was used as it was, while the store next to it is made 0600."""
    import os
    import stat

    from connector_host.web.serve import secret_env

    key = tmp_path / "store.db.key"
    key.write_text("x" * 44 + "\n")
    os.chmod(key, 0o644)
    env, notice = secret_env(tmp_path / "store.db", {})
    assert env["CONNECTOR_HOST_SECRET_KEY_FILE"] == str(key) and notice is None
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_forwarded_headers_do_not_make_a_new_client_for_the_throttle(store: Any, registry: Any, secret_key: str) -> None:
    """Held (pinned): the throttle's client is the connection's address, never X-Forwarded-For / X-Real-IP /
    Forwarded, which any client can set."""
    from connector_host.web.auth import LoginThrottle
    from werkzeug.security import generate_password_hash

    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key}, testing=True,
                     password_hash=generate_password_hash("correct horse battery"), throttle=LoginThrottle())
    app.config["WTF_CSRF_ENABLED"] = False
    c = app.test_client()
    env = {"REMOTE_ADDR": "10.0.0.9"}
    assert c.post("/login", data={"password": "wrong guess"}, environ_base=env).status_code == 401
    for i, header in enumerate(("X-Forwarded-For", "X-Real-IP", "Forwarded", "Client-IP")):
        resp = c.post("/login", data={"password": "correct horse battery"}, environ_base=env,
                      headers={header: f"10.9.9.{i}" if header != "Forwarded" else f"for=10.9.9.{i}"})
        assert resp.status_code == 429, header


@pytest.mark.parametrize("host", ["localhost.", "127.0.0.1.", "127.1", "0x7f000001", "2130706433", "[::ffff:127.0.0.1]",
                                  "[0:0:0:0:0:0:0:1]", "evil.localhost", "localhost:80@evil.example", "localhost,evil",
                                  "evil.example#localhost"])
def test_host_header_variants_are_refused(client: Any, host: str) -> None:
    """Held (pinned): names a rebinding page could get a browser to send that only look like loopback."""
    assert client.get("/integrations", headers={"Host": host}).status_code == 421


def test_a_connector_icon_keeps_its_sandboxing_policy(client: Any) -> None:
    """The icon route sets ``sandbox`` and no script in its CSP (an SVG opened as a document), but the app-wide
    header replaced it with the page's policy, which lets an SVG load scripts from the site."""
    resp = client.get("/connectors/okta/icon")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    csp = resp.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp
    for path in ("/static/../app.py", "/static/..%2fapp.py", "/static/..%5capp.py", "/connectors/..%2f..%2fetc/icon"):
        assert client.get(path).status_code == 404, path  # held (pinned): no path traversal
    assert "sandbox" not in client.get("/integrations").headers["Content-Security-Policy"]
