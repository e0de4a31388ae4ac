"""Fixtures of the host tests: the throwaway connector of host_fakes, a store, a runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from connector_host.loader import Registry, load_connectors
from connector_host.runner import Runner
from connector_host.store import Store
from host_fakes import TOKEN, FakeConnector, FakeOrg


@pytest.fixture
def fake_org() -> FakeOrg:
    return FakeOrg()


@pytest.fixture
def registry(fake_org: FakeOrg) -> Registry:
    return load_connectors(entry_points=False, plugins={"fake": FakeConnector(fake_org)}, env={})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store.db")
    yield s
    s.close()


@pytest.fixture
def runner(store: Store, registry: Registry) -> Runner:
    return Runner(store, registry, batch_size=2)


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FAKE_TOKEN", TOKEN)
    return "FAKE_TOKEN"


@pytest.fixture
def integration(store: Store, token_env: str) -> Callable[..., Any]:
    def make(name: str = "acme", **config: Any) -> Any:
        cfg = {"url": "https://fake.example", "auth": {"method": "token", "token": {"$secret": "env", "name": token_env}}}
        cfg.update(config)
        return store.add_integration(name, "fake", cfg, interval_minutes=60)

    return make
