"""What a connector hands the kit: its vendor's test double, behind a small interface."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


class DescribesScopes(Protocol):
    """Optional, on the same object: lets the kit check that every request needs only declared scopes."""

    def endpoint_scopes(self) -> Mapping[str, str | Sequence[str] | None]:
        """The scope each endpoint of the vendor's API needs: ``{"GET /api/v1/users/{id}": "users:read"}``.

        Keys are ``METHOD /path`` (or ``/path`` for any method) with ``{name}`` for a path segment; a value is
        a scope, a list of scopes any of which allows the request, or None (no scope needed).
        """

    def requests_seen(self) -> Iterable[str] | Mapping[str, int]:
        """Every request the double received so far, as ``METHOD /path?query`` (cumulative; order free), or a
        mapping of such requests to how many times each was received."""


TARGET_METHODS = (
    "good_config", "bad_credential_config", "unreachable_config", "wrong_url_config", "invalid_config",
    "crash", "secrets",
)
