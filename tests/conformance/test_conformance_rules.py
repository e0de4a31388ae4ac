"""The kit's config-schema and manifest rules on small schemas (the broken connectors cover the wiring)."""

from __future__ import annotations

import pytest
from connector_host.conformance import config_rules, manifest_rules


@pytest.mark.parametrize("name", ["token", "api_token", "apiToken", "password", "client_secret", "clientSecret",
                                  "private_key", "privateKey", "api_key", "apikey", "x-api-key", "passphrase",
                                  "aws_secret_access_key", "access_key", "refresh_token", "credentials"])
def test_secret_looking_names(name: str) -> None:
    assert config_rules.looks_secret(name)


@pytest.mark.parametrize("name", ["org_url", "token_url", "token_endpoint", "key_id", "client_id", "secret_name",
                                  "username", "domain", "keyboard", "monkey", "tokenizer_mode", "page_size",
                                  "password_policy", "scopes"])
def test_plain_names(name: str) -> None:
    assert not config_rules.looks_secret(name)


def auth_schema(**branch_extra: object) -> dict:
    return {"type": "object", "properties": {"auth": {"oneOf": [
        {"type": "object", "required": ["method", "token"], "properties": {
            "method": {"const": "api_token"}, "token": {"type": "string", "secret": True}}},
        {"type": "object", "required": ["method", "client_id", "private_key"], "properties": {
            "method": {"const": "oauth"}, "client_id": {"type": "string"},
            "private_key": {"type": "string", **branch_extra}}},
    ]}}}


def test_secrets_are_found_inside_one_of_branches() -> None:
    problems = config_rules.secret_marking_problems(auth_schema())
    assert len(problems) == 1 and "private_key" in problems[0] and "oneOf/1" in problems[0]
    assert config_rules.secret_marking_problems(auth_schema(secret=True)) == []


def test_secret_values_follow_the_chosen_branch() -> None:
    schema = auth_schema(secret=True)
    config = {"auth": {"method": "oauth", "client_id": "0oa123456", "private_key": "-----BEGIN KEY-----abc"}}
    assert config_rules.secret_values(schema, config) == {"-----BEGIN KEY-----abc"}


def test_one_of_needs_a_const_discriminator() -> None:
    assert config_rules.form_problems(auth_schema(secret=True)) == []
    schema = auth_schema(secret=True)
    schema["properties"]["auth"]["oneOf"][1]["properties"]["method"] = {"type": "string"}
    assert any("discriminator" in p for p in config_rules.form_problems(schema))


def test_same_const_in_two_branches_is_no_discriminator() -> None:
    schema = auth_schema(secret=True)
    schema["properties"]["auth"]["oneOf"][1]["properties"]["method"] = {"const": "api_token"}
    assert any("discriminator" in p for p in config_rules.form_problems(schema))


@pytest.mark.parametrize(("fragment", "needle"), [
    ({"$ref": "https://example.com/schema.json"}, "not a local"),
    ({"$ref": "#/$defs/missing"}, "does not resolve"),
    ({"type": ["string", "integer"]}, "one type"),
    ({"if": {"type": "string"}, "then": {"minLength": 1}}, "'if'"),
    ({"patternProperties": {"^x": {"type": "string"}}}, "patternProperties"),
])
def test_constructs_a_form_cannot_draw(fragment: dict, needle: str) -> None:
    schema = {"type": "object", "properties": {"field": fragment}}
    assert any(needle in p for p in config_rules.form_problems(schema)), config_rules.form_problems(schema)


def test_a_property_named_like_a_keyword_is_fine() -> None:
    schema = {"type": "object", "properties": {"not": {"type": "string"}, "if": {"type": "boolean"}}}
    assert config_rules.form_problems(schema) == []


def test_defaults_are_checked_through_local_refs() -> None:
    schema = {"type": "object", "$defs": {"port": {"type": "integer", "minimum": 1}},
              "properties": {"port": {"$ref": "#/$defs/port", "default": 0}}}
    assert len(config_rules.default_problems(schema)) == 1
    schema["properties"]["port"]["default"] = 443
    assert config_rules.default_problems(schema) == []


@pytest.mark.parametrize(("version", "ok"), [("1.0.0", True), ("0.1.0-rc.1+build.5", True), ("1.0", False),
                                             ("v1.0.0", False), ("01.0.0", False)])
def test_semver(version: str, ok: bool) -> None:
    assert (manifest_rules.version_problems({"version": version}) == []) is ok


@pytest.mark.parametrize(("spec", "ok"), [(">=0.1,<1", True), ("~=0.1", True), (">=99", False), ("^0.1", False),
                                          (None, False)])
def test_host_version_range(spec: str | None, ok: bool) -> None:
    assert (manifest_rules.host_range_problems({"host_version": spec}) == []) is ok
