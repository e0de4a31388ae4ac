"""The host's JSON Schemas (package data) and cached validators for them."""

from __future__ import annotations

import json
import re
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


# ------------------------------------------------------------------------------------------------- fast path
# ``jsonschema`` takes 0.25-0.4 ms per sync message (``$ref`` resolution and ``if``/``then`` branches), which at
# 100,000 users (~430,000 messages) was most of the host's sync time. RECORD messages, nearly all of them, are
# checked here by hand against the same rules as ``sync_message.schema.json``'s ``record`` definition. The check
# is one-sided: True only when the message certainly satisfies the schema; anything else (another message type,
# an unusual but possibly valid value such as an integral float, an invalid record) goes to the full validator,
# which decides and explains. ``tests/host/test_host_validation_fast.py`` pins the agreement.

_RELATION = re.compile(r"^[a-z][a-z0-9_]*$")  # the schema's pattern, applied as jsonschema does (re.search)
_RECORD_KINDS = frozenset({"asset", "relationship", "check_result"})
_CHECK_STATUSES = frozenset({"pass", "warning", "fail", "manual", "unknown"})


def _nonempty_str(v: Any) -> bool:
    return type(v) is str and len(v) >= 1


def _opt_str(d: dict[str, Any], key: str) -> bool:
    """``key`` absent, or a string or null (schema ``{"type": ["string", "null"]}``)."""
    return key not in d or d[key] is None or type(d[key]) is str


def _ref_ok(v: Any) -> bool:
    return type(v) is dict and _nonempty_str(v.get("type")) and _nonempty_str(v.get("uid")) and _opt_str(v, "name")


def _relationship_ok(d: dict[str, Any]) -> bool:
    rel = d.get("relation")
    return (
        type(rel) is str and _RELATION.search(rel) is not None
        and _ref_ok(d.get("from")) and _ref_ok(d.get("to"))
        and ("attributes" not in d or type(d["attributes"]) is dict)
    )


def _check_result_ok(d: dict[str, Any]) -> bool:
    res = d.get("resource")
    if not (
        _nonempty_str(d.get("check_id"))
        and type(d.get("status")) is str and d["status"] in _CHECK_STATUSES
        and type(d.get("evidence")) is dict
        and type(res) is dict and _nonempty_str(res.get("type")) and _nonempty_str(res.get("uid"))
        and _opt_str(res, "name") and _opt_str(res, "parent_uid")
        and ("message" not in d or type(d["message"]) is str)
        and _opt_str(d, "profile")
    ):
        return False
    related = d.get("related", ())
    return (type(related) is list or "related" not in d) and all(_ref_ok(r) for r in related)


def record_message_ok(msg: Any) -> bool:
    """True when ``msg`` is a RECORD message that certainly satisfies ``sync_message.schema.json``; False means
    "not decided here": validate it with :func:`validator` (it may still be valid)."""
    if type(msg) is not dict or msg.get("type") != "RECORD":
        return False
    rec = msg.get("record")
    if type(rec) is not dict:
        return False
    kind, data, emitted = rec.get("kind"), rec.get("data"), rec.get("emitted_at")
    if not (
        _nonempty_str(rec.get("stream"))
        and type(kind) is str and kind in _RECORD_KINDS
        and type(data) is dict
        and type(emitted) is int and emitted >= 0
    ):
        return False
    if "org" in rec:
        org = rec["org"]
        if not (type(org) is dict and _nonempty_str(org.get("uid")) and _opt_str(org, "name")):
            return False
    if "parent" in rec and not _ref_ok(rec["parent"]):
        return False
    if "enrichment" in rec and type(rec["enrichment"]) is not dict:
        return False
    if kind == "relationship":
        return _relationship_ok(data)
    if kind == "check_result":
        return _check_result_ok(data)
    return True
