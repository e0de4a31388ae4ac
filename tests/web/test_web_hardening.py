"""Security hardening of the page (issue 15, host side): stored secrets never re-targeted, Host and Origin
checks against DNS rebinding and cross-site writes, the developer-only plain-http option, the login (strong
password, throttling, expiring and revocable sessions), the ``next`` target after a login, and link arguments
``url_for`` must never see."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from connector_host.cli import main
from connector_host.service import ConfigInputError, HostService, destination_paths
from connector_host.web import create_app
from connector_host.web.auth import LoginThrottle, Sessions, generate_password, password_problem, safe_next
from listeners import CountingListener
from web_helpers import csrf_token, form_for
from werkzeug.security import generate_password_hash

# ------------------------------------------------------------------------------------------ a listener


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    lst = CountingListener()
    yield lst
    lst.close()


# ------------------------------------------------------------------------------------------ 1. re-targeting


def test_destination_fields_of_the_okta_schema(registry: Any) -> None:
    paths = {".".join(p) for p in destination_paths(registry.get("okta").config_schema())}
    assert {"org_url", "https_proxy", "allow_insecure_http_loopback"} <= paths
    assert not paths & {"auth.token", "auth.private_key", "proxy_password", "check_profile", "max_concurrency"}


def test_test_connection_with_a_new_org_url_never_uses_the_stored_token(
    client: Any, configured: dict[str, Any], listener: CountingListener
) -> None:
    """The old behaviour: the stored token went to any org_url the request named."""
    h = {"X-CSRFToken": configured["csrf"]}
    resp = client.post("/api/test-connection", headers=h,
                       json={"integration": configured["id"], "config": {"org_url": listener.url}})
    result = resp.get_json()["result"]
    assert result["status"] == "failed" and result["failure_kind"] == "config"
    assert "org_url" in result["message"] and "auth.token" in result["message"]
    assert "enter" in result["message"]
    # the same through the form fields the page posts (secret field left empty)
    form = {**form_for(configured["sandbox"]), "_integration": str(configured["id"]), "org_url": listener.url,
            "auth~0.token": ""}
    result = client.post("/api/test-connection", data=form, headers=h).get_json()["result"]
    assert result["status"] == "failed" and "auth.token" in result["message"]
    assert listener.connections == 0  # nothing, not even a connection, reached the new address


@pytest.mark.parametrize("change", [
    {"org_url": "LISTENER"},
    {"https_proxy": "http://127.0.0.1:9"},
    {"proxy_username": "someone"},
    {"allow_insecure_http_loopback": ""},  # unticked
])
def test_saving_a_changed_destination_needs_the_secret_again(
    client: Any, configured: dict[str, Any], store: Any, listener: CountingListener, change: dict[str, str]
) -> None:
    sb = configured["sandbox"]
    before = store.get_integration(configured["id"]).config
    change = {k: (listener.url if v == "LISTENER" else v) for k, v in change.items()}
    if "proxy_username" in change and "proxy_username" not in registry_props(client):
        pytest.skip("the connector's schema has no proxy_username")
    form = {**form_for(sb), "csrf_token": configured["csrf"], "auth~0.token": "", "_action": "save", **change}
    if change.get("allow_insecure_http_loopback") == "":
        del form["allow_insecure_http_loopback"]
    resp = client.post(f"/integrations/{configured['id']}", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422, page[:3000]
    assert "enter auth.token again" in page
    assert store.get_integration(configured["id"]).config == before
    # the JSON API: PATCH with only the new value
    key = next(iter(change))
    value: Any = change[key] or False
    resp = client.patch(f"/api/integrations/{configured['id']}", headers={"X-CSRFToken": configured["csrf"]},
                        json={"config": {key: value}})
    body = resp.get_json()
    assert resp.status_code == 422 and "auth~0.token" in body["errors"], body
    assert any("auth.token" in g for g in body["general"])
    assert store.get_integration(configured["id"]).config == before
    assert listener.connections == 0


def registry_props(client: Any) -> set[str]:
    return set(client.get("/api/connectors/okta/schema").get_json()["properties"])


def test_the_token_entered_again_goes_to_the_new_org(
    client: Any, configured: dict[str, Any], store: Any, sandbox: Any
) -> None:
    other = sandbox("weak", users=12, seed=3, rate_limits=None)
    h = {"X-CSRFToken": configured["csrf"]}
    resp = client.post("/api/test-connection", headers=h, json={
        "integration": configured["id"], "config": {"org_url": other.url, "auth": {"method": "api_token",
                                                                                   "token": other.token}}})
    assert resp.get_json()["result"]["status"] == "succeeded", resp.get_json()
    # unchanged destination: the stored secret is kept as before (left empty in the form)
    form = {**form_for(configured["sandbox"]), "csrf_token": configured["csrf"], "auth~0.token": "",
            "_action": "save", "check_profile": "stig"}
    assert client.post(f"/integrations/{configured['id']}", data=form).status_code == 302
    assert store.get_integration(configured["id"]).config["check_profile"] == "stig"


def test_the_cli_and_the_service_refuse_a_new_destination_with_an_old_secret(
    tmp_path: Any, registry: Any, org_sandbox: Any, monkeypatch: pytest.MonkeyPatch, listener: CountingListener
) -> None:
    monkeypatch.setenv("OKTA_TOKEN_T", org_sandbox.token)
    path = str(tmp_path / "cli.db")

    def run(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--store", path, *argv], registry=registry, stdout=out, stderr=err)
        return code, out.getvalue() + err.getvalue()

    code, text = run("add", "acme", "--connector", "okta", "--set", f"org_url={org_sandbox.url}",
                     "--set", "allow_insecure_http_loopback=true", "--set", "auth.method=api_token",
                     "--secret-env", "auth.token=OKTA_TOKEN_T")
    assert code == 0, text
    code, text = run("edit", "acme", "--set", f"org_url={listener.url}")
    assert code == 2 and "org_url changed" in text and "auth.token" in text and "--secret-prompt" in text, text
    code, text = run("edit", "acme", "--set", "https_proxy=http://127.0.0.1:9")
    assert code == 2 and "https_proxy" in text, text
    code, text = run("test", "acme")
    assert code == 0, text  # still the stored org
    assert listener.connections == 0
    # entering the secret again (even as the same reference) confirms it
    code, text = run("edit", "acme", "--set", "check_profile=stig", "--set", f"org_url={org_sandbox.url}/")
    assert code == 0, text  # a trailing slash is the same address
    code, text = run("edit", "acme", "--set", f"org_url={listener.url}", "--secret-env", "auth.token=OKTA_TOKEN_T")
    assert code == 0, text
    # the service layer, as any other front end would call it
    from connector_host.store import Store

    with Store(path) as store:
        service = HostService(store, registry)
        integ = store.get_integration("acme")
        config = {**integ.config, "org_url": org_sandbox.url}
        with pytest.raises(ConfigInputError, match="auth.token"):
            service.save_integration("acme", "okta", config, existing=integ.id)


# ------------------------------------------------------------------------------------------ 1. Host and Origin


def test_a_foreign_host_header_is_refused(client: Any, store: Any, registry: Any, secret_key: str) -> None:
    """DNS rebinding: evil.example resolving to 127.0.0.1 sends ``Host: evil.example``."""
    for host in ("evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example"):
        resp = client.get("/integrations", headers={"Host": host})
        assert resp.status_code == 421, host
        assert client.get("/api/integrations", headers={"Host": host}).status_code == 421
    for host in ("localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "LOCALHOST"):
        assert client.get("/integrations", headers={"Host": host}).status_code == 200, host
    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key}, testing=True,
                     allowed_hosts=["posture.example.org"])
    other = app.test_client()
    assert other.get("/integrations", headers={"Host": "posture.example.org:443"}).status_code == 200
    assert other.get("/integrations", headers={"Host": "evil.example"}).status_code == 421
    # behind a reverse proxy that sends Host 127.0.0.1:8080, the public origin is still this site
    behind = {"Host": "127.0.0.1:8080", "Origin": "https://posture.example.org"}
    assert other.post("/api/integrations", headers=behind, json={}).status_code == 400  # CSRF token, not Origin
    behind["Origin"] = "https://evil.example"
    assert other.post("/api/integrations", headers=behind, json={}).status_code == 403


def test_a_write_from_another_origin_is_refused(client: Any, configured: dict[str, Any], store: Any) -> None:
    iid, h = configured["id"], {"X-CSRFToken": configured["csrf"]}
    before = store.get_integration(iid)
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Origin": "http://localhost:9999"},  # another port is another origin
                    {"Referer": "http://evil.example/page"}):
        resp = client.post(f"/api/integrations/{iid}/sync", headers={**h, **headers})
        assert resp.status_code == 403 and "another site" in resp.get_json()["error"], headers
        resp = client.post(f"/integrations/{iid}/delete", data={"csrf_token": configured["csrf"]}, headers=headers)
        assert resp.status_code == 403, headers
    assert store.get_integration(iid) == before and store.history(iid) == []
    # the page's own origin (what a browser sends with Referrer-Policy: same-origin) passes
    resp = client.post("/api/test-connection", headers={**h, "Origin": "http://localhost"},
                       json={"integration": iid, "config": {}})
    assert resp.status_code == 200
    assert client.get("/integrations").headers["Referrer-Policy"] == "same-origin"


# ------------------------------------------------------------------------------------------ 1. developer option


def test_the_plain_http_option_is_offered_only_in_developer_mode(store: Any, registry: Any, secret_key: str) -> None:
    env = {"CONNECTOR_HOST_SECRET_KEY": secret_key}
    plain = create_app(store, registry, env=env, testing=True).test_client()
    page = plain.get("/integrations/new/okta").get_data(as_text=True)
    assert "allow_insecure_http_loopback" not in page and "Allow plain http" not in page
    token = csrf_token(plain)
    resp = plain.post("/api/integrations", headers={"X-CSRFToken": token}, json={
        "connector": "okta", "name": "x", "config": {"org_url": "http://127.0.0.1:1", "allow_insecure_http_loopback": True,
                                                     "auth": {"method": "api_token", "token": "0" * 40}}})
    assert resp.status_code == 422 and "--dev-allow-insecure-loopback" in resp.get_json()["error"]
    # posting the field anyway does not switch it on: plain http stays refused
    resp = plain.post("/integrations/new/okta", data={
        "_name": "y", "org_url": "http://127.0.0.1:1", "auth~": "0", "auth~0.token": "0" * 40, "_interval": "0",
        "allow_insecure_http_loopback": "on", "csrf_token": token})
    assert resp.status_code == 302
    assert store.get_integration("y").config.get("allow_insecure_http_loopback") in (None, False)
    dev = create_app(store, registry, env=env, testing=True, dev_allow_insecure_loopback=True).test_client()
    assert "allow_insecure_http_loopback" in dev.get("/integrations/new/okta").get_data(as_text=True)


# ------------------------------------------------------------------------------------------ 7. login


@pytest.mark.parametrize("weak", ["a", "correct", "aaaaaaaaaaaaaaaa", "abcabcabcabcabc", "1234567890ab",
                                  "qwertyuiop12", "Password1234!", "P@ssw0rd2024!", "123412341234"])
def test_weak_passwords_are_refused(weak: str) -> None:
    assert password_problem(weak), weak


@pytest.mark.parametrize("strong", ["correct horse battery", "s3cret-pass-phrase", "Kx7pQ2wZ-test-login"])
def test_strong_passwords_pass(strong: str) -> None:
    assert password_problem(strong) is None
    assert password_problem(generate_password()) is None


def test_serve_refuses_a_weak_password(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_HOST_WEB_PASSWORD", "a")
    err = io.StringIO()
    code = main(["--store", str(tmp_path / "s.db"), "serve", "--port", "0"], stdout=io.StringIO(), stderr=err)
    assert code == 2 and "at least 12 characters" in err.getvalue()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guarded(store: Any, registry: Any, secret_key: str, clock: Clock) -> Any:
    app = create_app(store, registry, env={"CONNECTOR_HOST_SECRET_KEY": secret_key},
                     password_hash=generate_password_hash("correct horse battery"), testing=True,
                     sessions=Sessions(idle=600, absolute=3600, clock=clock),
                     throttle=LoginThrottle(global_free=5, clock=clock))
    return app


def _login(client: Any, password: str, addr: str = "10.0.0.1") -> Any:
    page = client.get("/login", environ_base={"REMOTE_ADDR": addr}).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return client.post("/login", data={"password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": addr})


def test_failed_logins_wait_longer_and_longer(guarded: Any, clock: Clock) -> None:
    c = guarded.test_client()
    assert _login(c, "wrong").status_code == 401
    # right away: refused without checking, even the right password
    resp = _login(c, "correct horse battery")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    clock.t += 1.1
    assert _login(c, "wrong").status_code == 401  # 2nd failure: 2 s
    clock.t += 1.1
    assert _login(c, "correct horse battery").status_code == 429
    clock.t += 1.0
    assert _login(c, "wrong").status_code == 401  # 3rd: 4 s
    clock.t += 3.0
    assert _login(c, "correct horse battery").status_code == 429
    clock.t += 1.1
    assert _login(c, "correct horse battery").status_code == 302
    # another client is not slowed by this one
    assert _login(guarded.test_client(), "wrong", addr="10.0.0.2").status_code == 401


def test_failed_logins_from_many_clients_slow_everyone(guarded: Any, clock: Clock) -> None:
    for i in range(5):  # global_free
        assert _login(guarded.test_client(), "wrong", addr=f"10.1.0.{i}").status_code == 401
    assert _login(guarded.test_client(), "wrong", addr="10.1.1.1").status_code == 401
    resp = _login(guarded.test_client(), "correct horse battery", addr="10.9.9.9")  # a newcomer waits too
    assert resp.status_code == 429
    clock.t += 2
    assert _login(guarded.test_client(), "correct horse battery", addr="10.9.9.9").status_code == 302


def test_a_cookie_stops_working_after_logout(guarded: Any) -> None:
    c = guarded.test_client()
    assert _login(c, "correct horse battery").status_code == 302
    cookie = c.get_cookie("connector_host_session").value
    assert c.get("/api/integrations").status_code == 200
    page = c.get("/integrations").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert c.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = guarded.test_client()
    thief.set_cookie("connector_host_session", cookie)
    assert thief.get("/api/integrations").status_code == 401  # the copied cookie is worthless now
    assert "Sign out" not in thief.get("/login").get_data(as_text=True)


def test_sessions_expire_when_idle_and_absolutely(guarded: Any, clock: Clock) -> None:
    c = guarded.test_client()
    assert _login(c, "correct horse battery").status_code == 302
    clock.t += 599
    assert c.get("/api/integrations").status_code == 200
    clock.t += 601  # idle more than 600 s
    assert c.get("/api/integrations").status_code == 401
    assert _login(c, "correct horse battery").status_code == 302
    for _ in range(8):  # used every 500 s, but 3600 s after the login it ends
        clock.t += 500
        status = c.get("/api/integrations").status_code
    assert status == 401


def test_serve_without_a_password_makes_one_and_prints_it_once(tmp_path: Any) -> None:
    from web_helpers import login_opener, start_serve

    proc, base = start_serve(tmp_path / "store.db", "--no-scheduler", env={"CONNECTOR_HOST_WEB_PASSWORD": ""})
    try:
        log = "".join(proc.log)  # type: ignore[attr-defined]
        m = re.search(r"login password \(made for this run, shown once[^:]*\): (\S+)", log)
        assert m, log
        assert password_problem(m.group(1)) is None
        with login_opener(base, m.group(1)).open(base + "/api/integrations", timeout=10) as resp:
            assert resp.status == 200
        import urllib.error
        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/api/integrations", timeout=10)
        assert e.value.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ------------------------------------------------------------------------------------------ 9. next


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/\t/evil.example", "//evil.example", "/\\evil.example", "\\/evil.example",
    "https://evil.example/", "javascript:alert(1)", "/%2F/evil.example", "/%252F%252Fevil.example",
    "/ /evil.example", "/\n/evil.example", "%2F%2Fevil.example", "/x\x00", "evil.example", "",
    "/%5Cevil.example", "/javascript:alert(1)",
])
def test_only_local_paths_are_followed_after_login(target: str) -> None:
    assert safe_next(target, "/integrations") == "/integrations"


@pytest.mark.parametrize("target", ["/findings?severity=high", "/assets?type=user&q=a%20b", "/integrations/3"])
def test_local_paths_are_followed_after_login(target: str) -> None:
    assert safe_next(target, "/integrations") == target


def test_login_next_with_an_encoded_tab_stays_on_the_site(guarded: Any) -> None:
    """The old check let ``next=/%09/evil.example`` through: browsers drop the tab and go to //evil.example."""
    c = guarded.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
    resp = c.post("/login?next=/%09/evil.example", data={"password": "correct horse battery", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/integrations"


# ------------------------------------------------------------------------------------------ 13. url_for arguments


@pytest.mark.parametrize("arg", ["_anchor=x%22", "_method=POST", "_scheme=javascript", "_external=1",
                                 "_external=1&_scheme=https", "_external_host=evil.example"])
@pytest.mark.parametrize("page", ["/findings", "/assets"])
def test_url_for_arguments_in_the_query_are_ignored(client: Any, synced: dict[str, Any], page: str, arg: str) -> None:
    resp = client.get(f"{page}?{arg}&integration={synced['id']}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    body = resp.get_data(as_text=True)
    hrefs = re.findall(r'href="([^"]*)"', body) + re.findall(r'data-href="([^"]*)"', body)
    assert hrefs
    for h in hrefs:
        assert not re.match(r"^[a-z]+:", h) and not h.startswith("//"), h
        assert "_anchor" not in h and "_external" not in h and "#x" not in h, h


# ------------------------------------------------------------------------------------------ 8. the server


def test_serve_runs_waitress_quietly_and_logs_requests_on_demand(tmp_path: Any) -> None:
    """The old ``serve`` ran Werkzeug's development server, which logs every request."""
    import time

    from web_helpers import login_opener, start_serve

    proc, base = start_serve(tmp_path / "store.db", "--no-scheduler")
    try:
        opener = login_opener(base)
        with opener.open(base + "/api/integrations", timeout=10) as resp:
            assert resp.headers["Server"] == "connector-host"  # waitress (ident), not Werkzeug
        page = opener.open(base + "/integrations/new/okta", timeout=10).read().decode()
        assert "allow_insecure_http_loopback" not in page  # not offered without the developer flag
        time.sleep(0.3)
        log = "".join(proc.log)  # type: ignore[attr-defined]
        assert "/api/integrations" not in log and "Werkzeug" not in log and "GET " not in log, log
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    proc, base = start_serve(tmp_path / "store.db", "--no-scheduler", "--access-log", "--dev-allow-insecure-loopback")
    try:
        opener = login_opener(base)
        opener.open(base + "/api/integrations?q=secret-looking", timeout=10).read()
        page = opener.open(base + "/integrations/new/okta", timeout=10).read().decode()
        assert "allow_insecure_http_loopback" in page
        time.sleep(0.3)
        log = "".join(proc.log)  # type: ignore[attr-defined]
        assert re.search(r"GET /api/integrations 200 ", log), log
        assert "secret-looking" not in log  # the query string is never logged
    finally:
        proc.terminate()
        proc.wait(timeout=10)
