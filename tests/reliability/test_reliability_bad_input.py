"""Bad input is refused before any request, with a message that names the field and says what to do.

Every case goes through the three doors a user reaches: ``load_config``, the Test Connection hook and the sync
hook, and the host's runner for a stored integration. No HTTP request may leave (every transport send is
recorded), no name may be resolved except where the case is about DNS, and no message may quote the secret.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from connector_host.store import Store
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from reliability_harness import RecordingServer, okta_registry

from connector_okta import plugin
from connector_okta.client.errors import OktaError
from connector_okta.config import load_config

TOKEN = "00RELIABILITYbadinputTOKEN0123456789abcd"
OKTA = "https://acme.okta.com"


def _pem(key: Any, *, public: bool = False, password: bytes | None = None) -> str:
    if public:
        return key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc).decode()


_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_SMALL_RSA = rsa.generate_private_key(public_exponent=65537, key_size=1024)
_EC_K1 = ec.generate_private_key(ec.SECP256K1())

URLS: dict[str, Any] = {
    "empty": "",
    "blank": "   ",
    "no-host": "https://",
    "placeholder": "https://{yourOktaDomain}",
    "two-urls": "https://acme.okta.com https://evil.com",
    "userinfo": "https://admin:hunter2@acme.okta.com",
    "userinfo-host-confusion": "https://acme.okta.com@evil.example.com",
    "scheme-ftp": "ftp://acme.okta.com",
    "scheme-file": "file:///etc/passwd",
    "scheme-javascript": "javascript:alert(1)",
    "scheme-gopher": "gopher://acme.okta.com:70/_GET",
    "scheme-ws": "ws://acme.okta.com",
    "scheme-data": "data:text/html,<h1>hi</h1>",
    "plain-http-public": "http://acme.okta.com",
    "loopback-v4": "https://127.0.0.1",
    "loopback-v6": "https://[::1]",
    "localhost": "https://localhost:8443",
    "private-10": "https://10.0.0.5",
    "private-172": "https://172.16.3.4",
    "private-192": "https://192.168.1.1",
    "link-local": "https://169.254.10.1",
    "link-local-v6": "https://[fe80::1]",
    "metadata-aws": "http://169.254.169.254/latest/meta-data/",
    "metadata-aws-https": "https://169.254.169.254",
    "metadata-alibaba": "https://100.100.100.200",
    "metadata-gcp-name": "https://metadata.google.internal",
    "metadata-v4-mapped-v6": "https://[::ffff:169.254.169.254]",
    "unspecified": "https://0.0.0.0",
    "cgnat-shared": "https://100.64.0.1",
    "decimal-ip": "https://2852039166",  # 169.254.169.254 written as one number
    "bad-port": "https://acme.okta.com:99999",
    "control-chars": "https://acme.okta.com/\r\nHost: evil",
    "backslash": "https://evil.com\\@acme.okta.com",
    "not-a-string": 12345,
}

# a public-looking name that resolves somewhere it must not (getaddrinfo is patched per case)
DNS_TARGETS = {
    "dns-to-private": "10.1.2.3",
    "dns-to-loopback": "127.0.0.1",
    "dns-to-metadata": "169.254.169.254",
    "dns-to-link-local": "169.254.1.1",
    "dns-to-v6-loopback": "::1",
    "dns-to-v6-link-local": "fe80::1",
    "dns-to-v4-mapped-metadata": "::ffff:169.254.169.254",
    "dns-to-unique-local-v6": "fd12:3456::1",
}

TOKENS: dict[str, Any] = {
    "empty": "",
    "spaces-only": "     ",
    "inner-space": "00abc def0123456789",
    "newline-inside": "00abcdef\n0123456789",
    "tab-inside": "00abcdef\t0123456789",
    "bearer-prefix": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
    "double-ssws": "SSWS SSWS 00abcdef0123456789",
    "quoted": '"00abcdef0123456789"',
    "angle-brackets": "<00abcdef0123456789>",
    "zero-width-space": "00abcdef\u200b0123456789",
    "non-ascii": "00abcdéf0123456789",
    "nul-byte": "00abcdef0123456789\x00",
    "header-injection": "00abcdef0123456789\r\nX-Evil: 1",
    "too-short": "00abc",
    "not-a-string": 1234567890123,
    "null": None,
}

KEYS: dict[str, Any] = {
    "empty": "",
    "garbage": "this is not a key at all",
    "pem-garbage": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----",
    "public-key-pem": _pem(_RSA, public=True),
    "encrypted-pem": _pem(_RSA, password=b"secret-pass"),
    "rsa-1024": _pem(_SMALL_RSA),
    "ec-secp256k1": _pem(_EC_K1),
    "broken-json": '{"kty": "RSA", "n": ',
    "public-jwk": '{"kty": "RSA", "n": "sXch", "e": "AQAB"}',
    "jwk-bad-numbers": '{"kty": "RSA", "n": "!!", "e": "AQAB", "d": "!!"}',
    "truncated-pem": _pem(_RSA)[:300],
    "not-a-string": {"kty": "RSA"},
}

CONFIGS: dict[str, Any] = {
    "not-an-object": ["org_url", OKTA],
    "a-string": f"{OKTA} {TOKEN}",
    "none": None,
    "empty-object": {},
    "no-auth": {"org_url": OKTA},
    "auth-a-string": {"org_url": OKTA, "auth": TOKEN},
    "auth-unknown-method": {"org_url": OKTA, "auth": {"method": "password", "token": TOKEN}},
    "auth-no-method": {"org_url": OKTA, "auth": {"token": TOKEN}},
    "auth-extra-field": {"org_url": OKTA, "auth": {"method": "api_token", "token": TOKEN, "password": "x"}},
    "oauth-no-client-id": {"org_url": OKTA, "auth": {"method": "oauth", "private_key": _pem(_RSA)}},
    "oauth-bad-scope": {"org_url": OKTA, "auth": {"method": "oauth", "client_id": "0oa1", "private_key": _pem(_RSA),
                                                  "scopes": ["okta.users.manage", "admin"]}},
    "oauth-manage-scope": {"org_url": OKTA, "auth": {"method": "oauth", "client_id": "0oa1", "private_key": _pem(_RSA),
                                                     "scopes": ["okta.users.read", "okta.users.manage"]}},
    "concurrency-a-string": {"max_concurrency": "4"},
    "concurrency-too-high": {"max_concurrency": 500},
    "timeout-negative": {"request_timeout_seconds": -1},
    "timeout-a-bool": {"request_timeout_seconds": True},
    "share-above-one": {"rate_limit_share": 1.5},
    "skip-a-string": {"collections_skip": "users"},
    "profile-unknown": {"check_profile": "paranoid"},
    "overrides-a-list": {"check_overrides": ["okta-session-idle-timeout"]},
    "unknown-setting": {"org_ulr": OKTA},
    "interval-zero": {"sync_interval_minutes": 0},
    "insecure-flag-a-string": {"allow_insecure_http_loopback": "yes"},
    "max-sync-seconds-huge": {"max_sync_seconds": 10**9},
}


def api_config(**overrides: Any) -> dict[str, Any]:
    cfg = {"org_url": OKTA, "auth": {"method": "api_token", "token": TOKEN}}
    cfg.update(overrides)
    return cfg


def oauth_config(key: Any) -> dict[str, Any]:
    return {"org_url": OKTA, "auth": {"method": "oauth", "client_id": "0oa1serviceapp", "private_key": key}}


def all_cases() -> list[tuple[str, Any, str]]:
    """(id, config, the words the message must hold)"""
    out: list[tuple[str, Any, str]] = []
    out += [(f"url-{k}", api_config(org_url=v), "org_url") for k, v in URLS.items()]
    out += [(f"token-{k}", api_config(auth={"method": "api_token", "token": v}), "token") for k, v in TOKENS.items()]
    out += [(f"key-{k}", oauth_config(v), "private_key") for k, v in KEYS.items()]
    for k, v in CONFIGS.items():
        if isinstance(v, dict) and v and "auth" not in v and "org_url" not in v:  # one bad setting in a good config
            v = api_config(**v)
        out.append((f"config-{k}", v, ""))
    return out


CASES = all_cases()


class Wire:
    """Records every HTTP send and every name resolution; answers DNS for the DNS cases."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, resolve_to: str | None = None) -> None:
        self.sends: list[str] = []
        self.lookups: list[str] = []
        real_send = requests.adapters.HTTPAdapter.send

        def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            self.sends.append(request.url)
            return real_send(adapter, request, *args, **kwargs)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
            self.lookups.append(str(host))
            if resolve_to is None:
                raise socket.gaierror(socket.EAI_NONAME, "no DNS in this test")
            family = socket.AF_INET6 if ":" in resolve_to else socket.AF_INET
            addr = (resolve_to, port or 443, 0, 0) if family == socket.AF_INET6 else (resolve_to, port or 443)
            return [(family, socket.SOCK_STREAM, 6, "", addr)]

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def secrets_of(config: Any) -> list[str]:
    auth = config.get("auth") if isinstance(config, dict) else None
    if not isinstance(auth, dict):
        return []
    out = []
    for key in ("token", "private_key"):
        v = auth.get(key)
        if isinstance(v, str) and len(v.strip()) >= 8:
            out.append(v.strip())
            out.extend(line for line in v.splitlines() if len(line) >= 16 and "-----" not in line)
    return out


def assert_clear(message: str, words: str, config: Any) -> None:
    assert isinstance(message, str) and len(message) >= 20, message
    if words:
        assert words in message, f"{words!r} not named in: {message}"
    for secret in secrets_of(config):
        assert secret not in message, "the message quotes the secret"


def refused_everywhere(config: Any, words: str, wire: Wire) -> list[str]:
    """Refuse through load_config, Test Connection and the sync hook; return the messages."""
    messages = []
    with pytest.raises(OktaError) as info:  # ConfigError and UnsafeURLError are OktaErrors of kind config
        load_config(config)  # type: ignore[arg-type]
    assert info.value.kind == "config", info.value
    messages.append(str(info.value))

    result = plugin.connector_test_connection(config=config)
    assert result["status"] == "failed" and result["failure_kind"] == "config", result
    messages.append(result["message"])

    msgs = list(plugin.connector_sync(config=config, state=None, context=None))
    errors = [m["error"] for m in msgs if m["type"] == "ERROR"]
    assert [m["type"] for m in msgs][-1] == "SYNC_STATUS" and msgs[-1]["sync_status"]["status"] == "failed", msgs
    assert errors and errors[0]["kind"] == "config" and errors[0]["fatal"], msgs
    assert not any(m["type"] == "RECORD" for m in msgs)
    messages.append(errors[0]["message"])
    assert wire.sends == [], f"a request left: {wire.sends}"
    for m in messages:
        assert_clear(m, words, config)
    return messages


@pytest.mark.parametrize(("case", "config", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_any_request(case, config, words, monkeypatch):
    wire = Wire(monkeypatch)
    refused_everywhere(config, words, wire)
    if case.startswith("url-"):
        assert wire.lookups == [], f"{case}: resolved {wire.lookups} before refusing"


@pytest.mark.parametrize(("case", "address"), list(DNS_TARGETS.items()), ids=list(DNS_TARGETS))
def test_names_resolving_to_unsafe_addresses_get_no_request(case, address, monkeypatch):
    """``acme.okta.com`` is syntactically fine; it resolves to an unsafe address, so nothing is sent there."""
    wire = Wire(monkeypatch, resolve_to=address)
    config = api_config()
    load_config(config)  # valid as text: the refusal comes from the resolution
    result = plugin.connector_test_connection(config=config)
    assert result["status"] == "failed" and result["failure_kind"] in ("config", "network"), result
    assert "acme.okta.com" in result["message"] and address.split("::ffff:")[-1] in result["message"], result
    msgs = list(plugin.connector_sync(config=config, state=None, context=None))
    assert msgs[-1]["type"] == "SYNC_STATUS" and msgs[-1]["sync_status"]["status"] == "failed", msgs
    assert not any(m["type"] == "RECORD" for m in msgs)
    errors = [m["error"] for m in msgs if m["type"] == "ERROR"]
    assert errors and "resolves to" in errors[0]["message"], errors
    assert wire.lookups and set(wire.lookups) == {"acme.okta.com"}
    assert wire.sends == [], f"a request left: {wire.sends}"


def test_the_host_refuses_bad_stored_configs_before_any_request(tmp_path, monkeypatch):
    """Through the host: a stored integration with a bad config ends as a failed sync of kind config."""
    wire = Wire(monkeypatch)
    store = Store(tmp_path / "bad.db")
    from connector_host.runner import Runner

    runner = Runner(store, okta_registry())
    refused = 0
    try:
        for case, config, _words in CASES:
            if not isinstance(config, dict):
                continue  # the host's own API takes a mapping; the hooks above cover the rest
            integ = store.add_integration(f"bad {case}", "okta", config)
            rec = runner.sync(integ.id)
            assert rec.status == "failed", (case, rec.status, rec.message)
            assert rec.errors and rec.errors[0]["kind"] in ("config", "internal") and rec.errors[0].get("fatal"), (
                case, rec.errors)
            assert rec.assets_seen == rec.findings_seen == 0
            tested = runner.test(integ.id)
            assert tested["status"] == "failed" and tested["failure_kind"] == "config", (case, tested)
            for text in (rec.message or "", tested["message"]):
                assert_clear(text, "", config)
            refused += 1
    finally:
        store.close()
    assert wire.sends == [] and refused >= 80


def test_a_server_that_is_not_okta_gets_no_credential(monkeypatch):
    """A plain web server on 127.0.0.1 answering HTML: only the unauthenticated well-known probe reaches it."""
    server = RecordingServer("127.0.0.1")
    try:
        config = api_config(org_url=server.url, allow_insecure_http_loopback=True)
        result = plugin.connector_test_connection(config=config)
        assert result["status"] == "failed" and result["failure_kind"] == "config", result
        assert "not an Okta org" in result["message"] and "org_url" in result["message"], result
        msgs = list(plugin.connector_sync(config=config, state=None, context=None))
        assert msgs[-1]["sync_status"]["status"] == "failed", msgs
        assert not any(m["type"] == "RECORD" for m in msgs)
    finally:
        server.stop()
    assert server.requests, "the probe never reached the server"
    assert {r["path"] for r in server.requests} == {"/.well-known/okta-organization"}
    for r in server.requests:
        assert not {k.lower() for k in r["headers"]} & {"authorization", "dpop"}, r["headers"]
        assert TOKEN not in str(r)


def test_ssws_prefix_is_tolerated_not_doubled(monkeypatch):
    """``SSWS <token>`` pasted whole is the one prefix accepted: the token is the same, sent with one prefix."""
    cfg = load_config(api_config(auth={"method": "api_token", "token": f"  SSWS {TOKEN}\n"}))
    assert cfg.auth.token.reveal() == TOKEN
