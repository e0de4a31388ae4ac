"""The configure form is generic: any connector's config schema gives a form, parsed back and validated."""

from __future__ import annotations

from typing import Any

from connector_host.web import schema_form as sf
from werkzeug.datastructures import MultiDict

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url", "auth", "level"],
    "additionalProperties": False,
    "$defs": {"secret": {"type": "string", "minLength": 8, "secret": True}},
    "properties": {
        "level": {"enum": [1, 2, 3], "title": "Level", "order": 2},
        "url": {"type": "string", "format": "uri", "title": "URL", "order": 0, "pattern": "^https://"},
        "auth": {
            "title": "Auth", "order": 1,
            "oneOf": [
                {"type": "object", "title": "Key", "required": ["kind", "key"],
                 "properties": {"kind": {"const": "key"}, "key": {"$ref": "#/$defs/secret"}}},
                {"type": "object", "title": "Basic", "required": ["kind", "user", "password"],
                 "properties": {"kind": {"const": "basic"}, "user": {"type": "string", "minLength": 1},
                                "password": {"type": "string", "writeOnly": True}}},
            ],
        },
        "tls": {"type": "object", "title": "TLS", "properties": {
            "verify": {"type": "boolean", "default": True}, "ca": {"type": "string", "format": "textarea"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "extra": {"type": "object", "additionalProperties": {"type": "number"}},
        "ratio": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    },
}


def kinds(fields: list[sf.Field]) -> dict[str, str]:
    return {f.name: f.kind for f in sf.iter_fields(fields, selected_only=False)}


def test_fields_follow_the_schema() -> None:
    fields = sf.build_fields(SCHEMA, {})
    assert [f.name for f in fields] == ["url", "auth", "level", "tls", "tags", "extra", "ratio"]
    assert kinds(fields) == {
        "url": "url", "auth": "choice", "auth~0.key": "password", "auth~1.user": "text", "auth~1.password": "password",
        "level": "select", "tls": "group", "tls.verify": "checkbox", "tls.ca": "textarea", "tags": "list",
        "extra": "json", "ratio": "number",
    }
    assert [f.required for f in fields[:3]] == [True, True, True] and not fields[3].required
    assert [b.title for b in fields[1].branches] == ["Key", "Basic"]
    assert fields[2].choices == [("1", "1"), ("2", "2"), ("3", "3")]
    assert fields[6].minimum == 0 and fields[6].maximum == 1
    assert next(f for f in sf.iter_fields(fields) if f.name == "tls.verify").value is True  # the default


def test_stored_secrets_are_never_values_and_the_branch_is_selected() -> None:
    stored = {"url": "https://x", "auth": {"kind": "basic", "user": "u", "password": {"$secret": "env", "name": "PW"}}}
    fields = sf.build_fields(SCHEMA, stored)
    auth = fields[1]
    assert auth.selected == 1
    pw = next(f for f in auth.branches[1].fields if f.path[-1] == "password")
    assert pw.value is None and pw.secret_state == "from env $PW"
    assert next(f for f in auth.branches[0].fields).secret_state == "not set"


def test_parse_round_trip_keeps_untouched_secrets() -> None:
    stored = {"url": "https://x", "auth": {"kind": "key", "key": {"$secret": "fernet", "token": "gAAA"}}, "level": 2}
    fields = sf.build_fields(SCHEMA, stored)
    form = MultiDict({"url": " https://y ", "auth~": "0", "auth~0.key": "", "level": "3", "tls.ca": "PEM",
                      "tags": "a\nb, c", "extra": '{"x": 1.5}', "ratio": "0.5"})
    parsed = sf.parse_form(fields, form, stored)
    assert parsed.errors == {} and parsed.new_secrets == {}
    assert parsed.config == {"url": "https://y", "auth": {"kind": "key", "key": {"$secret": "fernet", "token": "gAAA"}},
                             "level": 3, "tls": {"verify": False, "ca": "PEM"}, "tags": ["a", "b", "c"],
                             "extra": {"x": 1.5}, "ratio": 0.5}
    # switching branch drops the other branch's secret and takes the typed one
    form2 = MultiDict({"url": "https://y", "auth~": "1", "auth~1.user": "me", "auth~1.password": "pw-typed", "level": "1"})
    parsed2 = sf.parse_form(sf.build_fields(SCHEMA, stored), form2, stored)
    assert parsed2.config["auth"] == {"kind": "basic", "user": "me", "password": "pw-typed"}
    assert parsed2.new_secrets == {("auth", "password"): "pw-typed"}


def test_validation_errors_map_to_fields_without_secret_values() -> None:
    fields = sf.build_fields(SCHEMA, {})
    form = MultiDict({"url": "http://plain", "auth~": "0", "auth~0.key": "short", "ratio": "x"})
    parsed = sf.parse_form(fields, form, {})
    errors, general = sf.validate(SCHEMA, fields, parsed.config, secret_paths=[("auth", "key"), ("auth", "password")])
    assert parsed.errors == {"ratio": "enter a number"}
    assert errors["level"] == "required"
    assert "does not match" in errors["url"]
    assert errors["auth~0.key"] == "must be at least 8 characters" and "short" not in str(errors)
    assert general == []
    # a oneOf branch's missing field is reported on that field
    form3 = MultiDict({"url": "https://x", "auth~": "1", "level": "1"})
    fields3 = sf.build_fields(SCHEMA, {})
    p3 = sf.parse_form(fields3, form3, {})
    errors3, _ = sf.validate(SCHEMA, fields3, p3.config, secret_paths=[])
    assert errors3 == {"auth~1.user": "required", "auth~1.password": "required"}


def test_resolve_probe_marks_unreadable_secrets() -> None:
    cfg = {"auth": {"kind": "key", "key": {"$secret": "env", "name": "MISSING"}}}

    def resolve(ref: Any) -> str:
        raise KeyError(ref["name"])

    probe, unresolved = sf.resolve_probe(cfg, [("auth", "key")], resolve)
    assert unresolved == [("auth", "key")] and probe["auth"]["key"] == "unresolved-secret-placeholder"
    assert cfg["auth"]["key"]["$secret"] == "env"  # the stored config is untouched
