"""``connector-host serve``: loopback by default, a password off loopback, a key for secrets, a real server."""

from __future__ import annotations

import io
import os
import stat
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from connector_host.cli import main
from connector_host.web.serve import is_loopback, secret_env
from web_helpers import login_opener, start_serve


def test_exposing_the_page_requires_a_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECTOR_HOST_WEB_PASSWORD", raising=False)
    err = io.StringIO()
    code = main(["--store", str(tmp_path / "s.db"), "serve", "--host", "0.0.0.0"], stdout=io.StringIO(), stderr=err)
    assert code == 2 and "CONNECTOR_HOST_WEB_PASSWORD" in err.getvalue()
    empty = tmp_path / "pw"
    empty.write_text("\n")
    err = io.StringIO()
    code = main(["--store", str(tmp_path / "s.db"), "serve", "--host", "0.0.0.0", "--password-file", str(empty)],
                stdout=io.StringIO(), stderr=err)
    assert code == 2 and "empty" in err.getvalue()


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.5.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.com")


def test_a_key_file_is_created_next_to_the_store_when_none_is_set(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    env, notice = secret_env(store, {})
    key = Path(env["CONNECTOR_HOST_SECRET_KEY_FILE"])
    assert key == tmp_path / "store.db.key" and notice and str(key) in notice
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_text()
    env2, notice2 = secret_env(store, {})
    assert notice2 is None and key.read_text() == first and env2 == env
    given = {"CONNECTOR_HOST_SECRET_KEY": "k"}
    assert secret_env(store, given) == (given, None)


def test_serve_runs_the_page_on_loopback(tmp_path: Path) -> None:
    proc, base = start_serve(tmp_path / "store.db", "--no-scheduler")
    try:
        with login_opener(base).open(base + "/integrations", timeout=10) as resp:
            body = resp.read().decode()
            assert resp.status == 200 and "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert 'data-connector="okta"' in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_with_a_password_asks_for_a_login(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("s3cret-pass-phrase\n")
    proc, base = start_serve(tmp_path / "store.db", "--no-scheduler", "--password-file", str(pw))
    try:
        with urllib.request.urlopen(base + "/integrations", timeout=10) as resp:
            assert resp.url.startswith(base + "/login")
            assert "Sign in" in resp.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_integration_saved_in_the_page_syncs_from_the_cli(
    tmp_path: Path, registry: Any, org_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector_host.store import Store
    from connector_host.web import create_app
    from web_helpers import csrf_token, form_for

    monkeypatch.delenv("CONNECTOR_HOST_SECRET_KEY", raising=False)
    monkeypatch.delenv("CONNECTOR_HOST_SECRET_KEY_FILE", raising=False)
    path = tmp_path / "store.db"
    store = Store(path)
    env, _ = secret_env(path, {})
    client = create_app(store, registry, env=env, testing=True, dev_allow_insecure_loopback=True).test_client()
    resp = client.post("/integrations/new/okta", data={**form_for(org_sandbox), "csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    store.close()
    out, err = io.StringIO(), io.StringIO()
    code = main(["--store", str(path), "sync", "acme", "--json"], registry=registry, stdout=out, stderr=err)
    assert code in (0, 3), err.getvalue()
    assert org_sandbox.token not in out.getvalue() + err.getvalue()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts file descriptors through /proc")
def test_requests_do_not_leak_store_connections(tmp_path: Path) -> None:
    """Each request runs on a new thread; its SQLite connection must be closed when the request ends."""
    proc, base = start_serve(tmp_path / "store.db", "--no-scheduler")
    try:
        opener = login_opener(base)

        def hit(n: int) -> None:
            for _ in range(n):
                with opener.open(base + "/api/integrations", timeout=10) as resp:
                    resp.read()

        hit(5)
        before = len(os.listdir(f"/proc/{proc.pid}/fd"))
        hit(120)
        after = len(os.listdir(f"/proc/{proc.pid}/fd"))
        assert after - before < 10, (before, after)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
