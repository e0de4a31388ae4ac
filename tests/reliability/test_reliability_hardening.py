"""Security hardening of the host (issue 15, host side): secrets typed without the command line, a sync killed
(or its PID reused) never blocks an integration, the store's files private to their owner, and a killed sync or a
damaged store shown as a plain message, never a traceback."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

pytest.importorskip("okta_sandbox.generator")

from connector_host import cli  # noqa: E402
from connector_host.store import Store  # noqa: E402
from reliability_harness import okta_registry  # noqa: E402

TOKEN = "00" + "sEcReT-token-value-" * 2


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = tmp_path / "store.db"
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(store))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    monkeypatch.setenv("CONNECTOR_HOST_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("CONNECTOR_HOST_SECRET_KEY_FILE", raising=False)
    return store


def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), registry=okta_registry(), stdout=out, stderr=err,
                    stdin=io.StringIO(stdin) if stdin is not None else None)
    return code, out.getvalue(), err.getvalue()


ADD = ["add", "acme", "--connector", "okta", "--set", "org_url=https://acme.okta.com", "--set", "auth.method=api_token"]


def stored_token(store: Path) -> Any:
    with Store(store) as s:
        return s.get_integration("acme").config["auth"]["token"]


# ------------------------------------------------------------------------------------------ 12. secret input


def test_a_secret_read_from_stdin_is_stored_encrypted(cli_env: Path) -> None:
    code, out, err = run(*ADD, "--secret-stdin", "auth.token", stdin=TOKEN + "\nignored\n")
    assert code == 0, err
    ref = stored_token(cli_env)
    assert ref["$secret"] == "fernet" and TOKEN not in json.dumps(ref)
    assert TOKEN not in out + err and "warning" not in err
    with Store(cli_env) as s:
        from connector_host.config_secrets import resolve_ref

        assert resolve_ref(s.get_integration("acme").config["auth"]["token"]) == TOKEN
    # edit takes it too; nothing on stdin is a clear error
    code, _, err = run("edit", "acme", "--secret-stdin", "auth.token", stdin="")
    assert code == 2 and "nothing on standard input" in err


def test_a_pem_block_on_stdin_is_read_whole(cli_env: Path) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB\n-----END PRIVATE KEY-----\n"
    code, _, err = run("add", "svc", "--connector", "okta", "--set", "org_url=https://acme.okta.com",
                       "--set", "auth.method=oauth", "--set", "auth.client_id=0oa1", "--secret-stdin",
                       "auth.private_key", stdin=pem + "trailing\n")
    assert code == 0, err
    from connector_host.config_secrets import resolve_ref

    with Store(cli_env) as s:
        assert resolve_ref(s.get_integration("svc").config["auth"]["private_key"]) == pem


def test_a_secret_typed_at_a_hidden_prompt_is_stored_encrypted(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    prompts: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt, stream=None: prompts.append(prompt) or TOKEN)
    code, out, err = run(*ADD, "--secret-prompt", "auth.token")
    assert code == 0, err
    assert prompts == ["auth.token (not shown): "]
    assert stored_token(cli_env)["$secret"] == "fernet" and TOKEN not in out + err


def test_a_secret_on_the_command_line_is_warned_about(cli_env: Path) -> None:
    """The old behaviour: ``--set auth.token=...`` was the only way to store an encrypted secret, silently."""
    code, out, err = run(*ADD, "--set", f"auth.token={TOKEN}")
    assert code == 0, err
    assert "warning: --set auth.token=... puts a secret on the command line" in err
    assert "--secret-prompt auth.token" in err and TOKEN not in out + err
    code, _, err = run("edit", "acme", "--set", "check_profile=stig")
    assert code == 0 and "warning" not in err


# ------------------------------------------------------------------------------------------ 14. clear errors


def test_history_details_of_a_killed_sync(cli_env: Path) -> None:
    """A sync killed mid-way keeps the running counts (bare numbers): ``history --details`` crashed on them."""
    assert run(*ADD, "--set", f"auth.token={TOKEN}")[0] == 0
    with Store(cli_env) as s:
        integ = s.get_integration("acme")
        sid = s.start_sync(integ.id)
        s.heartbeat(sid, counts={"users": 1200, "groups": 30})
        s._conn().execute("UPDATE syncs SET owner = 'gone-host:1', heartbeat_at = 1 WHERE id = ?", (sid,))  # noqa: SLF001
    with Store(cli_env) as s:
        s.recover_interrupted(stale_ms=0)
        assert s.get_sync(sid).status == "interrupted"
    code, out, err = run("history", "acme", "--details")
    assert code == 0, err
    assert "users 1200" in out and "interrupted" in out and "Traceback" not in err


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    code, out, err = run("--store", str(junk), "history")
    assert code == 2 and "Traceback" not in err and "store" in err, err


def test_a_damaged_store_is_a_clear_error(cli_env: Path) -> None:
    assert run(*ADD, "--set", f"auth.token={TOKEN}")[0] == 0
    with Store(cli_env) as s:
        integ = s.get_integration("acme")
        db = s._conn()  # noqa: SLF001
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for i in range(300):  # enough rows for the syncs table to span pages
            db.execute("INSERT INTO syncs (integration_id, started_at, status, message) VALUES (?, ?, 'failed', ?)",
                       (integ.id, i, "x" * 400))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(cli_env.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, page):  # every page after the schema's
        data[offset:offset + 64] = b"\xff" * 64
    cli_env.write_bytes(bytes(data))
    code, out, err = run("history", "acme", "--details")
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and ("damaged" in err or "not a connector-host store" in err), err
