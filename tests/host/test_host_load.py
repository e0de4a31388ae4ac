"""Under load: 20 integrations syncing 20 sandbox orgs at once, with no cross-talk between them."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("okta_sandbox.generator")
pytest.importorskip("connector_okta.plugin")

from connector_host.config_secrets import env_ref  # noqa: E402
from connector_host.loader import load_connectors  # noqa: E402
from connector_host.runner import Runner  # noqa: E402
from connector_host.scheduler import Scheduler  # noqa: E402
from connector_host.store import Store  # noqa: E402
from okta_sandbox.generator import generate  # noqa: E402


def test_twenty_sandbox_orgs_synced_at_once(sandbox, tmp_path, monkeypatch):
    store = Store(tmp_path / "load.db")
    registry = load_connectors(allow=["okta"])
    orgs = {}
    for i in range(20):
        org = generate("weak", users=10 + i, seed=i + 1)
        sb = sandbox(org=org)
        monkeypatch.setenv(f"LOAD_TOKEN_{i}", sb.token)
        config = {"org_url": sb.url, "auth": {"method": "api_token", "token": env_ref(f"LOAD_TOKEN_{i}")},
                  "allow_insecure_http_loopback": True}
        store.add_integration(f"org{i}", "okta", config, interval_minutes=60)
        orgs[f"org{i}"] = {u["profile"]["login"] for u in (org.users[k] for k in range(len(org.users)))}

    sched = Scheduler(store, Runner(store, registry), max_workers=20)
    started = time.monotonic()
    records = sched.run_once()
    elapsed = time.monotonic() - started
    assert sorted(r.integration for r in records) == sorted(orgs)
    assert all(r.status in ("succeeded", "partial") for r in records), [(r.integration, r.status, r.message) for r in records]
    assert all(not any(e["kind"] == "internal" for e in r.errors) for r in records)
    for name, logins in orgs.items():
        users = store.query_assets(name, type="user", limit=1000).items
        assert {u["name"] for u in users} == logins, name  # each integration holds its own org's users only
    assert len({r.id for r in records}) == 20 and elapsed < 120
    # every integration is done: none is due again, none is left running
    assert sched.due() == [] and store.running_syncs() == []
    store.close()
