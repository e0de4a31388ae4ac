"""A second attack pass after issue 15 (variants of the fixed items): each test failed before its fix.

* The configured proxy is the one used: requests' ``trust_env`` let ``HTTPS_PROXY`` / ``HTTP_PROXY`` of the process
  override the ``https_proxy`` of the config (requests merges environment proxies over the session's), so the
  connector's requests, and the credential they carry, went through a proxy the integration never named (and the
  host's binding of secrets to their proxy meant nothing).
* DNS rebinding: the org's name was judged by the addresses it resolved to once, but each connection resolves it
  again; a name answering a public address first and a loopback (or private, metadata) one next got the request.
  The address a connection reached is now judged before anything is sent on it.
* ``org_url`` hosts such as ``127.1``, ``0177.0.0.1`` or ``0x7f.1`` passed the config's address checks as domain
  names (``ipaddress`` refuses those spellings, the C resolver reads them as IPv4 without DNS); only the later
  resolution caught them. They are refused with the config.
* ``connector-host export`` to a terminal wrote the CSV / HTML as it was: control characters of server text (and
  of names) reached the terminal, unlike every other text view.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from listeners import CountingListener
from security_servers import AuthProxy, FakeOrg, json_answer

from connector_okta.client import OktaClient
from connector_okta.config import load_config

USER, PASSWORD = "svc", "Zq9-proxy-pw"


def test_the_counting_listener_sees_a_connection_and_its_bytes() -> None:
    """The control for the tests below that count nothing reaching a listener: it does count what reaches it."""
    counter = CountingListener(read=True)
    try:
        with socket.create_connection(("127.0.0.1", counter.port), timeout=2) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\n\r\n")
            deadline = time.monotonic() + 5
            while counter.received == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert counter.connections == 1 and counter.received == 18
    finally:
        counter.close()


@pytest.fixture
def stray_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingListener]:
    counter = CountingListener(read=True)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, counter.url)
    yield counter
    counter.close()


def test_the_configured_proxy_wins_over_proxies_in_the_environment(stray_proxy: CountingListener) -> None:
    org, proxy = FakeOrg(), AuthProxy(USER, PASSWORD)
    try:
        org.route("/api/v1/users", lambda req: json_answer([{"id": "00u1"}]))
        cfg = load_config(org.config(https_proxy=proxy.url, proxy_username=USER, proxy_password=PASSWORD))
        with OktaClient(cfg) as client:
            assert sum(len(p) for p in client.paginate("/api/v1/users")) == 1
        assert proxy.seen and all(s == proxy.expected for s in proxy.seen)
        assert stray_proxy.connections == 0  # before: every request went to the environment's proxy
    finally:
        org.stop()
        proxy.stop()


def test_a_name_rebound_to_a_loopback_address_gets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from connector_okta.client.errors import UnsafeURLError

    target = CountingListener(read=True)
    port = int(target.url.rsplit(":", 1)[1])
    real = socket.getaddrinfo

    def rebound(host: object, *args: object, **kwargs: object) -> list:  # what the connection resolves: loopback
        if host == "rebind.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    def first_answer(host: str, port: int, *args: object) -> list:  # the first answer: a public address
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_config({"org_url": f"https://rebind.example.com:{port}",
                       "auth": {"method": "api_token", "token": "00" + "x" * 40}})
    try:
        with OktaClient(cfg, resolver=first_answer) as client, pytest.raises(UnsafeURLError) as info:
            client.get("/api/v1/users")
        assert "loopback" in str(info.value) and "x" * 40 not in str(info.value)
        assert target.received == 0  # before: the TLS hello (then, over http, the token) reached it
    finally:
        target.close()


class _Tty:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_export_to_a_terminal_escapes_control_characters(tmp_path: object) -> None:
    import io
    from pathlib import Path

    from connector_host.cli import main
    from connector_host.loader import load_connectors
    from connector_host.store import Store

    db = Path(str(tmp_path)) / "s.db"
    store = Store(db)
    name = "acme\x1b]0;pwned\x07\x1b[2J"
    store.add_integration(name, "okta", {"org_url": "https://acme.okta.com"})
    store.close()
    out, err = _Tty(), io.StringIO()
    code = main(["--store", str(db), "export", "--format", "html", name], registry=load_connectors(allow="okta"),
                stdout=out, stderr=err)  # type: ignore[arg-type]
    text = "".join(out.parts)
    assert code == 0, err.getvalue()
    assert "<footer" in text and "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;pwned\\x07" in text  # shown escaped


@pytest.mark.parametrize("host", ["127.1", "0177.0.0.1", "0x7f.1", "0x7f000001", "10.1", "169.254.43518",
                                  "0x5d.0xb8.0xd8.0x22"])
def test_legacy_ipv4_spellings_are_refused_with_the_config(host: str) -> None:
    from connector_okta.client.errors import UnsafeURLError
    from connector_okta.urls import normalize_org_url

    with pytest.raises(UnsafeURLError, match="legacy form"):
        normalize_org_url(f"https://{host}")
    assert normalize_org_url("https://123.okta.com") == "https://123.okta.com"  # a numeric label of a name is fine
