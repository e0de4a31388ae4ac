"""A typed facade over one connector's hooks, so no caller touches ``pm.hook``.

Each connector gets its own :class:`pluggy.PluginManager` holding only that connector's plugin, so a hook call
reaches exactly one implementation. The facade calls hooks with keyword arguments, caches the manifest and
config schema, and turns a connector's exceptions into results the host can record.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs
from .config_secrets import Path_, Redactor, format_path, secret_paths
from .validation import errors as schema_errors

REQUIRED_HOOKS = (
    "connector_manifest",
    "connector_config_schema",
    "connector_test_connection",
    "connector_sync",
    "connector_normalize_asset",
    "connector_normalize_finding",
)

log = logging.getLogger(__name__)


@dataclass
class SyncContext:
    """What ``connector_sync`` receives as ``context`` (attribute access; ``context["logger"]`` works too)."""

    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("connector_host.connector"))
    progress: Callable[[dict[str, Any]], None] = lambda _p: None
    cancelled: Callable[[], bool] = lambda: False
    budget: dict[str, Any] = field(default_factory=dict)
    sync_mode: str = "full"

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


def _is_standard(entry: Any) -> bool:
    return isinstance(entry, Mapping) and entry.get("kind") == "standard" and isinstance(entry.get("standard"), Mapping)


class ConnectorError(Exception):
    """A connector broke its contract (missing hook, invalid manifest, hook raised where it must not)."""


class Connector:
    """One loaded connector, by id. Create with :meth:`from_plugin`."""

    def __init__(self, id: str, pm: pluggy.PluginManager, source: str = ""):
        self.id = id
        self.source = source
        self._pm = pm
        self._manifest: dict[str, Any] | None = None
        self._config_schema: dict[str, Any] | None = None
        self._checks: list[Any] | None = None

    def __repr__(self) -> str:
        return f"<Connector {self.id} from {self.source or '?'}>"

    # -------------------------------------------------------------------------------------------- creation
    @classmethod
    def from_plugin(cls, id: str, plugin: object, source: str = "") -> Connector:
        """Register ``plugin`` (a module or object with hook implementations) on its own manager.

        Raises :class:`ConnectorError` or pluggy's ``PluginValidationError`` when it breaks the contract.
        """
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        pm.register(plugin, name=id)
        pm.check_pending()
        missing = [h for h in REQUIRED_HOOKS if not getattr(pm.hook, h).get_hookimpls()]
        if missing:
            raise ConnectorError(f"connector {id!r} does not implement {', '.join(missing)}")
        return cls(id, pm, source=source)

    def implements(self, hook: str) -> bool:
        caller = getattr(self._pm.hook, hook, None)
        return bool(caller and caller.get_hookimpls())

    # -------------------------------------------------------------------------------------------- metadata
    def manifest(self) -> dict[str, Any]:
        if self._manifest is None:
            result = self._pm.hook.connector_manifest()
            if not isinstance(result, Mapping):
                raise ConnectorError(f"connector {self.id!r}: connector_manifest returned {type(result).__name__}")
            self._manifest = dict(result)
        return copy.deepcopy(self._manifest)

    def manifest_errors(self) -> list[str]:
        return schema_errors("manifest.schema.json", self.manifest())

    @property
    def name(self) -> str:
        return str(self.manifest().get("name", self.id))

    @property
    def version(self) -> str:
        return str(self.manifest().get("version", "?"))

    def config_schema(self) -> dict[str, Any]:
        if self._config_schema is None:
            result = self._pm.hook.connector_config_schema()
            if not isinstance(result, Mapping):
                raise ConnectorError(f"connector {self.id!r}: connector_config_schema returned {type(result).__name__}")
            self._config_schema = dict(result)
        return copy.deepcopy(self._config_schema)

    def secret_paths(self) -> list[Path_]:
        return secret_paths(self.config_schema())

    def redactor(self, config: Mapping[str, Any]) -> Redactor:
        return Redactor.for_config(config, self.secret_paths())

    def validate_config(self, config: Mapping[str, Any], *, ignore: tuple[Path_, ...] = ()) -> list[str]:
        """Errors of ``config`` against the connector's config schema, without any secret value in them."""
        from jsonschema import Draft202012Validator, FormatChecker

        schema = self.config_schema()
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        secrets = set(self.secret_paths())
        redactor = self.redactor(config)
        out: list[str] = []
        for err in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path)):
            path = tuple(str(p) for p in err.absolute_path)
            if any(path[: len(i)] == i for i in ignore):
                continue
            where = format_path(path) or "(top level)"
            if path in secrets or any(path[: len(s)] == s for s in secrets):
                msg = f"{where}: invalid value ({err.validator} {err.validator_value!r} not met)"
            else:
                msg = f"{where}: {err.message}"
            out.append(redactor.text(msg))
        return out

    # -------------------------------------------------------------------------------------------- calls
    def test_connection(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Run Test Connection; a connector exception becomes a ``failed`` result of kind ``internal``."""
        started = time.monotonic()
        redactor = self.redactor(config)
        try:
            result = self._pm.hook.connector_test_connection(config=config)
        except Exception as e:  # the contract says never raise; the host survives it anyway
            log.debug("connector %s test_connection raised %s", self.id, type(e).__name__)
            result = {
                "status": "failed",
                "failure_kind": "internal",
                "message": redactor.text(f"the connector raised {type(e).__name__}: {e}"),
                "capabilities": [],
            }
        if not isinstance(result, Mapping):
            result = {
                "status": "failed",
                "failure_kind": "internal",
                "message": f"the connector returned {type(result).__name__} instead of a connection result",
                "capabilities": [],
            }
        result = redactor.obj(dict(result))
        result.setdefault("duration_ms", round((time.monotonic() - started) * 1000, 1))
        problems = schema_errors("connection_result.schema.json", result)
        if problems:
            result.setdefault("warnings", [])
            if isinstance(result["warnings"], list):
                result["warnings"].append("connection result does not follow the schema: " + "; ".join(problems[:3]))
        return result

    def sync(
        self, config: Mapping[str, Any], state: Mapping[str, Any] | None, context: SyncContext
    ) -> Iterator[dict[str, Any]]:
        """The connector's raw message stream (the runner validates, redacts and stores it)."""
        result = self._pm.hook.connector_sync(config=config, state=state, context=context)
        if result is None:
            raise ConnectorError(f"connector {self.id!r}: connector_sync returned nothing")
        return iter(result)

    def normalize_asset(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._pm.hook.connector_normalize_asset(record=record)

    def normalize_finding(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._pm.hook.connector_normalize_finding(record=record)

    def _catalog(self) -> list[Any] | None:
        """The catalog as the connector returned it, read once (it is the connector's metadata, like its
        manifest); callers get a new list each time and must not change its entries."""
        if not self.implements("connector_checks"):
            return None
        if self._checks is None:
            result = self._pm.hook.connector_checks()
            if result is None:
                return None
            self._checks = list(result)
        return list(self._checks)

    def checks(self) -> list[dict[str, Any]] | None:
        """The connector's check catalog (its entries of kind ``standard`` left out), or ``None`` when it does not
        implement ``connector_checks``."""
        catalog = self._catalog()
        if catalog is None:
            return None
        return [c for c in catalog if not _is_standard(c)]

    def standards(self) -> list[dict[str, Any]]:
        """The standards the connector publishes with its catalog (entries of kind ``standard``: their ``standard``
        mappings, each with its rules); empty when it publishes none."""
        return [dict(c["standard"]) for c in self._catalog() or [] if _is_standard(c)]

    # -------------------------------------------------------------------------------------------- convenience
    def default_interval_minutes(self) -> int | None:
        value = (self.manifest().get("sync") or {}).get("default_interval_minutes")
        return value if isinstance(value, int) else None

    def minimum_interval_minutes(self) -> int:
        value = (self.manifest().get("sync") or {}).get("minimum_interval_minutes")
        return value if isinstance(value, int) and value > 0 else 1
