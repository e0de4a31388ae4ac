"""OCSF 1.6.0 class schemas as JSON Schema (draft 2020-12), and a validator over them.

The host validates what connectors emit against OCSF itself, not only against our stricter profile
(``schemas/asset.schema.json``, ``schemas/finding.schema.json``). The four classes we use are compiled
once from the OCSF source tree by ``scripts/build_ocsf_schemas.py`` into
``connector_host/schemas/ocsf-1.6.0/<class_uid>.json`` (package data, so installed wheels need no OCSF
checkout); :func:`build_class_schema` is the compiler, :func:`validate_event` the validator.

How the OCSF source is compiled (the rules of the OCSF schema server, reduced to what validation needs):

- an attribute's definition is the dictionary entry (``dictionary.json``) deep-merged with the class's or
  object's own entry; ``extends`` chains are merged parent first, a child's entry wins; ``$include`` pulls
  a profile's attributes in, tagged with that profile;
- attributes of profiles that are not applied are left out (so they are rejected); the applied profiles
  are a parameter (our events apply ``cloud``, listed in ``metadata.profiles``);
- ``requirement: required`` becomes ``required``; ``recommended`` and ``optional`` are optional;
- types: ``string_t`` and its subtypes are strings (with the type's ``regex`` and ``max_len``), ``integer_t``
  and ``long_t``/``timestamp_t`` integers, ``float_t`` numbers, ``boolean_t`` booleans, ``json_t`` anything;
  an object type is a ``$ref`` to ``$defs/<object>``; ``is_array`` wraps it in an array;
- enums of integer attributes (the ``*_id`` attributes) are closed: the dictionary's values (usually
  ``0`` Unknown and ``99`` Other) plus the class's or object's; string attributes' enums are not enforced;
- ``class_uid`` and ``category_uid`` are constants, ``type_uid`` is ``class_uid * 100 + activity_id``
  for the class's activities; constraints ``at_least_one`` / ``just_one`` become ``anyOf`` / ``oneOf``;
- objects and events reject unknown attributes (``additionalProperties: false``); ``unmapped`` (type
  ``object``) and ``json_t`` attributes such as ``data`` hold anything.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

OCSF_VERSION = "1.6.0"

#: The classes our profile uses: class_uid -> event class name in the OCSF source.
CLASSES: dict[int, str] = {
    2003: "compliance_finding",
    5001: "inventory_info",
    5003: "user_inventory",
    5023: "cloud_resources_inventory_info",
}

#: Profiles our events apply (``metadata.profiles``).
DEFAULT_PROFILES: tuple[str, ...] = ("cloud",)

SCHEMA_DIR = f"ocsf-{OCSF_VERSION}"

_BASE_TYPES = {
    "string_t": {"type": "string"},
    "integer_t": {"type": "integer"},
    "long_t": {"type": "integer"},
    "float_t": {"type": "number"},
    "boolean_t": {"type": "boolean"},
    "json_t": {},
}


class OCSFSchemaError(Exception):
    """The OCSF source tree is missing or is not shaped as expected."""


# --------------------------------------------------------------------------------------------- source


class _Source:
    """The parts of an OCSF source tree the compiler reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not (root / "dictionary.json").is_file():
            raise OCSFSchemaError(
                f"{root} is not an OCSF source tree (no dictionary.json); pass the ocsf-schema checkout"
            )
        dictionary = self._load(root / "dictionary.json")
        self.dictionary: dict[str, dict[str, Any]] = dictionary["attributes"]
        self.types: dict[str, dict[str, Any]] = dictionary["types"]["attributes"]
        self.categories: dict[str, dict[str, Any]] = self._load(root / "categories.json")["attributes"]
        self.objects = {d["name"]: d for d in map(self._load, sorted((root / "objects").glob("*.json")))}
        self.events = {d["name"]: d for d in map(self._load, sorted((root / "events").rglob("*.json")))}
        self._resolved: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)

    def _own_attributes(self, item: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        attrs: dict[str, dict[str, Any]] = {}
        own = dict(item.get("attributes", {}))
        for include in own.pop("$include", []):
            profile = self._load(self.root / include)
            for name, spec in profile.get("attributes", {}).items():
                spec = dict(spec)
                spec.setdefault("profile", profile["name"])
                attrs[name] = spec
        for name, spec in own.items():
            attrs[name] = _deep_merge(attrs.get(name, {}), spec)
        return attrs

    def attributes(self, kind: str, name: str) -> dict[str, dict[str, Any]]:
        """The merged attributes of an object or event, ``extends`` chain included, dictionary not yet."""
        key = (kind, name)
        if key not in self._resolved:
            table = self.objects if kind == "object" else self.events
            if name not in table:
                raise OCSFSchemaError(f"OCSF {kind} {name!r} not found under {self.root}")
            item = table[name]
            parent = item.get("extends")
            merged = dict(self.attributes(kind, parent)) if parent else {}
            for attr, spec in self._own_attributes(item).items():
                merged[attr] = _deep_merge(merged.get(attr, {}), spec)
            self._resolved[key] = merged
        return self._resolved[key]

    def item_field(self, kind: str, name: str, field: str) -> Any:
        """A top-level field (``constraints``, ``category``, ``uid``) looked up along the ``extends`` chain."""
        table = self.objects if kind == "object" else self.events
        while name:
            item = table[name]
            if field in item:
                return item[field]
            name = item.get("extends")
        return None


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# ------------------------------------------------------------------------------------------- compiler


class _Compiler:
    def __init__(self, source: _Source, profiles: Iterable[str]) -> None:
        self.src = source
        self.profiles = set(profiles)
        self.defs: dict[str, dict[str, Any]] = {}

    def type_schema(self, type_name: str) -> dict[str, Any]:
        if type_name in _BASE_TYPES:
            return dict(_BASE_TYPES[type_name])
        if type_name == "timestamp_t":
            return {"type": "integer"}
        if type_name in self.src.types:
            spec = self.src.types[type_name]
            schema = self.type_schema(spec.get("type", "string_t"))
            if "regex" in spec:
                schema["pattern"] = spec["regex"]
            if "max_len" in spec:
                schema["maxLength"] = spec["max_len"]
            if "range" in spec:
                schema["minimum"], schema["maximum"] = spec["range"]
            if "values" in spec:
                schema["enum"] = list(spec["values"])
            return schema
        if type_name == "object":  # the generic object: anything shaped as a JSON object
            return {"type": "object"}
        if type_name in self.src.objects:
            self.object_def(type_name)
            return {"$ref": f"#/$defs/{type_name}"}
        raise OCSFSchemaError(f"unknown OCSF type {type_name!r}")

    def attribute_schema(self, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        if name not in self.src.dictionary:
            raise OCSFSchemaError(f"attribute {name!r} is not in the OCSF dictionary")
        full = _deep_merge(self.src.dictionary[name], spec)
        schema = self.type_schema(full["type"])
        enum = full.get("enum")
        if enum and schema.get("type") == "integer":
            schema["enum"] = sorted(int(k) for k in enum)
        if full.get("is_array"):
            schema = {"type": "array", "items": schema}
        caption = full.get("caption")
        if caption:
            schema["title"] = caption
        return schema

    def _kept(self, spec: Mapping[str, Any]) -> bool:
        profile = spec.get("profile")
        return profile is None or profile in self.profiles

    def _required(self, spec: Mapping[str, Any]) -> bool:
        return spec.get("requirement") == "required"

    def members(self, kind: str, name: str) -> dict[str, Any]:
        attrs = {a: s for a, s in self.src.attributes(kind, name).items() if self._kept(s)}
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {a: self.attribute_schema(a, s) for a, s in sorted(attrs.items())},
            "additionalProperties": False,
        }
        required = sorted(a for a, s in attrs.items() if self._required(s))
        if required:
            schema["required"] = required
        constraints = self.src.item_field(kind, name, "constraints") or {}
        for key, combiner in (("at_least_one", "anyOf"), ("just_one", "oneOf")):
            names = [a for a in constraints.get(key, []) if a in attrs]
            if names:
                schema[combiner] = [{"required": [a]} for a in names]
        return schema

    def object_def(self, name: str) -> None:
        if name in self.defs:
            return
        self.defs[name] = {}  # placeholder: stops recursion through cyclic objects
        schema = self.members("object", name)
        caption = self.src.objects[name].get("caption")
        if caption:
            schema = {"title": caption, **schema}
        self.defs[name] = schema

    def event_schema(self, class_name: str) -> dict[str, Any]:
        src = self.src
        category = src.item_field("event", class_name, "category")
        uid = src.events[class_name].get("uid")
        if category not in src.categories or uid is None:
            raise OCSFSchemaError(f"OCSF class {class_name!r} has no category or uid")
        category_uid = src.categories[category]["uid"]
        class_uid = category_uid * 1000 + uid
        schema = self.members("event", class_name)
        props = schema["properties"]
        activities = props["activity_id"].get("enum", [0, 99])
        props["class_uid"] = {"title": "Class ID", "type": "integer", "const": class_uid}
        props["category_uid"] = {"title": "Category ID", "type": "integer", "const": category_uid}
        props["type_uid"] = {
            "title": "Type ID",
            "type": "integer",
            "enum": [class_uid * 100 + a for a in activities],
        }
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"OCSF {OCSF_VERSION} {src.events[class_name].get('caption', class_name)} ({class_uid})",
            "description": (
                f"Compiled by connector_host.ocsf from the OCSF {OCSF_VERSION} source; "
                f"profiles applied: {sorted(self.profiles) or 'none'}."
            ),
            "x-ocsf": {"class_uid": class_uid, "class_name": class_name, "profiles": sorted(self.profiles)},
            **schema,
            "$defs": dict(sorted(self.defs.items())),
        }


def build_class_schema(
    source_dir: str | Path, class_uid: int, profiles: Iterable[str] = DEFAULT_PROFILES
) -> dict[str, Any]:
    """Compile the JSON Schema of one OCSF class from an OCSF source tree."""
    if class_uid not in CLASSES:
        raise OCSFSchemaError(f"class {class_uid} is not one of ours ({sorted(CLASSES)})")
    return _Compiler(_Source(Path(source_dir)), profiles).event_schema(CLASSES[class_uid])


def build_class_schemas(
    source_dir: str | Path, profiles: Iterable[str] = DEFAULT_PROFILES
) -> dict[int, dict[str, Any]]:
    """Compile the JSON Schemas of all our classes (one source parse)."""
    source = _Source(Path(source_dir))
    profiles = tuple(profiles)
    return {uid: _Compiler(source, profiles).event_schema(name) for uid, name in CLASSES.items()}


# ------------------------------------------------------------------------------------------ validator


@cache
def class_schema(class_uid: int) -> dict[str, Any]:
    """The shipped (precompiled) JSON Schema of an OCSF class."""
    if class_uid not in CLASSES:
        raise KeyError(f"no OCSF schema shipped for class_uid {class_uid}; known: {sorted(CLASSES)}")
    ref = resources.files("connector_host") / "schemas" / SCHEMA_DIR / f"{class_uid}.json"
    return json.loads(ref.read_text(encoding="utf-8"))


@cache
def class_validator(class_uid: int) -> jsonschema.protocols.Validator:
    schema = class_schema(class_uid)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def validation_errors(event: Mapping[str, Any]) -> list[str]:
    """Why ``event`` is not a valid OCSF 1.6.0 event of its class (empty list: valid)."""
    class_uid = event.get("class_uid") if isinstance(event, Mapping) else None
    if not isinstance(class_uid, int) or class_uid not in CLASSES:
        return [f"class_uid {class_uid!r} is not one of the OCSF classes we validate ({sorted(CLASSES)})"]
    errors = class_validator(class_uid).iter_errors(event)
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '<event>'}: {e.message[:300]}"
        for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    ]
    declared = event.get("metadata", {}).get("profiles") if isinstance(event.get("metadata"), Mapping) else None
    compiled = set(class_schema(class_uid).get("x-ocsf", {}).get("profiles", []))
    if isinstance(declared, list):
        extra = sorted(str(p) for p in declared if p not in compiled)
        if extra:
            problems.append(
                f"metadata/profiles: {extra} not supported: these schemas were compiled with {sorted(compiled)}"
            )
    return problems


def validate_event(event: Mapping[str, Any]) -> None:
    """Return if ``event`` is valid OCSF 1.6.0; else raise ``ValueError`` listing every problem."""
    errors = validation_errors(event)
    if errors:
        raise ValueError("not a valid OCSF 1.6.0 event: " + "; ".join(errors))
