"""The connector's configuration: validated against schemas/config.schema.json, secrets hidden from repr."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from . import resources


class ConfigError(ValueError):
    """The configuration does not validate; the message names the fields, never a secret value."""


@dataclass(frozen=True)
class Config:
    base_url: str
    api_key: str = field(repr=False)  # never in a repr, a log line or an error
    page_size: int = 200
    timeout_seconds: float = 30.0


def load_config(raw: Mapping[str, Any]) -> Config:
    """Validate ``raw`` and return a :class:`Config`; raise :class:`ConfigError` saying what to fix."""
    schema = resources.config_schema()
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(map(str, error.absolute_path)) or "the configuration"
        # Say which rule failed, not the value: the value may be a secret.
        problems.append(f"{where}: does not satisfy {error.validator!r} ({error.validator_value!r})"
                        if error.validator not in ("required", "additionalProperties")
                        else f"{where}: {error.message}")
    if problems:
        raise ConfigError("The configuration is not valid: " + "; ".join(problems))
    return Config(
        base_url=raw["base_url"].rstrip("/"),
        api_key=raw["api_key"],
        page_size=raw.get("page_size", 200),
        timeout_seconds=float(raw.get("timeout_seconds", 30)),
    )
