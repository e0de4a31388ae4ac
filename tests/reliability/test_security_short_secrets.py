"""Issue 15, item 16: a secret of any length, even one character, is never echoed in a validation error.

The host's redactor skipped secrets shorter than 4 characters (``Redactor.MIN_LEN``), and jsonschema's ``oneOf``
message quotes the whole ``auth`` object: a 3-character token appeared in clear in ``connector-host add``'s error.
The connector's scrubber skipped secrets under 6. Now the connector never quotes a value that is or holds a secret
field, and both redactors replace a short secret wherever it appears quoted (``'ab'``, ``"ab"``) or as a URL's
password (``:ab@``), the forms in which errors and reprs show values."""

from __future__ import annotations

import io
import json

import pytest
from connector_host import cli
from connector_host.config_secrets import Redactor
from connector_host.loader import load_connectors
from connector_host.service import check_config

from connector_okta.client.errors import ConfigError, scrub
from connector_okta.config import load_config
from connector_okta.connection import test_connection as okta_test_connection

SHORT = ["Q", "Zq", "Zq9", "Zq9!", "Zq9!x"]  # lengths 1 to 5; none of them occurs in any message by chance


def bad_configs(secret: str) -> list[dict]:
    org = "https://acme.okta.com"
    return [
        {"org_url": org, "auth": {"method": "api_token", "token": secret}},
        {"org_url": org, "auth": {"method": "api_token", "token": secret, "extra": 1}},
        {"org_url": org, "auth": {"method": "api_token", "token": [secret]}},
        {"org_url": org, "auth": {"method": "nope", "token": secret}},
        {"org_url": org, "auth": {"token": secret}},
        {"org_url": org, "auth": {"method": "oauth", "client_id": "0oa1", "private_key": secret}},
        {"org_url": org, "auth": {"method": "oauth", "private_key": secret}},
        {"org_url": org, "auth": {"method": "api_token", "token": "00abcdefghijklmnop"}, "proxy_password": secret},
        {"org_url": org, "auth": {"method": "api_token", "token": "00abcdefghijklmnop"},
         "https_proxy": f"http://u:{secret}@proxy:1"},
        {"org_url": org, "auth": {"method": "api_token", "token": "00abcdefghijklmnop"}, "https_proxy": "http://p:1",
         "proxy_username": "u", "proxy_password": {"nested": secret}},
        {"org_url": 7, "auth": {"method": "api_token", "token": secret}, "unknown": secret},
    ]


@pytest.mark.parametrize("secret", SHORT)
def test_the_connector_never_quotes_a_short_secret_in_a_validation_error(secret):
    for cfg in bad_configs(secret):
        with pytest.raises(ConfigError) as info:
            load_config(cfg)
        assert secret not in str(info.value) and secret not in repr(info.value), (cfg, str(info.value))
        result = okta_test_connection(cfg)
        assert result["status"] == "failed" and secret not in json.dumps(result), (cfg, result)


@pytest.mark.parametrize("secret", SHORT)
def test_the_connector_scrubber_hides_short_secrets_where_messages_quote_them(secret):
    for text in (f"token {secret!r} refused", f'{{"token": {json.dumps(secret)}}}', f"http://u:{secret}@proxy:1"):
        assert secret not in scrub(text, [secret]), text


@pytest.fixture(scope="module")
def okta():
    return load_connectors(allow=["okta"], env={}).get("okta")


@pytest.mark.parametrize("secret", SHORT)
def test_the_host_never_echoes_a_short_secret_in_a_validation_error(okta, secret):
    stored = {"org_url": "https://acme.okta.com", "auth": {"method": "api_token", "token": {"$secret": "env",
                                                                                           "name": "T"}}}
    check = check_config(okta, stored, env={"T": secret})
    assert check.problems, "a short token is invalid"
    assert secret not in json.dumps(check.problems), check.problems
    assert secret not in json.dumps(okta.validate_config({"org_url": "https://acme.okta.com",
                                                          "auth": {"method": "api_token", "token": secret}}))


@pytest.mark.parametrize("secret", SHORT)
def test_host_redactor_hides_short_secrets_where_they_are_quoted(secret):
    redactor = Redactor([secret])
    text = redactor.text(f"auth: {{'method': 'api_token', 'token': {secret!r}}} is not valid; {json.dumps(secret)}")
    assert secret not in text and "[redacted]" in text


def test_host_cli_add_with_a_short_secret_does_not_echo_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(tmp_path / "host.db"))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    monkeypatch.setenv("T", "Zq9")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["add", "acme", "--connector", "okta", "--set", "org_url=https://acme.okta.com",
                     "--set", "auth.method=api_token", "--secret-env", "auth.token=T"], stdout=out, stderr=err)
    assert code != 0 and "auth" in err.getvalue()
    assert "Zq9" not in out.getvalue() + err.getvalue()
