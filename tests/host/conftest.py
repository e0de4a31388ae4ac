"""Fixtures of the host tests: the throwaway connector of host_fakes, a store, a runner.

The store tests (``test_host_store*.py``) and the tests of what the host does with a store (``BOTH_BACKENDS``: a
full sync through the runner, snapshot semantics, history, asset identity, the scheduler, the findings, assets,
standards, exceptions, exports and trends views) run on both backends: their ``store`` / ``store_url`` is SQLite and PostgreSQL (a fresh schema
per test, dropped after; skipped where PostgreSQL is absent, failing under CI=true: tests/services.py). Other host
tests use SQLite; a test asks for both with ``@pytest.mark.parametrize("store_backend", BACKENDS, indirect=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from connector_host.loader import Registry, load_connectors
from connector_host.runner import Runner
from connector_host.store import Store
from host_fakes import TOKEN, FakeConnector, FakeOrg
from services import pg_store_url

BACKENDS = ("sqlite", "postgresql")
BOTH_BACKENDS = ("test_host_store", "test_host_runner", "test_host_exceptions", "test_host_export",
                 "test_host_findings_triage", "test_host_standards", "test_host_trends", "test_host_identity",
                 "test_host_scheduler", "test_host_cli")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if (metafunc.module.__name__.startswith(BOTH_BACKENDS) and "store_backend" in metafunc.fixturenames
            and not any(m.name == "parametrize" and "store_backend" in str(m.args[0])
                        for m in metafunc.definition.iter_markers())):
        metafunc.parametrize("store_backend", BACKENDS, indirect=True)


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def store_url(store_backend: str, tmp_path: Path) -> Iterator[str]:
    """Where the test's store is: a file in tmp_path, or a PostgreSQL URL on a fresh schema."""
    if store_backend == "postgresql":
        with pg_store_url("store") as url:
            yield url
    else:
        yield str(tmp_path / "store.db")


@pytest.fixture
def fake_org() -> FakeOrg:
    return FakeOrg()


@pytest.fixture
def registry(fake_org: FakeOrg) -> Registry:
    return load_connectors(entry_points=False, plugins={"fake": FakeConnector(fake_org)}, env={})


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
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
