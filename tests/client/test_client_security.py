"""The credential never leaves the org: redirects, next links, absolute URLs, DNS; secrets never printed."""

from __future__ import annotations

import logging

import pytest
import requests
from client_support import ORG, TOKEN, base_config
from test_client_auth import TokenEndpoint, oauth_config, pem, rsa_key

from connector_okta.client import CredentialsError, UnsafeURLError
from connector_okta.client.session import OrgSession
from connector_okta.config import load_config
from connector_okta.urls import origin

EVIL = "https://evil.example.com"


def credentialed_requests_off_org(history):
    return [r for r in history if r.hostname != "acme.okta.com" and ("Authorization" in r.headers or "DPoP" in r.headers)]


def test_redirect_to_another_host_is_refused_and_not_followed(okta, make_client):
    okta.get(f"{ORG}/api/v1/users", status_code=302, headers={"Location": f"{EVIL}/steal"})
    evil = okta.get(f"{EVIL}/steal", json=[])
    with pytest.raises(UnsafeURLError) as info:
        make_client().get("/api/v1/users")
    assert "evil.example.com" in info.value.message
    assert evil.call_count == 0


def test_same_org_redirect_is_followed(okta, make_client):
    okta.get(f"{ORG}/api/v1/users", status_code=307, headers={"Location": "/api/v1/users?after=x"})
    okta.get(f"{ORG}/api/v1/users?after=x", json=[{"id": "00u1"}], complete_qs=True)
    assert make_client().get("/api/v1/users").json == [{"id": "00u1"}]


def test_org_session_strips_credentials_even_when_redirects_are_followed(okta):
    session = OrgSession({origin(ORG)})
    okta.get(f"{ORG}/x", status_code=302, headers={"Location": f"{EVIL}/y"})
    evil = okta.get(f"{EVIL}/y", json={})
    resp = session.get(f"{ORG}/x", headers={"Authorization": f"SSWS {TOKEN}", "DPoP": "proof"})
    assert resp.status_code == 302 and evil.call_count == 0  # not followed off the org
    # and should a redirect be rebuilt for another origin, the credential headers are dropped
    prepared = requests.Request("GET", f"{EVIL}/y", headers={"Authorization": "SSWS t", "DPoP": "p"}).prepare()
    session.rebuild_auth(prepared, resp)
    assert "Authorization" not in prepared.headers and "DPoP" not in prepared.headers


def test_absolute_url_on_another_host_is_refused(okta, make_client):
    evil = okta.get(f"{EVIL}/api/v1/users", json=[])
    client = make_client()
    for url in (f"{EVIL}/api/v1/users", "http://acme.okta.com/api/v1/users", "https://acme.okta.com.evil.example.com/x"):
        with pytest.raises(UnsafeURLError):
            client.get(url)
    assert evil.call_count == 0


def test_host_resolving_to_a_private_address_gets_no_request(okta, make_client, dns):
    dns.table["acme.okta.com"] = ["10.0.0.8"]
    with pytest.raises(UnsafeURLError, match="private"):
        make_client().get("/api/v1/users")
    assert okta.request_history == []


def test_no_request_ever_carries_the_credential_off_the_org(okta, make_client):
    key = rsa_key()
    okta.post(f"{ORG}/oauth2/v1/token", json=TokenEndpoint(key.public_key()))
    okta.get(f"{ORG}/api/v1/users", json=[{"id": "1"}], headers={"Link": f'<{EVIL}/api/v1/users?after=1>; rel="next"'})
    okta.get(f"{ORG}/api/v1/groups", status_code=301, headers={"Location": f"{EVIL}/api/v1/groups"})
    okta.get(f"{ORG}/api/v1/apps", status_code=303, headers={"Location": "//evil.example.com/api/v1/apps"})
    okta.get(requests_mock_any_evil(), json=[])
    for raw in (base_config(), oauth_config(pem(key))):
        client = make_client(raw)
        calls = (lambda c: list(c.paginate("/api/v1/users")), lambda c: c.get("/api/v1/groups"),
                 lambda c: c.get("/api/v1/apps"), lambda c: c.get(f"{EVIL}/api/v1/users"))
        for call in calls:
            with pytest.raises(UnsafeURLError):
                call(client)
    assert any("Authorization" in r.headers for r in okta.request_history)  # credentials were used on the org
    assert not [r for r in okta.request_history if r.hostname == "evil.example.com"]
    assert credentialed_requests_off_org(okta.request_history) == []


def requests_mock_any_evil():
    import re

    return re.compile(r"https://evil\.example\.com/.*")


# ------------------------------------------------------------------ secrets never printed


def test_secrets_not_in_config_repr_str_or_redacted():
    cfg = load_config(base_config())
    key_pem = pem(rsa_key())
    ocfg = load_config(oauth_config(key_pem, https_proxy="http://proxy.local:3128", proxy_username="user",
                                    proxy_password="proxypass"))
    for text in (repr(cfg), str(cfg), repr(cfg.auth), str(cfg.redacted()), repr(cfg.auth.token), str(cfg.auth.token)):
        assert TOKEN not in text
    for text in (repr(ocfg), str(ocfg), repr(ocfg.auth), str(ocfg.redacted())):
        assert "PRIVATE KEY" not in text and key_pem[30:60] not in text and "proxypass" not in text
    assert cfg.auth.token.reveal() == TOKEN
    assert cfg.redacted()["auth"]["token"] == "***"


def test_client_repr_and_errors_never_show_the_token(okta, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    # a misbehaving server that echoes the credential back in its error
    okta.get(f"{ORG}/api/v1/users/me", status_code=401,
             json={"errorCode": "E0000011", "errorSummary": f"Invalid token provided: SSWS {TOKEN}"})
    okta.get(f"{ORG}/api/v1/org", [{"status_code": 503}, {"status_code": 429}, {"json": {}}])
    client = make_client()
    with pytest.raises(CredentialsError) as info:
        client.get("/api/v1/users/me")
    client.get("/api/v1/org")
    for text in (str(info.value), repr(info.value), repr(client), str(info.value.to_dict()), caplog.text,
                 str(client.stats())):
        assert TOKEN not in text


def test_oauth_secrets_not_in_errors_or_logs(okta, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    key_pem = pem(rsa_key())
    endpoint = TokenEndpoint(rsa_key().public_key())
    okta.post(f"{ORG}/oauth2/v1/token", json=endpoint)
    okta.get(f"{ORG}/api/v1/users", status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    client = make_client(oauth_config(key_pem))
    with pytest.raises(CredentialsError) as info:
        client.get("/api/v1/users")
    for text in (str(info.value), repr(info.value), repr(client), repr(client.auth), caplog.text):
        assert key_pem[30:60] not in text
        assert all(tok not in text for tok in endpoint.issued)
