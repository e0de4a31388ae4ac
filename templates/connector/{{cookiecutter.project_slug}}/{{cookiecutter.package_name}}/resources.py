"""Package data: the manifest and the config schema, loaded with importlib.resources (works from wheels)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((resources.files(__package__) / name).read_text(encoding="utf-8"))


def manifest() -> dict[str, Any]:
    return json.loads(json.dumps(_load("manifest.json")))  # a copy callers may change


def config_schema() -> dict[str, Any]:
    return json.loads(json.dumps(_load("schemas/config.schema.json")))


def connector_id() -> str:
    return _load("manifest.json")["id"]


def vendor_name() -> str:
    return _load("manifest.json")["name"]
