"""Scenario data: directories of JSON files, one per :class:`~okta_sandbox.model.Org` field.

A scenario directory (``okta_sandbox/scenarios/<name>/``) holds ``<field>.json`` files (``policies.json``,
``zones.json``, ...) plus the recipe ``admins.json`` (admin users and admin groups the generator creates).
A ``v1/`` subdirectory overrides files for the Classic pipeline. See ``scenarios/README.md`` for what each
scenario is built to show.

Strings of the form ``$now``, ``$now-30d``, ``$now+6h``, ``$now-15m`` are timestamps relative to the
generation time (so "recent" stays recent); :func:`resolve_times` turns them into Okta timestamps.
"""

from __future__ import annotations

import dataclasses
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from .model import Org

SCENARIOS = ("default", "hardened", "weak")
RECIPE_FILES = frozenset({"admins"})
ORG_FIELDS = frozenset(f.name for f in dataclasses.fields(Org)) - {
    "pipeline",
    "base_url",
    "tokens",
    "oauth_clients",
    "oauth_private_keys",
    "missing_features",
}
_REL_TIME = re.compile(r"^\$now(?:([+-])(\d+)([dhm]))?$")
_UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000}


class ScenarioError(ValueError):
    """A scenario name or directory is unusable; the message says what to fix."""


def scenario_path(name: str) -> Path:
    if name not in SCENARIOS:
        raise ScenarioError(
            f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)} or pass scenario_dir="
        )
    return Path(str(resources.files("okta_sandbox") / "scenarios" / name))


def load_dir(path: str | Path) -> dict[str, Any]:
    """Read every ``<field>.json`` in ``path`` (not recursive): ``{field: parsed JSON}``.

    Only Org collection fields and recipe files (``admins``) are accepted, so a typo in a file name fails loudly
    instead of being ignored.
    """
    p = Path(path)
    if not p.is_dir():
        raise ScenarioError(f"scenario directory {p} does not exist or is not a directory")
    out: dict[str, Any] = {}
    for f in sorted(p.glob("*.json")):
        name = f.stem
        if name not in ORG_FIELDS and name not in RECIPE_FILES:
            raise ScenarioError(
                f"{f}: {name!r} is not an Org collection; name files after Org fields "
                f"(e.g. policies.json, zones.json) or recipe files ({', '.join(sorted(RECIPE_FILES))})"
            )
        try:
            out[name] = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ScenarioError(f"{f}: invalid JSON ({e})") from e
    return out


def load_scenario(name: str, pipeline: str = "idx") -> dict[str, Any]:
    """A built-in scenario's data, with the Classic (``v1/``) overrides applied for ``pipeline="v1"``."""
    base = scenario_path(name)
    data = load_dir(base)
    if pipeline == "v1" and (base / "v1").is_dir():
        data.update(load_dir(base / "v1"))
    return data


def resolve_times(obj: Any, now_ms: int) -> Any:
    """Replace ``$now±N[dhm]`` strings anywhere in ``obj`` by Okta timestamps (returns a new object)."""
    from .users import iso_ms

    if isinstance(obj, str):
        m = _REL_TIME.match(obj)
        if not m:
            return obj
        sign, num, unit = m.groups()
        delta = 0 if sign is None else int(num) * _UNIT_MS[unit] * (1 if sign == "+" else -1)
        return iso_ms(now_ms + delta)
    if isinstance(obj, dict):
        return {k: resolve_times(v, now_ms) for k, v in obj.items()}
    if isinstance(obj, list):
        return [resolve_times(v, now_ms) for v in obj]
    return obj
