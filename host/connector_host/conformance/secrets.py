"""Hunting secret values in whatever a connector produced."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Values shorter than this are too likely to occur by chance ("abc" in a message) to hunt for.
MIN_SECRET_LENGTH = 6


def usable_secrets(values: Iterable[Any]) -> set[str]:
    return {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH}


def mask(secret: str) -> str:
    """How a leak is reported: enough to recognise which secret, never the secret itself."""
    return f"{secret[:2]}…({len(secret)} chars)"


def leaks_in_text(text: str, secrets: Iterable[str]) -> list[str]:
    return [mask(s) for s in secrets if s in text]


def leaks_in_value(value: Any, secrets: set[str], where: str = "") -> list[str]:
    """Every place in a JSON-like structure (keys and values) holding a secret: ``path: secret``."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                for leak in leaks_in_text(str(key), secrets):
                    found.append(f"{path}/<key>: {leak}")
                walk(child, f"{path}/{key}")
        elif isinstance(node, list | tuple | set | frozenset):
            for i, child in enumerate(node):
                walk(child, f"{path}/{i}")
        elif node is not None and not isinstance(node, bool | int | float):
            text = node if isinstance(node, str) else repr(node)
            for leak in leaks_in_text(text, secrets):
                found.append(f"{path or '/'}: {leak}")

    walk(value, where)
    return found
