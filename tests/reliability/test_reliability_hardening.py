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


# ------------------------------------------------------------------------------------------ 6. the sync lock


def _running_row(store: Path, *, owner: str, owner_start: str | None, heartbeat_age_ms: int = 0) -> int:
    """A sync left ``running`` by another process, as a crash leaves it."""
    from connector_host.store import now_ms

    with Store(store) as s:
        integ = s.get_integration("acme")
        t = now_ms()
        cur = s._conn().execute(  # noqa: SLF001
            "INSERT INTO syncs (integration_id, started_at, status, sync_mode, trigger, owner, heartbeat_at, run_id,"
            " owner_start) VALUES (?, ?, 'running', 'full', 'manual', ?, ?, 'r1', ?)",
            (integ.id, t - heartbeat_age_ms - 1000, owner, t - heartbeat_age_ms, owner_start))
        return int(cur.lastrowid)


def test_a_killed_sync_whose_pid_was_reused_does_not_block_the_integration(cli_env: Path) -> None:
    """The old lock was ``hostname:pid`` alive by ``os.kill(pid, 0)``: a sync killed as PID 1 (in a container)
    blocked its integration forever, since PID 1 is always alive. Now the owner's start time must match too."""
    import socket

    from connector_host.store import process_start

    if process_start(1) is None:
        pytest.skip("no /proc: process start times are unknown here")
    assert run(*ADD, "--set", f"auth.token={TOKEN}")[0] == 0
    sid = _running_row(cli_env, owner=f"{socket.gethostname()}:1", owner_start="another-boot:12345")
    with Store(cli_env) as s:
        assert s.recover_interrupted() == [sid]
        rec = s.get_sync(sid)
        assert rec.status == "interrupted" and "now belongs to another process" in (rec.message or "")
        new = s.start_sync(s.get_integration("acme").id)  # not blocked
        s.finish_sync(new, "failed", message="test")


def test_a_sync_whose_heartbeat_went_silent_is_dead(cli_env: Path) -> None:
    """Another machine's sync: its heartbeat decides, after a few missed beats (the old limit was 30 minutes)."""
    assert run(*ADD, "--set", f"auth.token={TOKEN}")[0] == 0
    fresh = _running_row(cli_env, owner="other-machine:77", owner_start="x:1", heartbeat_age_ms=5_000)
    with Store(cli_env) as s:
        assert s.recover_interrupted() == []
        assert s.get_sync(fresh).status == "running"
        s._conn().execute("UPDATE syncs SET heartbeat_at = heartbeat_at - 120000 WHERE id = ?", (fresh,))  # noqa: SLF001
        assert s.recover_interrupted() == [fresh]
        assert "no heartbeat for" in (s.get_sync(fresh).message or "")


def test_a_running_sync_keeps_its_heartbeat_and_its_lock(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from connector_host import store as store_mod
    from connector_host.store import SyncInProgress, process_start

    monkeypatch.setattr(store_mod, "HEARTBEAT_SECONDS", 0.05)
    assert run(*ADD, "--set", f"auth.token={TOKEN}")[0] == 0
    with Store(cli_env) as s:
        iid = s.get_integration("acme").id
        sid = s.start_sync(iid)
        row = s._conn().execute("SELECT * FROM syncs WHERE id = ?", (sid,)).fetchone()  # noqa: SLF001
        assert row["run_id"] and row["owner_start"] == process_start() and row["owner"].endswith(f":{os.getpid()}")
        first = row["heartbeat_at"]
        time.sleep(0.4)
        later = s._conn().execute("SELECT heartbeat_at FROM syncs WHERE id = ?", (sid,)).fetchone()[0]  # noqa: SLF001
        assert later > first  # beats with no message flowing (a long rate-limit wait, a slow collection)
        with Store(cli_env) as other:  # another process's view: alive, so refused
            assert other.recover_interrupted(stale_ms=0) == []
            with pytest.raises(SyncInProgress, match="--force-unlock"):
                other.start_sync(iid)
        s.finish_sync(sid, "failed", message="test")
        assert not s._beats  # noqa: SLF001 - the heartbeat thread stopped


def test_unlock_and_force_unlock_end_a_stuck_sync(cli_env: Path) -> None:
    import socket

    from connector_host.store import StagedAsset, SyncLost, process_start

    assert run(*ADD, "--set", f"auth.token={TOKEN}")[0] == 0
    me = f"{socket.gethostname()}:{os.getpid()}"
    stuck = _running_row(cli_env, owner=me, owner_start=process_start())  # looks alive: a hung process
    code, _, err = run("sync", "acme")
    assert code == 4 and "--force-unlock" in err, err
    code, out, err = run("unlock", "acme")
    assert code == 0 and f"unlocked sync #{stuck}" in err and "still looks alive" in err, (out, err)
    with Store(cli_env) as s:
        rec = s.get_sync(stuck)
        assert rec.status == "interrupted" and "unlocked by hand" in (rec.message or "")
        # the stuck process wakes up: nothing more of its sync is kept
        with pytest.raises(SyncLost):
            s.stage(stuck, [StagedAsset("user", "u1", "u1", 5003, "users", {})])
        with pytest.raises(SyncLost, match="no longer running"):
            s.finish_sync(stuck, "succeeded")
    assert run("unlock", "acme")[1].startswith("no sync of acme is running")
    again = _running_row(cli_env, owner=me, owner_start=process_start())
    code, out, err = run("sync", "acme", "--force-unlock")  # the org is unreachable: failed, but not blocked
    assert code != 4 and f"unlocked sync #{again}" in err, (code, out, err)
    with Store(cli_env) as s:
        assert s.get_sync(again).status == "interrupted"
        assert s.history("acme")[0].id > again


# ------------------------------------------------------------------------------------------ 11. file modes


def test_the_store_and_its_wal_are_private_to_their_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """They were created 0644 (and the directory 0755): every local user could read the store."""
    import stat

    monkeypatch.setenv("CONNECTOR_HOST_SECRET_KEY", Fernet.generate_key().decode())
    path = tmp_path / "new" / "dir" / "store.db"
    code, _, err = run("--store", str(path), *ADD, "--set", f"auth.token={TOKEN}")
    assert code == 0, err
    with Store(path) as s:  # open, read and write: -wal and -shm exist now
        s.set_state(s.get_integration("acme").id, {"x": 1})
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, (f, oct(f.stat().st_mode))
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # a store an older host left readable by others is made private when opened
    os.chmod(path, 0o644)
    with Store(path):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
