"""The hook implementations: thin, they only wire the modules together."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pluggy

from . import checks, normalize, resources, sync
from .client import ApiClient, ApiError
from .config import ConfigError, load_config

hookimpl = pluggy.HookimplMarker("connector_host")


@hookimpl
def connector_manifest() -> dict[str, Any]:
    return resources.manifest()


@hookimpl
def connector_config_schema() -> dict[str, Any]:
    return resources.config_schema()


def _failed(kind: str, message: str) -> dict[str, Any]:
    return {"status": "failed", "failure_kind": kind, "message": message, "capabilities": [], "warnings": []}


@hookimpl
def connector_test_connection(config: Mapping[str, Any]) -> dict[str, Any]:
    try:
        client = ApiClient(load_config(config))
        tenant = client.get("/api/v1/tenant")
    except ConfigError as exc:
        return _failed("config", str(exc))
    except ApiError as exc:
        return _failed(exc.kind, exc.message)
    capabilities = []
    try:
        client.get("/api/v1/users", {"limit": 1})
        capabilities.append({"name": "users", "status": "succeeded", "message": "The user list is readable."})
    except ApiError as exc:
        capabilities.append({"name": "users", "status": "failed", "message": exc.message})
    ok = all(c["status"] == "succeeded" for c in capabilities)
    return {
        "status": "succeeded",
        "failure_kind": None,
        "message": f"Connected to {tenant.get('name') or 'the tenant'}"
                   + ("." if ok else "; some collections are not readable (see capabilities)."),
        "capabilities": capabilities,
        "identity": {"tenant": tenant.get("id")},
        "warnings": [],
    }


@hookimpl
def connector_sync(
    config: Mapping[str, Any], state: Mapping[str, Any] | None, context: Any
) -> Iterator[dict[str, Any]]:
    return sync.run(dict(config), context)


@hookimpl
def connector_normalize_asset(record: Mapping[str, Any]) -> dict[str, Any] | None:
    return normalize.asset(dict(record))


@hookimpl
def connector_normalize_finding(record: Mapping[str, Any]) -> dict[str, Any]:
    return normalize.finding(dict(record))


@hookimpl
def connector_checks() -> list[dict[str, Any]]:
    return checks.catalog()
