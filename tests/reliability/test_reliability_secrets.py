"""Secrets hunt: whole syncs and every CLI command at DEBUG, with both credentials (SSWS token, OAuth private key
JWT), then a search for the secret in everything the host and the connector produced: stdout, stderr, every log
record (and its traceback), history rows, the store file's bytes, the raw sync messages and the normalised
records. Neither the token, nor the private key, nor an OAuth access token minted from it, nor the password of the
proxy the SSWS run goes through (a real proxy that wants a login) may appear anywhere."""

from __future__ import annotations

import io
import json
import logging
import pickle
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("okta_sandbox.generator")

from connector_host import cli  # noqa: E402
from connector_host.store import Store  # noqa: E402
from okta_sandbox.faults import Faults  # noqa: E402
from reliability_harness import (  # noqa: E402
    KEY_ENV,
    TOKEN_ENV,
    Host,
    compressed_backoff,  # noqa: F401 - the fixture
    oauth_stored_config,
    stored_config,
    super_token,
)
from security_servers import AuthProxy  # noqa: E402

from connector_okta.client.session import OktaClient  # noqa: E402
from connector_okta.config import OktaConfig, Secret, load_config  # noqa: E402

PROXY_ENV = "RELIABILITY_PROXY_PASSWORD"
PROXY_USER = "svc-proxy"
PROXY_PASSWORD = "Pr0xy:p@ss/w%rd-Zq9x"  # characters a URL's user info must encode


def secret_fragments(secret: str) -> list[str]:
    """The secret, a slice from its middle (a truncated leak), and each long line of a PEM body."""
    out = [secret.strip()]
    if "-----BEGIN" in secret:
        out += [line for line in secret.splitlines() if len(line) >= 40 and "-----" not in line]
    else:
        out.append(secret[6:22])
    return out


class Hunt:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.places = 0
        self.bytes = 0

    def add(self, secret: str) -> None:
        self.secrets += secret_fragments(secret)

    def search(self, where: str, text: str | bytes) -> None:
        data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
        self.places += 1
        self.bytes += len(data)
        for s in self.secrets:
            assert s.encode() not in data, f"a secret leaked into {where}"
            escaped = json.dumps(s)[1:-1].encode()  # as it would appear inside JSON
            assert escaped not in data, f"a secret leaked (JSON-escaped) into {where}"


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    fmt = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    parts = []
    for record in caplog.records:
        parts.append(fmt.format(record))
        if record.exc_info:
            parts.append(fmt.formatException(record.exc_info))
        parts.append(repr(record.args))
    return "\n".join(parts)


@pytest.mark.usefixtures("compressed_backoff")
@pytest.mark.parametrize("method", ["api_token", "oauth"])
def test_no_secret_in_any_output_log_history_store_or_record(method, sandbox, tmp_path, monkeypatch, caplog, request):
    caplog.set_level(logging.DEBUG)  # every logger, the connector's and the host's, at DEBUG
    sb = sandbox("weak", users=40, seed=5, rate_limits=None)
    hunt = Hunt()
    store_path = tmp_path / "store" / "secrets.db"
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(store_path))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    transcript: list[tuple[str, str]] = []

    def run(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["-vv", *argv], stdout=out, stderr=err)
        transcript.append((" ".join(argv), out.getvalue() + "\n" + err.getvalue()))
        return code, out.getvalue()

    proxy = None
    if method == "api_token":
        token = super_token(sb)
        hunt.add(token)
        monkeypatch.setenv(TOKEN_ENV, token)
        # through a proxy that wants a login: its password is a secret like the token
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        proxy = AuthProxy(PROXY_USER, PROXY_PASSWORD)
        request.addfinalizer(proxy.stop)
        hunt.add(PROXY_PASSWORD)
        monkeypatch.setenv(PROXY_ENV, PROXY_PASSWORD)
        via_proxy: dict[str, Any] = {"https_proxy": proxy.url, "proxy_username": PROXY_USER,
                                     "proxy_password": {"$secret": "env", "name": PROXY_ENV}}
        add_args = ["--set", "auth.method=api_token", "--secret-env", f"auth.token={TOKEN_ENV}",
                    "--set", f"https_proxy={proxy.url}", "--set", f"proxy_username={PROXY_USER}",
                    "--secret-env", f"proxy_password={PROXY_ENV}"]
        config = stored_config(sb, **via_proxy)
    else:
        client_id, client = next(iter(sb.org.oauth_clients.items()))
        pem = sb.org.oauth_private_keys[client_id]
        hunt.add(pem)
        key_file = tmp_path / "service-app.pem"
        key_file.write_text(pem)
        monkeypatch.setenv(KEY_ENV, pem)
        add_args = ["--set", "auth.method=oauth", "--set", f"auth.client_id={client_id}",
                    "--set", f"auth.key_id={client.jwks['keys'][0]['kid']}",
                    "--secret-file", f"auth.private_key={key_file}"]
        config = oauth_stored_config(sb)

    # every command of the CLI, at DEBUG
    assert run("connectors")[0] == 0
    assert run("checks", "okta")[0] == 0
    code, _ = run("add", "acme", "--connector", "okta", "--set", f"org_url={sb.url}",
                  "--set", "allow_insecure_http_loopback=true", *add_args, "--interval", "60")
    assert code == 0, transcript[-1]
    assert run("list")[0] == 0
    assert run("test", "acme")[0] == 0, transcript[-1]
    assert run("test", "acme", "--json")[0] == 0
    code, _ = run("sync", "acme")
    assert code in (0, 3), transcript[-1]  # succeeded or partial (a read-only admin cannot read everything)
    code, out = run("sync", "acme", "--json")
    assert json.loads(out)["status"] in ("succeeded", "partial"), out
    # a sync driven by the host's runner directly, with its raw messages kept
    host = Host(tmp_path / "runner")
    iid = host.add("direct", config)
    rec, _ = host.sync(iid)
    assert rec.status in ("succeeded", "partial"), (rec.status, rec.message)
    raw_messages = json.dumps(host.messages, default=str)
    history = json.dumps([r.as_dict() for r in host.store.history(limit=50)], default=str)
    host.close()

    assert run("edit", "acme", "--set", "check_profile=stig")[0] == 0
    sb.faults = Faults.of(["revoke:/api/v1/users:after=0", "error:/api/v1/groups:count=2,status=503"])
    code, out = run("sync", "acme", "--json")  # the credential dies mid-sync: error paths, 401s, retries
    assert json.loads(out)["status"] in ("partial", "failed"), out
    assert run("history", "acme", "--details")[0] == 0
    assert run("history", "--json")[0] == 0
    code, out = run("findings", "acme", "--json", "--limit", "500")
    finding_id = str(json.loads(out)["items"][0]["id"])
    assert run("findings", "acme", "--status", "fail")[0] == 0
    assert run("finding", finding_id)[0] == 0
    assert run("finding", finding_id, "--json")[0] == 0
    code, out = run("assets", "acme", "--json", "--limit", "500")
    asset_id = str(json.loads(out)["items"][0]["id"])
    assert run("assets", "acme", "--type", "user")[0] == 0
    assert run("asset", asset_id, "--json")[0] == 0
    assert run("schedule", "run", "--once", "--workers", "1")[0] in (0, 1, 3)
    assert run("secret-key")[0] == 0

    # and the org gone: network errors and their tracebacks
    sb.stop()
    code, _ = run("test", "acme")
    assert code == 1
    code, _ = run("sync", "acme")
    assert code == 1

    if proxy is not None:  # every request went through the proxy, logged in
        assert proxy.seen and all(seen == proxy.expected for seen in proxy.seen), len(proxy.seen)
    for auth in sb.auth._issued:  # noqa: SLF001 - the OAuth access tokens the sandbox minted are secrets too
        hunt.add(auth)
    if method == "oauth":
        assert sb.auth._issued, "no OAuth access token was minted: the OAuth path did not run"  # noqa: SLF001

    for argv, text in transcript:
        hunt.search(f"the output of `{argv}`", text)
    hunt.search("the log records", log_text(caplog))
    hunt.search("the raw sync messages", raw_messages)
    hunt.search("the history rows", history)
    with Store(store_path) as store:
        hunt.search("the CLI store's history", json.dumps([r.as_dict() for r in store.history(limit=100)], default=str))
        hunt.search("the integration rows", json.dumps([i.as_dict() for i in store.list_integrations()], default=str))
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "service-app.pem"]
    assert any(p.name.startswith("secrets.db") for p in files) and any(p.parent.name == "runner" for p in files)
    for p in files:
        hunt.search(f"the file {p.relative_to(tmp_path)}", p.read_bytes())
    assert hunt.places >= 30 and hunt.bytes > 100_000, (hunt.places, hunt.bytes)


def test_config_objects_never_show_their_secrets(sandbox):
    sb = sandbox("default", users=5, rate_limits=None)
    token = super_token(sb)
    client_id = next(iter(sb.org.oauth_clients))
    pem = sb.org.oauth_private_keys[client_id]
    api = load_config({"org_url": sb.url, "auth": {"method": "api_token", "token": token},
                       "allow_insecure_http_loopback": True, "https_proxy": "http://proxy.example:3128",
                       "proxy_username": "proxyuser", "proxy_password": "proxypass"})
    oauth = load_config({"org_url": sb.url, "auth": {"method": "oauth", "client_id": client_id, "private_key": pem},
                         "allow_insecure_http_loopback": True})
    assert isinstance(api, OktaConfig)
    shown = []
    for cfg in (api, oauth):
        shown += [repr(cfg), str(cfg), repr(cfg.auth), str(cfg.auth), json.dumps(cfg.redacted()), f"{cfg}", f"{cfg!r}"]
        with OktaClient(cfg, verify_org=False) as client:
            shown += [repr(client), str(client), repr(client.auth), str(client.auth)]
    shown += [repr(api.auth.token), str(api.auth.token), repr(oauth.auth.private_key), str(Secret("x" * 30))]
    text = "\n".join(shown)
    for secret in [*secret_fragments(token), *secret_fragments(pem), "proxypass"]:
        assert secret not in text
    assert api.auth.token.reveal() == token  # the value is still there for the one place that needs it
    with pytest.raises(TypeError):
        pickle.dumps(api.auth.token)


def test_stored_integrations_hold_references_not_secrets(tmp_path, monkeypatch, sandbox):
    """Adding through the CLI with the secret inline: the store keeps no clear value (encrypted or refused)."""
    sb = sandbox("default", users=5, rate_limits=None)
    token = super_token(sb)
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(tmp_path / "inline.db"))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["add", "inline", "--connector", "okta", "--set", f"org_url={sb.url}",
                     "--set", "auth.method=api_token", "--set", f"auth.token={token}",
                     "--set", "allow_insecure_http_loopback=true"], stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert token not in text
    for p in Path(tmp_path).glob("inline.db*"):
        assert token.encode() not in p.read_bytes()
    if code == 0:  # accepted: then only as a reference or ciphertext
        with Store(tmp_path / "inline.db") as store:
            stored: Any = store.get_integration("inline").config["auth"]["token"]
        assert isinstance(stored, dict) and "$secret" in stored, stored
    else:
        assert "secret" in text.lower(), text
