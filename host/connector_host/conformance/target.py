"""What a connector hands the kit: its vendor's test double, behind a small interface."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ConformanceTarget(Protocol):
    """Return one from a ``conformance_target`` fixture in the connector's tests.

    Every config is a fresh dict the kit may pass to the hooks as is. Back it with the vendor's sandbox
    (Okta: ``okta_sandbox``) or with requests-mock responses (see the cookiecutter template).
    """

    def good_config(self) -> dict[str, Any]:
        """A config that validates, reaches the double and reads it completely."""

    def bad_credential_config(self) -> dict[str, Any]:
        """Valid and reachable, but the credential is refused (401): expect failure kind ``credentials``."""

    def unreachable_config(self) -> dict[str, Any]:
        """Valid, but nothing answers at the URL (connection refused): expect failure kind ``network``."""

    def wrong_url_config(self) -> dict[str, Any]:
        """Valid, a server answers but it is not the vendor's API (404, HTML): expect failure kind ``config``."""

    def invalid_config(self) -> dict[str, Any]:
        """A config that does not validate against the config schema: expect failure kind ``config``."""

    def crash(self) -> AbstractContextManager[Any]:
        """While entered, the double fails mid-stream (e.g. connection reset after a few requests)."""

    def secrets(self) -> Iterable[str]:
        """Every secret value the configs above carry or the double hands out (tokens, keys)."""


TARGET_METHODS = (
    "good_config", "bad_credential_config", "unreachable_config", "wrong_url_config", "invalid_config",
    "crash", "secrets",
)
