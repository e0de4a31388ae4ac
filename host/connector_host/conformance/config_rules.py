"""Rules a connector's config schema follows so any host can render, validate and protect it.

Each function returns a list of problems (strings naming the JSON pointer of the offending place and what to
do); an empty list means the rule holds.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema

#: Keywords a form renderer cannot draw (after Airbyte's spec rules): combinators other than a
#: discriminated oneOf, conditionals, pattern/dependent keys, tuple and evaluation keywords, dynamic refs.
#: Pure value constraints (pattern, propertyNames, contains, min/max...) are fine: a form validates them.
FORBIDDEN_KEYWORDS = (
    "anyOf", "allOf", "not", "if", "then", "else", "patternProperties", "dependentSchemas",
    "dependentRequired", "dependencies", "prefixItems", "unevaluatedProperties", "unevaluatedItems",
    "$dynamicRef", "$recursiveRef",
)

_SECRET_WORDS = {"password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials"}
_SECRET_PAIRS = {
    ("api", "key"), ("private", "key"), ("access", "key"), ("signing", "key"), ("encryption", "key"),
    ("shared", "key"), ("account", "key"), ("master", "key"), ("private", "jwk"), ("secret", "key"),
}
# A name ending in one of these describes a secret without holding one (token_url, key_id, secret_name).
_NOT_A_VALUE = {
    "url", "uri", "endpoint", "id", "ids", "type", "kind", "name", "path", "file", "header", "format",
    "method", "scope", "scopes", "ttl", "expiry", "expires", "lifetime", "length", "hint", "label",
    "prefix", "field", "mode", "enabled", "source", "policy", "version",
}


def name_words(name: str) -> list[str]:
    """``clientSecret`` / ``client-secret`` / ``client_secret`` -> ``["client", "secret"]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def looks_secret(name: str) -> bool:
    """Whether a field named ``name`` would hold a secret value (token, password, private key, ...)."""
    words = name_words(name)
    if not words or words[-1] in _NOT_A_VALUE:
        return False
    if _SECRET_WORDS.intersection(words):
        return True
    return any(pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False))


def _types(schema: Mapping[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def resolve_local(root: Mapping[str, Any], schema: Any) -> Any:
    """Follow a local ``$ref`` (``#/$defs/x`` or ``#/definitions/x``) once; other schemas unchanged."""
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        node: Any = root
        for part in schema["$ref"][2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                return schema
            node = node[part]
        merged = {k: v for k, v in schema.items() if k != "$ref"}
        return {**node, **merged} if isinstance(node, Mapping) else schema
    return schema


def iter_subschemas(schema: Any, pointer: str = "#") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every subschema in a schema position (not inside const/enum/default values), with its pointer."""
    if not isinstance(schema, Mapping):
        return
    yield pointer, schema
    for key in ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas"):
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            for name, child in sub.items():
                yield from iter_subschemas(child, f"{pointer}/{key}/{name}")
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
                "unevaluatedProperties", "unevaluatedItems"):
        if isinstance(schema.get(key), Mapping):
            yield from iter_subschemas(schema[key], f"{pointer}/{key}")
    for key in ("oneOf", "anyOf", "allOf", "prefixItems"):
        if isinstance(schema.get(key), list):
            for i, child in enumerate(schema[key]):
                yield from iter_subschemas(child, f"{pointer}/{key}/{i}")


def iter_fields(root: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Every named property of the config (through oneOf branches, items and local refs): (pointer, name, schema)."""
    seen: set[str] = set()

    def walk(schema: Any, pointer: str) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        if not isinstance(schema, Mapping) or pointer in seen:
            return
        seen.add(pointer)
        schema = resolve_local(root, schema)
        for name, child in (schema.get("properties") or {}).items():
            child_pointer = f"{pointer}/properties/{name}"
            resolved = resolve_local(root, child)
            if isinstance(resolved, Mapping):
                yield child_pointer, name, resolved
            yield from walk(child, child_pointer)
        for key in ("oneOf", "anyOf", "allOf"):
            for i, branch in enumerate(schema.get(key) or []):
                yield from walk(branch, f"{pointer}/{key}/{i}")
        if isinstance(schema.get("items"), Mapping):
            yield from walk(schema["items"], f"{pointer}/items")

    yield from walk(root, "#")


def secret_marking_problems(root: Mapping[str, Any]) -> list[str]:
    """Secret-looking string fields not marked ``"secret": true``."""
    problems = []
    for pointer, name, schema in iter_fields(root):
        if not looks_secret(name) or "const" in schema or "enum" in schema:
            continue
        if "string" in _types(schema) and schema.get("secret") is not True:
            problems.append(
                f"{pointer}: field {name!r} looks like it holds a secret but is not marked "
                '"secret": true; mark it so hosts mask, never log and encrypt it'
            )
    return problems


def secret_overmarking_problems(root: Mapping[str, Any]) -> list[str]:
    """Fields marked secret that are not secret-looking strings (hosts would hide a URL or a flag)."""
    problems = []
    for pointer, name, schema in iter_fields(root):
        if "secret" not in schema:
            continue
        if schema["secret"] is not True:
            if schema["secret"] is not False:
                problems.append(f"{pointer}: \"secret\" must be true or false, not {schema['secret']!r}")
            continue
        if _types(schema) - {"null"} != {"string"} or "const" in schema or "enum" in schema:
            problems.append(
                f"{pointer}: field {name!r} is marked secret but cannot hold a secret "
                f"(type {schema.get('type')!r}); only free string fields can be secret"
            )
        elif not looks_secret(name):
            problems.append(
                f"{pointer}: field {name!r} is marked secret but its name does not look like a secret; "
                "hosts would mask a plain value (a URL, an id): unmark it, or name the field for what it "
                "holds (…_token, …_password, …_secret, private_key, api_key)"
            )
    return problems


def form_problems(root: Mapping[str, Any]) -> list[str]:
    """Constructs a form renderer cannot draw."""
    problems = []
    if root.get("type") != "object":
        problems.append('#: the config schema must be {"type": "object", "properties": {...}}')
    for pointer, schema in iter_subschemas(root):
        for keyword in FORBIDDEN_KEYWORDS:
            if keyword in schema:
                problems.append(f"{pointer}: uses {keyword!r}, which a form renderer cannot draw")
        ref = schema.get("$ref")
        if ref is not None:
            if not (isinstance(ref, str) and (ref.startswith("#/$defs/") or ref.startswith("#/definitions/"))):
                problems.append(f"{pointer}: $ref {ref!r} is not a local #/$defs/... reference")
            elif resolve_local(root, {"$ref": ref}) == {"$ref": ref}:
                problems.append(f"{pointer}: $ref {ref!r} does not resolve")
        t = schema.get("type")
        if isinstance(t, list) and not (len(t) == 1 or (len(t) == 2 and "null" in t)):
            problems.append(f"{pointer}: type {t!r}: use one type, or [type, \"null\"]")
        if "oneOf" in schema:
            problems.extend(_one_of_problems(root, pointer, schema["oneOf"]))
    return problems


def _one_of_problems(root: Mapping[str, Any], pointer: str, branches: Any) -> list[str]:
    if not isinstance(branches, list) or not branches:
        return [f"{pointer}/oneOf: must be a non-empty list of object schemas"]
    resolved = [resolve_local(root, b) for b in branches]
    if not all(isinstance(b, Mapping) and isinstance(b.get("properties"), Mapping) for b in resolved):
        return [f"{pointer}/oneOf: every branch must be an object schema with properties (a form section)"]
    common = set.intersection(*(
        {n for n, s in b["properties"].items() if isinstance(s, Mapping) and "const" in s} for b in resolved
    ))
    for name in sorted(common):
        values = [b["properties"][name]["const"] for b in resolved]
        if len({repr(v) for v in values}) == len(values) and all(name in (b.get("required") or []) for b in resolved):
            return []
    return [
        f"{pointer}/oneOf: branches need a discriminator: a property present and required in every branch "
        'with a distinct "const" (e.g. "auth_type": {"const": "api_token"})'
    ]


def default_problems(root: Mapping[str, Any]) -> list[str]:
    """Defaults that do not validate against their own field schema."""
    problems = []
    defs = {k: root[k] for k in ("$defs", "definitions") if k in root}
    for pointer, schema in iter_subschemas(root):
        if "default" not in schema:
            continue
        sub = {k: v for k, v in schema.items() if k != "default"}
        sub.update(defs)
        cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
        errors = list(cls(sub).iter_errors(schema["default"]))
        if errors:
            problems.append(
                f"{pointer}: default {schema['default']!r} does not validate: {errors[0].message[:200]}"
            )
    return problems


def schema_validity_problems(root: Any) -> list[str]:
    """Whether the config schema is itself a valid JSON Schema (of the draft it declares; 2020-12 if none)."""
    if not isinstance(root, Mapping):
        return [f"connector_config_schema() returned {type(root).__name__}, not a JSON Schema object"]
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(root)
    except jsonschema.SchemaError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "<root>"
        return [f"not a valid JSON Schema at {where}: {exc.message[:300]}"]
    return []


def validation_errors(root: Mapping[str, Any], config: Any) -> list[str]:
    """Why ``config`` does not validate against the config schema."""
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}"
        for e in cls(root, format_checker=cls.FORMAT_CHECKER).iter_errors(config)
    ]


def secret_values(root: Mapping[str, Any], config: Any) -> set[str]:
    """The values of ``config`` in secret-looking fields the schema marks secret (through oneOf branches).

    A field marked secret that does not look like one (a URL) is reported by its own check; its value is
    not hunted, or every log line naming the URL would count as a leak.
    """
    found: set[str] = set()

    def walk(schema: Any, value: Any, name: str) -> None:
        schema = resolve_local(root, schema)
        if not isinstance(schema, Mapping):
            return
        if schema.get("secret") is True and isinstance(value, str) and looks_secret(name):
            found.add(value)
        if isinstance(value, Mapping):
            for child_name, child in (schema.get("properties") or {}).items():
                if child_name in value:
                    walk(child, value[child_name], child_name)
            for key in ("oneOf", "anyOf", "allOf"):
                for branch in schema.get(key) or []:
                    walk(branch, value, name)
        elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            for item in value:
                walk(schema["items"], item, name)

    walk(root, config, "")
    return found


# ------------------------------------------------------------------------------------ configs the kit makes


def _branch_matches(root: Mapping[str, Any], branch: Any, value: Any) -> bool:
    """Whether a ``oneOf``/``anyOf`` branch is the one ``value`` takes (its ``const`` properties agree)."""
    branch = resolve_local(root, branch)
    if not isinstance(branch, Mapping) or not isinstance(value, Mapping):
        return False
    consts = {n: s["const"] for n, s in (branch.get("properties") or {}).items() if isinstance(s, Mapping) and "const" in s}
    return all(value.get(n) == c for n, c in consts.items())


def walk_config(root: Mapping[str, Any], config: Any) -> Iterator[tuple[list[str], str, Mapping[str, Any], Any]]:
    """Every field ``config`` holds, along the schema: ``(path, name, field schema, value)``.

    Follows local refs, the ``oneOf``/``anyOf``/``allOf`` branch the value takes (by its ``const``
    discriminator), nested objects and array items.
    """

    def walk(schema: Any, value: Any, path: list[str], depth: int) -> Iterator[tuple[list[str], str, Mapping[str, Any], Any]]:
        schema = resolve_local(root, schema)
        if not isinstance(schema, Mapping) or depth > 20:
            return
        if isinstance(value, Mapping):
            for name, child in (schema.get("properties") or {}).items():
                if name in value:
                    resolved = resolve_local(root, child)
                    if isinstance(resolved, Mapping):
                        yield [*path, name], name, resolved, value[name]
                    yield from walk(child, value[name], [*path, name], depth + 1)
            for key in ("oneOf", "anyOf"):
                branches = schema.get(key) or []
                matching = [b for b in branches if _branch_matches(root, b, value)]
                for branch in matching[:1]:
                    yield from walk(branch, value, path, depth + 1)
            for branch in schema.get("allOf") or []:
                yield from walk(branch, value, path, depth + 1)
        elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            for i, item in enumerate(value):
                yield from walk(schema["items"], item, [*path, str(i)], depth + 1)

    yield from walk(root, config, [], 0)


def _objects(root: Mapping[str, Any], config: Any) -> Iterator[tuple[list[str], Mapping[str, Any], Mapping[str, Any]]]:
    """Every object of ``config`` with the (merged) schema that describes it: ``(path, schema, value)``."""

    def merged(schema: Any, value: Mapping[str, Any]) -> dict[str, Any]:
        schema = resolve_local(root, schema)
        if not isinstance(schema, Mapping):
            return {}
        out: dict[str, Any] = {"properties": dict(schema.get("properties") or {}), "required": list(schema.get("required") or [])}
        for key in ("oneOf", "anyOf", "allOf"):
            branches = schema.get(key) or []
            chosen = branches if key == "allOf" else [b for b in branches if _branch_matches(root, b, value)][:1]
            for branch in chosen:
                sub = merged(branch, value)
                out["properties"].update(sub["properties"])
                out["required"] += sub["required"]
        return out

    def walk(schema: Any, value: Any, path: list[str], depth: int) -> Iterator[tuple[list[str], Mapping[str, Any], Mapping[str, Any]]]:
        if not isinstance(value, Mapping) or depth > 20:
            return
        m = merged(schema, value)
        yield path, m, value
        for name, child in m["properties"].items():
            if isinstance(value.get(name), Mapping):
                yield from walk(child, value[name], [*path, name], depth + 1)

    yield from walk(root, config, [], 0)


def _with(config: Any, path: list[str], value: Any = None, *, delete: bool = False) -> Any:
    out = copy.deepcopy(config)
    node = out
    for part in path[:-1]:
        node = node[part]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_WRONG_TYPE = {"string": 12345, "integer": "12", "number": "1.5", "boolean": "yes", "array": "a,b", "object": "{}",
               "null": 0}
_EMPTY = {"string": "", "array": [], "object": {}}


def failing_variants(root: Mapping[str, Any], config: Any, limit: int = 40) -> list[tuple[str, Any]]:
    """Configs derived from a good one that do not validate: each required field missing, each field empty,
    each field of the wrong type. ``(label, config)``; only those the schema refuses."""
    if not isinstance(config, Mapping):
        return []
    candidates: list[tuple[str, Any]] = []
    for path, schema, value in _objects(root, config):
        for name in dict.fromkeys(schema["required"]):
            if name in value:
                candidates.append((f"missing {'/'.join([*path, name])}", _with(config, [*path, name], delete=True)))
        for name, child in schema["properties"].items():
            if name not in value:
                continue
            resolved = resolve_local(root, child)
            types = _types(resolved) if isinstance(resolved, Mapping) else set()
            field_path = "/".join([*path, name])
            for t in sorted(types & set(_EMPTY)):
                candidates.append((f"empty {field_path}", _with(config, [*path, name], copy.deepcopy(_EMPTY[t]))))
            if not types and isinstance(resolved, Mapping) and any(k in resolved for k in ("properties", "oneOf")):
                types = {"object"}
            wrong = next((_WRONG_TYPE[t] for t in sorted(types - {"null"}) if t in _WRONG_TYPE), None)
            if wrong is not None:
                candidates.append((f"wrong type {field_path}", _with(config, [*path, name], wrong)))
    seen: set[str] = set()
    out = []
    for label, variant in candidates:
        if label in seen or not validation_errors(root, variant):
            continue
        seen.add(label)
        out.append((label, variant))
    return out[:limit]


def garbage_configs(root: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """JSON values no config schema of an object accepts: ``(label, value)``."""
    fields = {name: None for name in (root.get("properties") or {})}
    values = [
        ("null", None), ("true", True), ("zero", 0), ("negative number", -1.5), ("empty string", ""),
        ("a string", "https://example.com"), ("empty list", []), ("list of a config", [{"a": 1}]),
        ("empty object", {}), ("unknown keys", {"\u00e9\u0000": [None, {"x": float(10**30)}]}),
        ("every field null", fields), ("every field a list", {n: [1, "a"] for n in fields}),
        ("deep nesting", {n: {"a": {"b": {"c": [[[]]]}}} for n in fields}),
    ]
    return [(label, v) for label, v in values if validation_errors(root, v)]


def flag_variants(root: Mapping[str, Any], config: Any) -> list[tuple[str, Any]]:
    """The good config with each optional boolean flag it leaves off switched on: ``(label, config)``."""
    if not isinstance(config, Mapping):
        return []
    out = []
    for path, schema, value in _objects(root, config):
        for name, child in schema["properties"].items():
            resolved = resolve_local(root, child)
            if not isinstance(resolved, Mapping) or _types(resolved) - {"null"} != {"boolean"}:
                continue
            if name in schema["required"] or value.get(name) is True or "const" in resolved:
                continue
            variant = _with(config, [*path, name], True)
            if not validation_errors(root, variant):
                out.append(("/".join([*path, name]) + " on", variant))
    return out
