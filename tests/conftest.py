"""Shared fixtures: a factory of started sandboxes, and the connector config pointing at one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from okta_sandbox.model import Org
from okta_sandbox.server import Sandbox


def _generate(scenario: str, users: int, seed: int, pipeline: str | None) -> Org:
    try:
        from okta_sandbox.generator import generate
    except ImportError:  # the generator is not there yet
        pytest.skip("okta_sandbox.generator is not available")
    return generate(scenario, users=users, seed=seed, pipeline=pipeline)


@pytest.fixture
def sandbox() -> Iterator[Callable[..., Sandbox]]:
    """``sandbox(scenario="default", users=50, seed=0, pipeline=None, org=None, **server_kwargs) -> Sandbox``,
    started now and stopped at teardown. ``org`` serves a hand-built org instead of a generated one;
    ``server_kwargs`` go to ``Sandbox`` (rate_limits, time_scale, faults, token_share, concurrency, ...)."""
    started: list[Sandbox] = []

    def factory(
        scenario: str = "default",
        users: int = 50,
        seed: int = 0,
        pipeline: str | None = None,
        org: Org | None = None,
        **server_kwargs: Any,
    ) -> Sandbox:
        sb = Sandbox(org if org is not None else _generate(scenario, users, seed, pipeline), **server_kwargs).start()
        started.append(sb)
        return sb

    yield factory
    for sb in started:
        sb.stop()


def sandbox_config(sb: Sandbox) -> dict[str, Any]:
    """A connector config for ``sb`` (SSWS token; plain http allowed only because it is loopback)."""
    return {"org_url": sb.url, "auth": {"method": "api_token", "token": sb.token}, "allow_insecure_http_loopback": True}


@pytest.fixture(name="sandbox_config")
def sandbox_config_fixture() -> Callable[[Sandbox], dict[str, Any]]:
    return sandbox_config
