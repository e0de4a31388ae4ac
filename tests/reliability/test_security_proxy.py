"""Issue 15, item 3: the proxy's password is a secret like the token.

``https_proxy=http://user:pass@host`` used to be a plain config value: the host stored it in clear and showed it.
Now the schema carries the login in ``proxy_username`` and ``proxy_password`` (``"secret": true``, so the host
keeps it as a reference or ciphertext and masks it), ``https_proxy`` refuses user info with a message naming those
fields, and the connector redacts the password from reprs, ``redacted()`` and error messages. The host's schema-
generic handling is checked through its CLI: no output shows the password."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from connector_host import cli
from connector_host.config_secrets import Redactor, mask_config
from security_servers import TOKEN, AuthProxy, FakeOrg, json_answer

from connector_okta.client import OktaClient
from connector_okta.client.errors import ConfigError
from connector_okta.config import SECRET_FIELDS, Secret, config_schema, load_config
from connector_okta.connection import test_connection as okta_test_connection

PASSWORD = "Zq9:p@ss/w%rd"  # every character that must be percent-encoded in a URL's user info
USER = "svc proxy"


@pytest.fixture(autouse=True)
def no_env_proxies(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def base(**extra):
    cfg = {"org_url": "https://acme.okta.com", "auth": {"method": "api_token", "token": TOKEN}}
    cfg.update(extra)
    return cfg


def test_the_schema_marks_the_proxy_password_secret_and_refuses_credentials_in_the_url():
    props = config_schema()["properties"]
    assert props["proxy_password"]["secret"] is True and props["proxy_password"]["writeOnly"] is True
    assert "proxy_username" in props and not props["proxy_username"].get("secret")
    assert "proxy_password" in SECRET_FIELDS


@pytest.mark.parametrize("url", ["http://user:Zq9secret@proxy.local:3128", "http://Zq9secret@proxy.local:3128",
                                 "socks5h://u:Zq9secret@proxy.local:1080"])
def test_credentials_in_https_proxy_are_refused_with_a_message_naming_the_fields(url):
    with pytest.raises(ConfigError) as info:
        load_config(base(https_proxy=url))
    message = str(info.value)
    assert "proxy_username" in message and "proxy_password" in message
    assert "Zq9secret" not in message and "Zq9secret" not in repr(info.value)
    result = okta_test_connection(base(https_proxy=url))
    assert result["failure_kind"] == "config" and "Zq9secret" not in json.dumps(result)


def test_the_proxy_password_never_shows_in_the_config_objects():
    cfg = load_config(base(https_proxy="http://proxy.local:3128", proxy_username=USER, proxy_password=PASSWORD))
    assert isinstance(cfg.proxy_password, Secret) and cfg.proxy_password.reveal() == PASSWORD
    shown = [repr(cfg), str(cfg), json.dumps(cfg.redacted())]
    with OktaClient(cfg, verify_org=False) as client:
        shown += [repr(client), str(client)]
        # requests logs in with the URL's user info: percent-encoded, so ':' '@' '/' '%' in it stay unambiguous
        assert client._session.proxies["https"] == "http://svc%20proxy:Zq9%3Ap%40ss%2Fw%25rd@proxy.local:3128"
    assert cfg.redacted()["proxy_password"] == "***" and cfg.redacted()["proxy_username"] == USER
    for text in shown:
        assert PASSWORD not in text and "Zq9%3Ap%40ss" not in text and "Zq9" not in text


@pytest.mark.parametrize("extra", [{"proxy_username": "u"}, {"proxy_password": "Zq9pw"},
                                   {"https_proxy": "http://p:1", "proxy_password": "Zq9pw"}])
def test_half_a_proxy_login_is_a_clear_config_error(extra):
    with pytest.raises(ConfigError) as info:
        load_config(base(**extra))
    assert "proxy" in str(info.value) and "Zq9pw" not in str(info.value)


def test_the_connector_logs_in_to_its_proxy_and_no_message_shows_the_password():
    org, proxy = FakeOrg(), AuthProxy(USER, PASSWORD)
    try:
        org.route("/api/v1/users", lambda req: json_answer([{"id": "00u1"}]))
        cfg = load_config(org.config(https_proxy=proxy.url, proxy_username=USER, proxy_password=PASSWORD))
        with OktaClient(cfg) as client:
            assert sum(len(p) for p in client.paginate("/api/v1/users")) == 1
        assert proxy.seen and all(s == proxy.expected for s in proxy.seen)
        # a wrong password: the proxy refuses (407); the error says so and never quotes the password
        bad = org.config(https_proxy=proxy.url, proxy_username=USER, proxy_password="Zq9wrong")
        result = okta_test_connection(bad)
        assert result["status"] == "failed" and "Zq9wrong" not in json.dumps(result)
    finally:
        org.stop()
        proxy.stop()


# ------------------------------------------------------------------------------------------------ the host


@pytest.fixture
def host(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(tmp_path / "host.db"))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    transcript: list[str] = []

    def invoke(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["-vv", *argv], stdout=out, stderr=err)
        transcript.extend([out.getvalue(), err.getvalue()])
        return code, out.getvalue(), err.getvalue()

    invoke.transcript = transcript
    return invoke


def assert_hidden(texts, *secrets):
    text = "\n".join(texts)
    for s in secrets:
        assert s not in text, s


def test_host_refuses_credentials_in_https_proxy_without_echoing_them(host):
    code, out, err = host("add", "acme", "--connector", "okta", "--set", "org_url=https://acme.okta.com",
                          "--set", "auth.method=api_token", "--secret-env", "auth.token=T",
                          "--set", "https_proxy=http://user:Zq9hunter2@proxy.local:3128")
    assert code != 0 and "https_proxy" in err
    code, text, _ = host("list", "--json")
    assert code == 0 and json.loads(text) == []
    assert_hidden(host.transcript, "Zq9hunter2")


@pytest.mark.parametrize("how", ["env", "encrypted"])
def test_host_keeps_the_proxy_password_secret_in_every_output(host, monkeypatch, tmp_path, request, how):
    org, proxy = FakeOrg(), AuthProxy(USER, PASSWORD)
    request.addfinalizer(org.stop)
    request.addfinalizer(proxy.stop)
    monkeypatch.setenv("T", TOKEN)
    monkeypatch.setenv("PP", PASSWORD)
    args = ["add", "acme", "--connector", "okta", "--set", f"org_url={org.url}",
            "--set", "allow_insecure_http_loopback=true", "--set", "auth.method=api_token",
            "--secret-env", "auth.token=T", "--set", f"https_proxy={proxy.url}", "--set", f"proxy_username={USER}"]
    if how == "env":
        args += ["--secret-env", "proxy_password=PP"]
    else:
        code, key, _ = host("secret-key")
        monkeypatch.setenv("CONNECTOR_HOST_SECRET_KEY", key.strip())
        args += ["--set", f"proxy_password={PASSWORD}"]
    code, text, _ = host(*args, "--json")
    assert code == 0, host.transcript
    added = json.loads(text)
    assert added["config"]["proxy_password"].startswith("<secret:"), added["config"]
    for argv in (("list",), ("list", "--json"), ("test", "acme", "--json"), ("history", "acme")):
        host(*argv)
    assert proxy.seen and all(seen == proxy.expected for seen in proxy.seen)  # the host resolved and used it
    assert_hidden(host.transcript, PASSWORD, "Zq9%3Ap%40ss", "Zq9:p")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("host.db*"))
    assert PASSWORD.encode() not in stored and b"Zq9" not in stored
    db = sqlite3.connect(tmp_path / "host.db")
    try:
        assert not any("Zq9" in json.dumps(row, default=str) for row in db.execute("SELECT * FROM integrations"))
    finally:
        db.close()


def test_a_url_password_anywhere_in_a_config_is_masked_and_redacted():
    """Generic host rule (config_secrets): whatever the schema says, a URL's user info password is a secret."""
    cfg = {"endpoint": "https://u:Zq9pw@api.example.com/x", "nested": {"urls": ["socks5://a:Zq9b@p:1"]}}
    assert "Zq9" not in json.dumps(mask_config(cfg, []))
    redactor = Redactor.for_config(cfg, [])
    assert "Zq9" not in redactor.text("failed: 'https://u:Zq9pw@api.example.com/x' and socks5://a:Zq9b@p:1")
