"""The host under load and crashes: 20 integrations syncing sandbox orgs at once without cross-talk, a second
sync of a running integration refused (same runner, another runner, the CLI), and a host process killed with
SIGKILL mid-sync: on restart that sync shows as interrupted and the store is exactly as before it."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("okta_sandbox.generator")

from connector_host import cli  # noqa: E402
from connector_host.runner import Runner  # noqa: E402
from connector_host.store import Store, SyncInProgress  # noqa: E402
from okta_sandbox.faults import Faults  # noqa: E402
from reliability_harness import TOKEN_ENV, Host, okta_registry, snapshot, stored_config, super_token  # noqa: E402

INTEGRATIONS = 20


def test_twenty_integrations_sync_at_once_without_cross_talk(sandbox, tmp_path, monkeypatch):
    orgs = []
    for i in range(INTEGRATIONS):
        sb = sandbox("default", users=8 + i, seed=100 + i, rate_limits=None)
        for u in sb.org.users:  # make every object traceable to its org
            u["profile"]["login"] = u["profile"]["email"] = f"{u['id']}@org{i}.example"
        for g in sb.org.groups:
            g["profile"]["name"] = f"org{i} {g['profile']['name']}"
        monkeypatch.setenv(f"{TOKEN_ENV}_{i}", super_token(sb))
        orgs.append(sb)
    host = Host(tmp_path)
    ids = [host.add(f"org{i}", stored_config(sb, env_name=f"{TOKEN_ENV}_{i}")) for i, sb in enumerate(orgs)]
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=INTEGRATIONS) as pool:
            records = list(pool.map(lambda iid: host.runner.sync(iid), ids))
        elapsed = time.monotonic() - started
        assert all(r.status == "succeeded" for r in records), [(r.integration, r.status, r.message) for r in records]
        assert elapsed < 90, f"20 small syncs took {elapsed:.0f}s"
        db = host.store._conn()  # noqa: SLF001
        for i, (iid, sb) in enumerate(zip(ids, orgs, strict=True)):
            users = db.execute("SELECT uid, data FROM assets WHERE integration_id = ? AND type = 'user'",
                               (iid,)).fetchall()
            assert len(users) == len(sb.org.users) == 8 + i
            for row in users:
                assert f"@org{i}.example" in row["data"], f"integration org{i} holds a user of another org"
                for j in range(INTEGRATIONS):
                    if j != i:
                        assert f"@org{j}.example" not in row["data"]
            groups = db.execute("SELECT name FROM assets WHERE integration_id = ? AND type = 'group'", (iid,)).fetchall()
            assert groups and all(g["name"].startswith(f"org{i} ") for g in groups), [g["name"] for g in groups]
            counts = host.store.asset_counts(iid)
            assert counts.get("user") == 8 + i
            assert host.store.get_sync(records[i].id).integration_id == iid
        assert sum(s["requests"] for s in (sb.stats() for sb in orgs)) == sum(r.api_requests or 0 for r in records)
    finally:
        host.close()


def test_a_second_sync_of_a_running_integration_is_refused(sandbox, tmp_path, monkeypatch):
    sb = sandbox("default", users=20, seed=7, rate_limits=None, faults=["slow:/api/v1/users:delay=2,count=1"])
    monkeypatch.setenv(TOKEN_ENV, super_token(sb))
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(tmp_path / "reliability.db"))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    host = Host(tmp_path)
    iid = host.add("acme", stored_config(sb))
    result: dict[str, object] = {}
    first = threading.Thread(target=lambda: result.setdefault("rec", host.runner.sync(iid)))
    first.start()
    try:
        deadline = time.monotonic() + 20
        while not host.store.running_syncs() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert host.store.running_syncs(), "the first sync never started"
        with pytest.raises(SyncInProgress):  # the same runner
            host.runner.sync(iid)
        other = Store(tmp_path / "reliability.db")  # another runner on the same store, as another worker would
        try:
            with pytest.raises(SyncInProgress) as info:
                Runner(other, okta_registry()).sync(iid)
            assert "running" in str(info.value) and "wait" in str(info.value)
        finally:
            other.close()
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["sync", "acme"], stdout=out, stderr=err) == 4, err.getvalue()  # the CLI: busy
        assert "wait" in err.getvalue()
    finally:
        first.join(timeout=60)
    rec = result["rec"]
    assert rec.status == "succeeded", rec.message  # type: ignore[attr-defined]
    assert [r.status for r in host.store.history(iid)] == ["succeeded"]  # the refused ones left no row
    host.close()


def _store_counts(path: Path) -> dict[str, object]:
    db = sqlite3.connect(path)
    try:
        return {
            "assets": db.execute("SELECT COUNT(*), SUM(gone_at IS NOT NULL), MAX(last_sync_id) FROM assets").fetchone(),
            "findings": db.execute("SELECT COUNT(*), SUM(status = 'resolved'), MAX(last_sync_id) FROM findings").fetchone(),
            "relationships": db.execute("SELECT COUNT(*), MAX(last_sync_id) FROM relationships").fetchone(),
            "state": db.execute("SELECT state FROM integrations").fetchone(),
            "data": db.execute("SELECT SUM(LENGTH(data)) FROM assets").fetchone(),
        }
    finally:
        db.close()


def _staged(path: Path) -> int:
    db = sqlite3.connect(path, timeout=5)
    db.execute("ATTACH DATABASE ? AS staging", (f"{path}.staging",))  # where a sync stages (store.STAGING_DDL)
    try:
        return sum(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                   for t in ("staged_assets", "staged_findings", "staged_relationships"))
    finally:
        db.close()


def test_a_host_killed_mid_sync_leaves_the_store_as_it_was(sandbox, tmp_path, monkeypatch):
    sb = sandbox("default", users=700, seed=9, rate_limits=None)
    token = super_token(sb)
    store_path = tmp_path / "killed.db"
    monkeypatch.setenv(TOKEN_ENV, token)
    host = Host(tmp_path)  # a clean first sync, in this process
    host.store.close()
    host.store = Store(store_path)
    host.runner = Runner(host.store, okta_registry(), batch_size=200)
    iid = host.add("acme", stored_config(sb, full_sync_every=1))
    first, _ = host.sync(iid)
    assert first.status == "succeeded", first.message
    before = snapshot(host.store, iid)
    host.close()
    counts_before = _store_counts(store_path)

    # the org changes (a sync applying it would mark groups gone), and the last stream hangs
    removed = sb.org.groups[:3]
    del sb.org.groups[:3]
    sb.faults = Faults.of(["slow:/api/v1/devices:delay=30,count=all"])
    env = {**os.environ, TOKEN_ENV: token, "CONNECTOR_HOST_STORE": str(store_path), "CONNECTOR_HOST_CONNECTORS": "okta"}
    proc = subprocess.Popen([sys.executable, "-m", "connector_host.cli", "sync", "acme"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if sb.stats()["requests_by_path"].get("/api/v1/devices") and _staged(store_path) > 0:
                break  # mid-sync: users read and staged, devices hanging
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        assert _staged(store_path) > 0, "nothing was staged before the kill"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # "restart": the next host process opens the store
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(store_path))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    assert cli.main(["history", "acme", "--json"], stdout=out, stderr=err) == 0, err.getvalue()
    history = json.loads(out.getvalue())
    assert [h["status"] for h in history] == ["interrupted", "succeeded"], history
    assert "nothing of it was applied" in history[0]["message"]
    assert _staged(store_path) == 0
    assert _store_counts(store_path) == counts_before  # no half-applied snapshot
    with Store(store_path) as store:
        after = snapshot(store, iid)
        assert after == before
        assert not store.running_syncs()
    # and the next sync runs and applies normally
    sb.faults = Faults()
    with Store(store_path) as store:
        rec = Runner(store, okta_registry()).sync(iid)
        assert rec.status == "succeeded", rec.message
        assert rec.assets_gone >= len(removed)
        gone = {uid for t, uid in snapshot(store, iid).gone if t == "group"}
        assert {g["id"] for g in removed} <= gone
