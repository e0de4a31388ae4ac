"""A form rendered from a connector's config schema alone, and the submitted form parsed back into a config.

The host knows nothing about any connector: every field comes from the JSON Schema (``properties`` in their
``order``, ``required``, ``title``, ``description``, ``enum``, ``const``, ``default``, ``minimum``/``maximum``,
``format``, ``oneOf`` choices of object branches, secret marks). Secret fields are write-only: the form never
carries their value back to the browser, only whether one is set (``describe_ref``); left empty, the stored
secret is kept. Validation errors of the schema are mapped to the field they concern.

HTML field names are config paths: ``org_url``, ``auth~1.client_id`` (field ``client_id`` of the second
``oneOf`` branch of ``auth``; the radio ``auth~`` says which branch is chosen).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from ..config_secrets import Path_, _resolve_ref, describe_ref, get_path, is_ref, is_secret_schema

#: properties the host renders itself (the auto sync frequency belongs to the host's scheduler)
HOST_OWNED = ("sync_interval_minutes",)
_MISSING = object()


@dataclass
class Branch:
    index: int
    title: str
    fields: list[Field]
    consts: dict[str, Any]


@dataclass
class Field:
    path: Path_
    name: str
    kind: str  # text textarea url password number integer checkbox select list json choice group
    title: str
    description: str = ""
    required: bool = False
    secret: bool = False
    secret_state: str = ""
    value: Any = None  # the display value (never a secret)
    choices: list[tuple[str, str]] = field(default_factory=list)
    choice_values: dict[str, Any] = field(default_factory=dict)  # option value -> the schema's enum value
    minimum: float | None = None
    maximum: float | None = None
    placeholder: str = ""
    advanced: bool = False
    children: list[Field] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    selected: int = 0
    error: str | None = None

    @property
    def dom_id(self) -> str:
        return "f-" + "".join(c if c.isalnum() else "-" for c in self.name)


def _type(node: Mapping[str, Any]) -> str | None:
    t = node.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    return t if isinstance(t, str) else None


def _ordered(props: Mapping[str, Any], root: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    items = [(k, _resolve_ref(root, v)) for k, v in props.items() if isinstance(v, Mapping)]

    def key(e: tuple[int, tuple[str, Mapping[str, Any]]]) -> tuple[int, int]:
        order = e[1][1].get("order")
        return (order if isinstance(order, int) else 10**6, e[0])

    return [it for _, it in sorted(enumerate(items), key=key)]


def _display(value: Any, kind: str) -> Any:
    if value is _MISSING or value is None:
        return ""
    if kind == "list":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "json":
        return json.dumps(value, indent=2, sort_keys=True)
    if kind == "checkbox":
        return bool(value)
    return str(value)


def _branch_consts(branch: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v["const"] for k, v in _ordered(branch.get("properties") or {}, root) if "const" in v
    }


def _selected_branch(branches: list[Mapping[str, Any]], root: Mapping[str, Any], stored: Any) -> int:
    if isinstance(stored, Mapping):
        for i, b in enumerate(branches):
            consts = _branch_consts(b, root)
            if consts and all(stored.get(k) == v for k, v in consts.items()):
                return i
    return 0


def build_fields(
    schema: Mapping[str, Any], stored: Mapping[str, Any] | None = None, *, skip: tuple[str, ...] = HOST_OWNED
) -> list[Field]:
    """The form fields of ``schema`` filled with ``stored`` (a stored config: secrets are references)."""
    return _object_fields(schema, schema, (), "", stored or {}, skip=skip, top=True)


def _object_fields(
    root: Mapping[str, Any], node: Mapping[str, Any], path: Path_, prefix: str, stored: Any, *,
    skip: tuple[str, ...] = (), top: bool = False,
) -> list[Field]:
    required = set(node.get("required") or [])
    out = []
    for prop, sub in _ordered(node.get("properties") or {}, root):
        if top and prop in skip:
            continue
        if "const" in sub:
            continue  # a discriminator: set on parse, never edited
        value = stored.get(prop, _MISSING) if isinstance(stored, Mapping) else _MISSING
        f = _field(root, sub, (*path, prop), f"{prefix}{prop}", prop in required, value)
        f.advanced = top and prop not in required
        out.append(f)
    return out


def _field(root: Mapping[str, Any], node: Mapping[str, Any], path: Path_, name: str, required: bool, value: Any) -> Field:
    title = str(node.get("title") or path[-1].replace("_", " ").capitalize())
    desc = str(node.get("description") or "")
    f = Field(path=path, name=name, kind="text", title=title, description=desc, required=required)
    examples = node.get("examples")
    if isinstance(examples, list) and examples and isinstance(examples[0], str | int | float):
        f.placeholder = str(examples[0])
    branches = [_resolve_ref(root, b) for b in node.get("oneOf") or node.get("anyOf") or [] if isinstance(b, Mapping)]
    t = _type(node)
    if branches and all(_type(b) == "object" or "properties" in b for b in branches):
        f.kind = "choice"
        f.selected = _selected_branch(branches, root, value)
        for i, b in enumerate(branches):
            sval = value if i == f.selected else {}
            f.branches.append(Branch(i, str(b.get("title") or f"Option {i + 1}"),
                                     _object_fields(root, b, path, f"{name}~{i}.", sval), _branch_consts(b, root)))
        return f
    if t == "object" and node.get("properties"):
        f.kind = "group"
        f.children = _object_fields(root, node, path, f"{name}.", value if isinstance(value, Mapping) else {})
        return f
    if is_secret_schema(node):
        f.kind, f.secret = "password", True
        f.secret_state = "not set" if value is _MISSING else describe_ref(value)
        if node.get("format") == "textarea":
            f.kind = "secret_textarea"
        return f
    if "enum" in node and isinstance(node["enum"], list):
        f.kind = "select"
        f.choices = [(json.dumps(v) if not isinstance(v, str) else v, str(v)) for v in node["enum"]]
        f.choice_values = {c[0]: v for c, v in zip(f.choices, node["enum"], strict=True)}
    elif t == "boolean":
        f.kind = "checkbox"
    elif t in ("integer", "number"):
        f.kind = t
        for key, attr in (("minimum", "minimum"), ("maximum", "maximum")):
            if isinstance(node.get(key), int | float):
                setattr(f, attr, node[key])
    elif t == "array" and _type(_resolve_ref(root, node.get("items") or {})) in ("string", "integer", "number", None):
        f.kind = "list"
    elif t in ("object", "array") or t is None:
        f.kind = "json"
    elif node.get("format") == "textarea":
        f.kind = "textarea"
    elif node.get("format") in ("uri", "url"):
        f.kind = "url"
    default = node.get("default", _MISSING)
    shown = value if value is not _MISSING else _MISSING
    f.value = _display(shown, f.kind)
    if value is _MISSING and default is not _MISSING:
        if f.kind == "checkbox":
            f.value = bool(default)
        elif f.kind == "select":
            f.value = default if isinstance(default, str) else json.dumps(default)
        elif not f.placeholder and default not in (None, "", [], {}):
            f.placeholder = "default: " + (", ".join(map(str, default)) if isinstance(default, list) else
                                           json.dumps(default) if isinstance(default, dict) else str(default))
    return f


def iter_fields(fields: list[Field], *, selected_only: bool = True):
    for f in fields:
        yield f
        yield from iter_fields(f.children, selected_only=selected_only)
        for b in f.branches:
            if not selected_only or b.index == f.selected:
                yield from iter_fields(b.fields, selected_only=selected_only)


# ------------------------------------------------------------------------------------------------ parsing


@dataclass
class Parsed:
    """A submitted form: the config to store (new secrets in clear in ``new_secrets`` only), and errors."""

    config: dict[str, Any]
    new_secrets: dict[Path_, str]
    errors: dict[str, str]  # field name -> message


def parse_form(fields: list[Field], form: Mapping[str, Any], stored: Mapping[str, Any] | None) -> Parsed:
    """Read the submitted ``form`` (a MultiDict-like with ``get``) against the fields built from the schema.

    Untouched secret fields keep their stored reference. The returned config has new secret values in clear;
    the caller encrypts them (:func:`seal`) before storing.
    """
    stored = dict(stored or {})
    parsed = Parsed({}, {}, {})
    _parse_into(parsed.config, fields, form, stored, parsed)
    # host-owned keys the form does not show are kept as stored
    for key in HOST_OWNED:
        if key in stored and key not in parsed.config:
            parsed.config[key] = copy.deepcopy(stored[key])
    return parsed


def _parse_into(out: dict[str, Any], fields: list[Field], form: Mapping[str, Any], stored: Any, parsed: Parsed) -> None:
    for f in fields:
        key = f.path[-1]
        old = stored.get(key, _MISSING) if isinstance(stored, Mapping) else _MISSING
        if f.kind == "choice":
            raw = str(form.get(f.name + "~", "") or "")
            idx = int(raw) if raw.isdigit() and int(raw) < len(f.branches) else f.selected
            f.selected = idx
            branch = f.branches[idx]
            sub: dict[str, Any] = dict(branch.consts)
            same = isinstance(old, Mapping) and all(old.get(k) == v for k, v in branch.consts.items())
            _parse_into(sub, branch.fields, form, old if same else {}, parsed)
            out[key] = sub
            continue
        if f.kind == "group":
            sub = {}
            _parse_into(sub, f.children, form, old if isinstance(old, Mapping) else {}, parsed)
            if sub or f.required:
                out[key] = sub
            continue
        raw = form.get(f.name)
        text = "" if raw is None else str(raw)
        if f.secret:
            if text.strip():
                value = text if f.kind == "secret_textarea" else text.strip()
                out[key] = value
                parsed.new_secrets[f.path] = value
            elif old is not _MISSING and old not in (None, ""):
                out[key] = copy.deepcopy(old)
            continue
        if f.kind == "checkbox":
            checked = raw is not None and text not in ("", "0", "false", "off")
            if checked or old is not _MISSING or f.value is True:
                out[key] = checked
            f.value = checked
            continue
        f.value = text
        text = text.strip()
        if not text:
            continue
        try:
            if f.kind == "integer":
                out[key] = int(text)
            elif f.kind == "number":
                num = float(text)
                out[key] = int(num) if num.is_integer() and "." not in text else num
            elif f.kind == "select":
                if text not in f.choice_values:
                    raise ValueError(text)
                out[key] = f.choice_values[text]
            elif f.kind == "list":
                out[key] = [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]
            elif f.kind == "json":
                out[key] = json.loads(text)
            else:
                out[key] = text
        except ValueError:
            parsed.errors[f.name] = {"integer": "enter a whole number", "number": "enter a number",
                                     "json": "enter valid JSON",
                                     "select": "choose one of the options"}.get(f.kind, "invalid value")


# ------------------------------------------------------------------------------------------------ validation


def field_names(fields: list[Field]) -> dict[Path_, str]:
    return {f.path: f.name for f in iter_fields(fields)}


def _secret_message(err: Any) -> str:
    v = err.validator
    if v == "minLength":
        return f"must be at least {err.validator_value} characters"
    if v == "maxLength":
        return f"must be at most {err.validator_value} characters"
    if v == "type":
        return f"must be a {err.validator_value}"
    return "is not valid"


def validate(
    schema: Mapping[str, Any], fields: list[Field], probe: Mapping[str, Any], *, secret_paths: list[Path_],
    ignore: tuple[Path_, ...] = (),
) -> tuple[dict[str, str], list[str]]:
    """Errors of ``probe`` (a config with secrets resolved) mapped to field names; and those of no field.

    Messages never quote a secret field's value.
    """
    names = field_names(fields)
    by_field: dict[str, str] = {}
    general: list[str] = []
    secrets = set(secret_paths)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())

    def leaves(err: Any) -> list[Any]:
        if err.validator in ("oneOf", "anyOf") and err.context:
            path = tuple(str(p) for p in err.absolute_path)
            chosen = next((f for f in iter_fields(fields) if f.path == path and f.kind == "choice"), None)
            idx = chosen.selected if chosen else 0
            sub = [e for e in err.context if e.relative_schema_path and e.relative_schema_path[0] == idx]
            return [x for e in sub for x in leaves(e)] or [err]
        return [err]

    for top in validator.iter_errors(probe):
        for err in leaves(top):
            path = tuple(str(p) for p in err.absolute_path)
            if any(path[: len(i)] == i for i in ignore):
                continue
            if err.validator == "required" and isinstance(err.instance, Mapping):
                for prop in err.validator_value:
                    if prop not in err.instance:
                        target = (*path, prop)
                        if target in ignore:
                            continue
                        name = names.get(target)
                        if name:
                            by_field.setdefault(name, "required")
                        else:
                            general.append(f"{'.'.join(target)} is required")
                continue
            secret = path in secrets
            msg = _secret_message(err) if secret else err.message
            name = names.get(path)
            if name:
                by_field.setdefault(name, msg)
            else:
                general.append(f"{'.'.join(path) or 'config'}: {msg}")
    return by_field, general


def resolve_probe(config: Mapping[str, Any], secret_paths: list[Path_], resolve: Any) -> tuple[dict[str, Any], list[Path_]]:
    """``config`` with each stored secret reference resolved (``resolve(ref) -> str``); unresolvable ones are
    replaced by a placeholder and returned so validation ignores them."""
    probe = copy.deepcopy(dict(config))
    unresolved: list[Path_] = []
    for path in secret_paths:
        value = get_path(probe, path)
        if is_ref(value):
            try:
                _set(probe, path, resolve(value))
            except Exception:
                _set(probe, path, "unresolved-secret-placeholder")
                unresolved.append(path)
    return probe, unresolved


def _set(obj: dict[str, Any], path: Path_, value: Any) -> None:
    for part in path[:-1]:
        obj = obj[part]
    obj[path[-1]] = value
