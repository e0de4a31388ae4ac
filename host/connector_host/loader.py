"""Find and load connectors: the entry-point group ``connector_host``, with allow and block lists.

* ``CONNECTOR_HOST_CONNECTORS=okta,github`` (or ``allow=``) loads only these ids; an empty value loads none;
* ``CONNECTOR_HOST_BLOCK_CONNECTORS=legacy`` (or ``block=``) never loads these ids;
* ``CONNECTOR_HOST_LOAD_ENTRY_POINTS=0`` (or ``entry_points=False``) skips installed entry points entirely,
  which tests use to register throwaway connectors with :meth:`Registry.register` (as datasette and llm do).

A connector that fails to import, breaks the hook contract (``check_pending()``, a missing hook), ships an
invalid manifest or needs another host version is recorded in :attr:`Registry.failures`, never fatal to
the others.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata

from . import __version__, hookspecs
from .facade import Connector

ENV_ALLOW = "CONNECTOR_HOST_CONNECTORS"
ENV_BLOCK = "CONNECTOR_HOST_BLOCK_CONNECTORS"
ENV_LOAD_ENTRY_POINTS = "CONNECTOR_HOST_LOAD_ENTRY_POINTS"

log = logging.getLogger(__name__)


@dataclass
class LoadFailure:
    id: str
    source: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "source": self.source, "error": self.error}


class UnknownConnector(LookupError):
    pass


@dataclass
class Registry:
    """The loaded connectors by id, and the ones that failed to load."""

    connectors: dict[str, Connector] = field(default_factory=dict)
    failures: list[LoadFailure] = field(default_factory=list)
    allow: frozenset[str] | None = None
    block: frozenset[str] = frozenset()

    def __contains__(self, id: str) -> bool:
        return id in self.connectors

    def __iter__(self):
        return iter(self.connectors.values())

    def get(self, id: str) -> Connector:
        if id in self.connectors:
            return self.connectors[id]
        failed = [f for f in self.failures if f.id == id]
        if failed:
            raise UnknownConnector(f"connector {id!r} failed to load: {failed[0].error}")
        if id in self.block or (self.allow is not None and id not in self.allow):
            raise UnknownConnector(f"connector {id!r} is not allowed here ({ENV_ALLOW} / {ENV_BLOCK})")
        known = ", ".join(sorted(self.connectors)) or "none"
        raise UnknownConnector(f"no connector {id!r} is installed (installed: {known}); pip install its package")

    def allowed(self, id: str) -> bool:
        return id not in self.block and (self.allow is None or id in self.allow)

    def register(self, id: str, plugin: object, source: str = "registered") -> Connector | None:
        """Load one plugin object or module under ``id``; returns None (and records a failure) when it breaks."""
        if not self.allowed(id):
            return None
        if id in self.connectors:
            self.failures.append(LoadFailure(id, source, f"another connector already uses the id {id!r}"))
            return None
        try:
            connector = Connector.from_plugin(id, plugin, source=source)
            _check_manifest(connector)
        except Exception as e:
            log.debug("connector %s failed to load:\n%s", id, traceback.format_exc())
            self.failures.append(LoadFailure(id, source, _one_line(e)))
            return None
        self.connectors[id] = connector
        return connector


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or "no message"
    return f"{type(e).__name__}: {text}"[:500]


def _check_manifest(connector: Connector) -> None:
    problems = connector.manifest_errors()
    if problems:
        raise ValueError("manifest.json does not follow manifest.schema.json: " + "; ".join(problems[:5]))
    manifest = connector.manifest()
    if manifest["id"] != connector.id:
        raise ValueError(f"manifest id {manifest['id']!r} differs from the entry-point name {connector.id!r}")
    spec = manifest.get("host_version")
    if spec:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            ok = SpecifierSet(spec).contains(__version__, prereleases=True)
        except InvalidSpecifier:
            raise ValueError(f"manifest host_version {spec!r} is not a version specifier such as '>=0.1,<1'") from None
        if not ok:
            raise ValueError(f"needs connector-host {spec}; this host is {__version__}")
    connector.config_schema()  # must answer


def _id_list(value: str | Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(v.strip() for v in value if v.strip())


def load_connectors(
    *,
    allow: str | Iterable[str] | None = None,
    block: str | Iterable[str] | None = None,
    entry_points: bool | None = None,
    plugins: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
) -> Registry:
    """Load the installed connectors (and ``plugins``, id -> module or object) into a :class:`Registry`."""
    env = os.environ if env is None else env
    if allow is None and ENV_ALLOW in env:
        allow = env[ENV_ALLOW]
    if block is None:
        block = env.get(ENV_BLOCK, "")
    if entry_points is None:
        entry_points = env.get(ENV_LOAD_ENTRY_POINTS, "1").strip().lower() not in ("0", "false", "no", "off")
    registry = Registry(allow=_id_list(allow), block=_id_list(block) or frozenset())

    if entry_points:
        for ep in sorted(metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP), key=lambda e: e.name):
            if not registry.allowed(ep.name):
                continue
            source = f"{ep.value} ({ep.dist.name} {ep.dist.version})" if ep.dist else ep.value
            try:
                plugin = ep.load()
            except Exception as e:
                log.debug("entry point %s failed to import:\n%s", ep.name, traceback.format_exc())
                registry.failures.append(LoadFailure(ep.name, source, "import failed: " + _one_line(e)))
                continue
            registry.register(ep.name, plugin, source=source)
    for id, plugin in (plugins or {}).items():
        registry.register(id, plugin)
    return registry
