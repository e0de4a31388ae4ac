"""Rules a connector's manifest follows beyond its JSON Schema (which may be looser)."""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def version_problems(manifest: Mapping[str, Any]) -> list[str]:
    version = manifest.get("version")
    if not isinstance(version, str) or not SEMVER.match(version):
        return [f"version {version!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0)"]
    return []


def host_version() -> str | None:
    try:
        return importlib.metadata.version("connector-host")
    except importlib.metadata.PackageNotFoundError:
        return None


def host_range_problems(manifest: Mapping[str, Any]) -> list[str]:
    spec = manifest.get("host_version")
    if not isinstance(spec, str) or not spec.strip():
        return [
            'no "host_version": declare the connector-host versions this connector works with as a '
            'PEP 440 specifier, e.g. ">=0.1,<1", so hosts refuse it rather than break'
        ]
    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return [f'host_version {spec!r} is not a PEP 440 version specifier (e.g. ">=0.1,<1")']
    installed = host_version()
    if installed is not None and not specifier.contains(Version(installed), prereleases=True):
        return [f"host_version {spec!r} excludes the installed connector-host {installed}"]
    return []


def icon_problems(manifest: Mapping[str, Any], package: str | None) -> list[str]:
    icon = manifest.get("icon")
    if not isinstance(icon, str) or not icon.strip():
        return ['no "icon": give a path inside the package (e.g. "icon.svg"), an https URL or a data: URI']
    if icon.startswith(("https://", "data:image/")):
        return []
    if icon.startswith("http://"):
        return [f"icon {icon!r}: use https, hosts refuse mixed content"]
    if package is None:
        return [f"icon {icon!r}: cannot find the connector's package to look for it"]
    try:
        found = (resources.files(package) / icon).is_file()
    except (ModuleNotFoundError, TypeError, ValueError):
        found = False
    if not found:
        return [f"icon {icon!r} is not a file in package {package!r}; ship it as package data"]
    if not icon.lower().endswith((".svg", ".png")):
        return [f"icon {icon!r}: use an SVG or PNG file"]
    return []


def scope_problems(manifest: Mapping[str, Any]) -> list[str]:
    permissions = manifest.get("permissions")
    scopes = permissions.get("scopes") if isinstance(permissions, Mapping) else None
    if not isinstance(scopes, list) or not scopes:
        return [
            'no "permissions.scopes": list the read-only scopes (or permissions) the credential needs, '
            "so admins can grant least privilege"
        ]
    bad = [s for s in scopes if not isinstance(s, str) or not s.strip()]
    if bad:
        return [f"permissions.scopes holds values that are not scope names: {bad!r}"]
    if len(set(scopes)) != len(scopes):
        return [f"permissions.scopes lists a scope twice: {scopes!r}"]
    return []


def config_schema_reference(manifest: Mapping[str, Any], package: str | None) -> tuple[Any, str | None]:
    """The config schema the manifest names (loaded from the package when it is a path), or a problem."""
    import json

    ref = manifest.get("config_schema")
    if isinstance(ref, Mapping):
        return ref, None
    if not isinstance(ref, str):
        return None, 'no "config_schema": name the config schema file inside the package or embed it'
    if package is None:
        return None, f"config_schema {ref!r}: cannot find the connector's package to read it"
    try:
        return json.loads((resources.files(package) / ref).read_text(encoding="utf-8")), None
    except (OSError, ValueError, ModuleNotFoundError) as exc:
        return None, f"config_schema {ref!r} cannot be read from package {package!r}: {exc}"
