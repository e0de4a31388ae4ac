"""The host's JSON Schemas (package data) and cached validators for them."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return one of the host's schemas by file name, e.g. ``"sync_message.schema.json"``."""
    text = resources.files("connector_host").joinpath("schemas", name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for one of the host's schemas."""
    return Draft202012Validator(load_schema(name), format_checker=FormatChecker())


def errors(name: str, instance: Any) -> list[str]:
    """Human-readable validation errors of ``instance`` against the named schema (empty when valid)."""
    return [format_error(e) for e in validator(name).iter_errors(instance)]


def format_error(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    return f"{where}: {error.message}"
