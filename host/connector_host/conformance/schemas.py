"""The host's contract schemas and the OCSF validator, as the kit sees them.

Schemas are package data of ``connector_host`` (``importlib.resources``). A schema that is not shipped yet
makes the checks that need it *skip* with the reason, never pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

MANIFEST = "manifest.schema.json"
CONFIG = "config"  # not a file: the connector's own schema
SYNC_MESSAGE = "sync_message.schema.json"
CONNECTION_RESULT = "connection_result.schema.json"
ASSET = "asset.schema.json"
FINDING = "finding.schema.json"


@cache
def host_schema(name: str) -> dict[str, Any] | None:
    """The parsed schema ``connector_host/schemas/<name>``, or None when the host does not ship it."""
    ref = resources.files("connector_host") / "schemas" / name
    if not ref.is_file():
        return None
    return json.loads(ref.read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> jsonschema.protocols.Validator | None:
    schema = host_schema(name)
    if schema is None:
        return None
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(name: str, instance: Any, *, limit: int = 10) -> list[str] | None:
    """Why ``instance`` does not validate against host schema ``name``; None when the schema is absent."""
    validator = _validator(name)
    if validator is None:
        return None
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [_describe(e) for e in errors[:limit]]


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(map(str, error.absolute_path)) or "<root>"
    return f"{where}: {error.message[:300]}"


def ocsf_validator() -> Callable[[Mapping[str, Any]], list[str]] | None:
    """``connector_host.ocsf.validation_errors`` (OCSF 1.6.0), or None when the host does not ship it."""
    try:
        from connector_host import ocsf
    except ImportError:
        return None
    return getattr(ocsf, "validation_errors", None)
