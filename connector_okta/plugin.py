"""The Okta connector's hook implementations (entry point ``connector_host: okta``).

Thin: each hook hands over to the module that does the work. The connector never imports the host; the
marker below only names the host's project so pluggy matches these to its specs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("connector_host")
log = logging.getLogger("connector_okta")


@cache
def _package_json(name: str) -> dict[str, Any]:
    return json.loads(resources.files("connector_okta").joinpath(name).read_text(encoding="utf-8"))


@hookimpl
def connector_manifest() -> dict[str, Any]:
    return json.loads(json.dumps(_package_json("manifest.json")))  # a copy the caller may change


@hookimpl
def connector_config_schema() -> dict[str, Any]:
    return json.loads(json.dumps(_package_json("schemas/config.schema.json")))


@hookimpl
def connector_test_connection(config: Mapping[str, Any]) -> dict[str, Any]:
    from .resources import probes

    try:
        from .connection import test_connection

        return test_connection(dict(config) if isinstance(config, Mapping) else config, probes=probes())
    except Exception as exc:  # noqa: BLE001 - the contract: never raise
        log.debug("test_connection failed unexpectedly", exc_info=False)
        return {
            "status": "failed",
            "failure_kind": "internal",
            "message": f"the connection test failed unexpectedly ({type(exc).__name__}); this is a bug, please "
                       "report it",
            "capabilities": [],
            "warnings": [],
        }


@hookimpl
def connector_sync(config: Mapping[str, Any], state: Mapping[str, Any] | None, context: Any
                   ) -> Iterator[dict[str, Any]]:
    from .sync import guarded, run_sync

    return guarded(config, run_sync(config, state, context))


@hookimpl
def connector_normalize_asset(record: Mapping[str, Any]) -> dict[str, Any] | None:
    from .normalize import normalize_asset

    return normalize_asset(record)


@hookimpl
def connector_normalize_finding(record: Mapping[str, Any]) -> dict[str, Any]:
    from .normalize import normalize_finding

    return normalize_finding(record)


@hookimpl
def connector_checks() -> list[dict[str, Any]]:
    """The check catalog, then one entry of kind ``standard`` per standard the checks map to (its rules)."""
    from .checks.catalog import standard_entries
    from .checks.engine import catalog

    return catalog() + standard_entries()
