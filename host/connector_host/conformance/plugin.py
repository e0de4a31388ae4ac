"""The conformance kit as a pytest plugin (entry point ``pytest11``: ``connector_conformance``).

Inert unless a test module opts in by subclassing :class:`~connector_host.conformance.ConformanceSuite`:
it only adds ``conformance_*`` fixtures.
"""

from __future__ import annotations

from typing import Any

import pytest

from .runner import installed_entry_points


@pytest.fixture(scope="session")
def conformance_entry_points() -> list[Any]:
    """The entry points in group ``connector_host`` the kit sees (override to add throwaway connectors)."""
    return installed_entry_points()


@pytest.fixture
def conformance_target() -> Any:
    """The connector's test double; every connector's tests must override this fixture."""
    pytest.fail(
        "define a `conformance_target` fixture in your tests returning an object with good_config(), "
        "bad_credential_config(), unreachable_config(), wrong_url_config(), invalid_config(), crash() and "
        "secrets() (see connector_host.conformance.ConformanceTarget)",
        pytrace=False,
    )
