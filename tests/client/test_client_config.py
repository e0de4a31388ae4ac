"""Config loading: schema, defaults, clear messages, URL normalisation; the schema as a renderable form."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from client_support import TOKEN, base_config
from test_client_auth import jwk_json, pem, rsa_key

from connector_okta.client import ConfigError
from connector_okta.config import OktaConfig, config_schema, load_config


def test_defaults_filled():
    cfg = load_config(base_config(org_url="acme-admin.okta.com/admin/dashboard"))
    assert isinstance(cfg, OktaConfig)
    assert cfg.org_url == "https://acme.okta.com"
    assert (cfg.sync_interval_minutes, cfg.check_profile, cfg.max_concurrency, cfg.rate_limit_share) == (1440, "baseline", 4, 0.5)
    assert (cfg.request_timeout_seconds, cfg.fanout_budget, cfg.max_sync_seconds, cfg.full_sync_every) == (30, 500, 3600, 7)
    assert cfg.allow_insecure_http_loopback is False and cfg.https_proxy is None
    assert cfg.collections_skip == () and dict(cfg.check_overrides) == {}
    assert cfg.auth.method == "api_token"


def test_config_is_frozen():
    cfg = load_config(base_config())
    with pytest.raises(AttributeError):
        cfg.org_url = "https://x.okta.com"  # type: ignore[misc]


def test_full_config_round_trip():
    cfg = load_config(base_config(
        check_profile="stig", sync_interval_minutes=60, collections_skip=["logs"],
        check_overrides={"okta-session-idle-timeout": {"enabled": True, "thresholds": {"max_minutes": 10}, "severity": "high"}},
        max_concurrency=20, rate_limit_share=1, https_proxy="http://proxy.local:3128",
    ))
    assert cfg.check_overrides["okta-session-idle-timeout"]["thresholds"]["max_minutes"] == 10
    assert cfg.collections_skip == ("logs",) and cfg.https_proxy == "http://proxy.local:3128"


def test_oauth_config_defaults_scopes_and_reads_the_jwk_kid():
    cfg = load_config({"org_url": "https://acme.okta.com",
                       "auth": {"method": "oauth", "client_id": "0oa1", "private_key": jwk_json(rsa_key(), kid="k9")}})
    assert cfg.auth.method == "oauth" and "okta.users.read" in cfg.auth.scopes and cfg.auth.use_dpop is False


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({}, "org_url is required"),
        ({"org_url": "https://acme.okta.com"}, "auth is required"),
        (base_config(max_concurrency=50), "max_concurrency"),
        (base_config(sync_interval_minutes=5), "at least 15"),
        (base_config(check_profile="pci"), "baseline, stig, healthinsight"),
        (base_config(rate_limit_share=0), "rate_limit_share"),
        (base_config(colour="blue"), "'colour'"),
        (base_config(check_overrides={"x": {"severity": "urgent"}}), "check_overrides.x.severity"),
        (base_config(org_url="http://acme.okta.com"), "https://"),
        (base_config(org_url="http://127.0.0.1:8080"), "allow_insecure_http_loopback"),
        (base_config(auth={"method": "api_token"}), "auth.token is required"),
        (base_config(auth={"method": "saml"}), "auth.method must be 'api_token' or 'oauth'"),
        (base_config(auth={"method": "oauth", "private_key": "x"}), "auth.client_id is required"),
        (base_config(auth={"method": "oauth", "client_id": "c", "private_key": "not a key"}), "PEM"),
        (base_config(auth={"method": "api_token", "token": "abc def ghi jkl"}), "spaces"),
        ("not a mapping", "must be an object"),
    ],
)
def test_clear_messages(raw, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(raw)
    assert info.value.kind == "config"
    assert fragment in info.value.message


def test_messages_never_quote_secrets():
    short = "tooShort9"
    with pytest.raises(ConfigError) as info:
        load_config(base_config(auth={"method": "api_token", "token": short}))
    assert short not in info.value.message and "auth.token" in info.value.message
    key = pem(rsa_key())
    with pytest.raises(ConfigError) as info:
        load_config(base_config(auth={"method": "oauth", "client_id": "c", "private_key": key, "scopes": ["bad"]}))
    assert key[30:60] not in info.value.message
    with pytest.raises(ConfigError) as info:
        load_config(base_config(https_proxy="not a url with secretpw"))
    assert "secretpw" not in info.value.message


def test_loopback_with_flag_for_the_sandbox():
    cfg = load_config(base_config(org_url="http://127.0.0.1:5050/", allow_insecure_http_loopback=True))
    assert cfg.org_url == "http://127.0.0.1:5050"


def test_schema_is_a_good_form():
    schema = config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    props = schema["properties"]
    assert schema["required"] == ["org_url", "auth"]
    for name, prop in props.items():
        assert prop.get("title") and prop.get("description"), name
        assert isinstance(prop.get("order"), int), name
    orders = [p["order"] for p in props.values()]
    assert len(set(orders)) == len(orders)
    branches = props["auth"]["oneOf"]
    assert [b["properties"]["method"]["const"] for b in branches] == ["api_token", "oauth"]
    secret_fields = [(b["properties"]["method"]["const"], k) for b in branches for k, v in b["properties"].items()
                     if v.get("secret")]
    assert secret_fields == [("api_token", "token"), ("oauth", "private_key")]
    for b in branches:
        for v in b["properties"].values():
            if v.get("secret"):
                assert v["writeOnly"] is True and v["type"] == "string"
    # defaults validate against their own property schemas
    for prop in props.values():
        if "default" in prop:
            jsonschema.Draft202012Validator(prop).validate(prop["default"])
    scopes = branches[1]["properties"]["scopes"]
    jsonschema.Draft202012Validator(scopes).validate(scopes["default"])


def test_schema_is_package_data():
    text = resources.files("connector_okta").joinpath("schemas/config.schema.json").read_text("utf-8")
    assert json.loads(text) == config_schema()


def test_token_never_in_the_loaded_config_repr():
    assert TOKEN not in repr(load_config(base_config()))
