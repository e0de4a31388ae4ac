"""A host killed mid-sync: the sync shows as interrupted on restart and nothing of it was applied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from connector_host.store import StagedAsset, Store

CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {here!r})
    from host_fakes import FakeConnector, FakeOrg, hookimpl
    from connector_host.loader import load_connectors
    from connector_host.runner import Runner
    from connector_host.store import Store

    org = FakeOrg()
    org.users = {{f"n{{i}}": f"new{{i}}" for i in range(5000)}}  # a different org: everything old would be gone
    org.checks = {{}}
    class Slow(FakeConnector):
        @hookimpl
        def connector_sync(self, config, state, context):
            for i, msg in enumerate(super().connector_sync(config, state, context)):
                if i == 3000:
                    print("midway", flush=True)
                    time.sleep(60)  # killed here
                yield msg
    conn = Slow(org)
    reg = load_connectors(entry_points=False, plugins={{"fake": conn}}, env={{}})
    Runner(Store({db!r}), reg, batch_size=100).sync("acme")
    """
)


def test_killed_host_leaves_store_consistent(tmp_path: Path, monkeypatch):
    db = tmp_path / "crash.db"
    store = Store(db)
    integ = store.add_integration("acme", "fake", {"url": "https://fake.example",
                                                   "auth": {"method": "token", "token": {"$secret": "env", "name": "FAKE_TOKEN"}}})
    sid = store.start_sync(integ.id)
    store.stage(sid, [StagedAsset("user", f"u{i}", f"old{i}", 5003, "users", {}) for i in range(50)])
    store.finish_sync(sid, "succeeded")
    before = store.query_assets(limit=1000).items

    env = dict(os.environ, FAKE_TOKEN="00SECRETtokenVALUE-zz9-plural-z-alpha")
    script = CHILD.format(here=str(Path(__file__).parent), db=str(db))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "midway", proc.stderr.read()
        running = store.running_syncs()
        assert len(running) == 1
        staged = store._q("SELECT COUNT(*) FROM staged_assets WHERE sync_id = ?", (running[0].id,))[0][0]
        assert staged > 0  # batches were written while it ran
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)

    restarted = Store(db)
    t = time.monotonic()
    assert restarted.recover_interrupted() == [running[0].id]
    assert time.monotonic() - t < 5
    row = restarted.get_sync(running[0].id)
    assert row.status == "interrupted" and row.assets_gone == 0
    assert restarted.query_assets(limit=1000).items == before  # nothing gone, nothing added
    assert restarted._q("SELECT COUNT(*) FROM staged_assets")[0][0] == 0
    assert restarted.history("acme")[0].status == "interrupted"
    store.close()
    restarted.close()
