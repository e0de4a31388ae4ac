"""Test Connection: never raises, says who the credential is, what it can read and what to grant."""

from __future__ import annotations

import json
import re
from importlib import resources

import jsonschema
import pytest
import requests
from client_support import ORG, TOKEN, base_config, well_known_body
from test_client_auth import TokenEndpoint, oauth_config, pem, rsa_key

from connector_okta import connection
from connector_okta.client import OktaClient

ME = {"id": "00u1abcdEFGH2345ijkl", "status": "ACTIVE",
      "profile": {"login": "svc-posture@acme.com", "firstName": "Posture", "lastName": "Service"}}


@pytest.fixture
def factory(clock, dns):
    return lambda cfg: OktaClient(cfg, clock=clock, resolver=dns)


@pytest.fixture
def result_schema():
    text = resources.files("connector_host").joinpath("schemas/connection_result.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def mock_ssws_org(m, roles=("READ_ONLY_ADMIN",)):
    # requests-mock tries the latest registration first: the catch-all goes first
    m.get(re.compile(re.escape(ORG) + r"/api/v1/.*"), json=[])  # every other probe readable
    m.get(f"{ORG}/api/v1/users/me", json=ME)
    m.get(f"{ORG}/api/v1/users/{ME['id']}/roles", json=[{"id": f"ra{i}", "type": t, "label": t} for i, t in enumerate(roles)])


def caps(result):
    return {c["name"]: c["status"] for c in result["capabilities"]}


def test_succeeds_and_reports_identity_and_capabilities(okta, factory, result_schema):
    mock_ssws_org(okta)
    okta.get(f"{ORG}/api/v1/iam/assignees/users", status_code=403, json={"errorCode": "E0000006"})
    okta.get(f"{ORG}/api/v1/authenticators", status_code=401, json={"errorCode": "E0000015"})
    r = connection.test_connection(base_config(), client_factory=factory)
    result_schema.validate(r)
    assert r["status"] == "succeeded" and r["failure_kind"] is None
    assert r["org"] == {"url": ORG, "pipeline": "idx", "id": "00o1abcdEFGH2345ijkl"}
    assert r["identity"]["login"] == "svc-posture@acme.com" and r["identity"]["roles"] == ["READ_ONLY_ADMIN"]
    c = caps(r)
    assert c["admin_roles"] == "forbidden" and c["authenticators"] == "not_available" and c["users"] == "ok"
    assert len(c) == len(connection.DEFAULT_PROBES)
    assert any("admin_roles" in w for w in r["warnings"])
    assert not any("Super" in w for w in r["warnings"])
    assert isinstance(r["duration_ms"], int) and r["duration_ms"] >= 0
    # one limit=1 request per probe
    probes = [h for h in okta.request_history if h.path == "/api/v1/users"]
    assert probes and all(h.qs.get("limit") == ["1"] for h in probes)


def test_super_admin_is_warned(okta, factory):
    mock_ssws_org(okta, roles=("SUPER_ADMIN",))
    r = connection.test_connection(base_config(), client_factory=factory)
    assert r["status"] == "succeeded"
    assert any("Super Administrator" in w and "Read-Only" in w for w in r["warnings"])


def test_ssws_thirty_day_expiry_warning_only_when_interval_is_longer(okta, factory):
    mock_ssws_org(okta)
    long = connection.test_connection(base_config(sync_interval_minutes=31 * 24 * 60), client_factory=factory)
    short = connection.test_connection(base_config(sync_interval_minutes=24 * 60), client_factory=factory)
    assert any("30 days" in w for w in long["warnings"])
    assert not any("30 days" in w for w in short["warnings"])


def test_bad_token_fails_with_credentials_and_no_secret(okta, factory, result_schema):
    okta.get(f"{ORG}/api/v1/users/me", status_code=401,
             json={"errorCode": "E0000011", "errorSummary": "Invalid token provided"}, headers={"X-Okta-Request-Id": "rq9"})
    r = connection.test_connection(base_config(), client_factory=factory)
    result_schema.validate(r)
    assert r["status"] == "failed" and r["failure_kind"] == "credentials"
    assert "API token" in r["message"] and "rq9" in r["message"]
    assert TOKEN not in json.dumps(r)


@pytest.mark.parametrize("raw", [None, [], "x", {"auth": 5}, {"org_url": 3, "auth": {}}, base_config(org_url="http://acme.okta.com")])
def test_bad_config_fails_with_config_and_never_raises(raw, result_schema):
    r = connection.test_connection(raw)
    result_schema.validate(r)
    assert r["status"] == "failed" and r["failure_kind"] == "config" and r["message"]


def test_not_an_okta_org_is_a_config_failure(okta, factory):
    okta.get(f"{ORG}/.well-known/okta-organization", text="<html>hello</html>", headers={"Content-Type": "text/html"})
    r = connection.test_connection(base_config(), client_factory=factory)
    assert r["failure_kind"] == "config" and "not an Okta org" in r["message"]
    assert not [h for h in okta.request_history if "Authorization" in h.headers]


def test_unreachable_org_is_a_network_failure(okta, factory):
    okta.get(f"{ORG}/.well-known/okta-organization", exc=requests.exceptions.ConnectionError)
    r = connection.test_connection(base_config(), client_factory=factory)
    assert r["status"] == "failed" and r["failure_kind"] == "network"


def test_unsafe_dns_without_a_factory(monkeypatch):
    monkeypatch.setattr("connector_okta.urls.socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("192.168.1.5", 443))])
    r = connection.test_connection(base_config())
    assert r["failure_kind"] == "config" and "private" in r["message"]


def test_classic_org_marks_oie_only_probes_not_available_without_asking(okta, factory):
    okta.get(f"{ORG}/.well-known/okta-organization", json=well_known_body(pipeline="v1"))
    mock_ssws_org(okta)
    r = connection.test_connection(base_config(), client_factory=factory)
    assert r["org"]["pipeline"] == "v1" and caps(r)["authenticators"] == "not_available"
    assert not [h for h in okta.request_history if h.path == "/api/v1/authenticators"]


def test_probes_parameter_accepts_tuples_dicts_and_objects(okta, factory):
    mock_ssws_org(okta)

    class Resource:
        name, path, scope, pipeline = "devices", "/api/v1/devices", "okta.devices.read", "idx"

    probes = [("users", "/api/v1/users", "okta.users.read"), {"name": "zones", "path": "/api/v1/zones"},
              Resource(), ("policy_rules", "/api/v1/policies/{policyId}/rules", "okta.policies.read"), ("bad",)]
    r = connection.test_connection(base_config(), probes=probes, client_factory=factory)
    assert caps(r) == {"users": "ok", "zones": "ok", "devices": "ok"}
    assert [c["scope"] for c in r["capabilities"]] == ["okta.users.read", "okta.networkZones.read", "okta.devices.read"]


def test_everything_forbidden_is_a_permission_failure(okta, factory):
    okta.get(f"{ORG}/api/v1/users/me", json=ME)
    okta.get(f"{ORG}/api/v1/users/{ME['id']}/roles", json=[])
    okta.get(re.compile(re.escape(ORG) + r"/api/v1/(?!users/).*"), status_code=403, json={"errorCode": "E0000006"})
    okta.get(f"{ORG}/api/v1/users", status_code=403, json={"errorCode": "E0000006"})
    r = connection.test_connection(base_config(), client_factory=factory)
    assert r["status"] == "failed" and r["failure_kind"] == "permission"
    assert any("no admin role" in w for w in r["warnings"])


def test_oauth_reports_service_app_scopes_and_missing_scopes(okta, factory, result_schema):
    key = rsa_key()
    okta.post(f"{ORG}/oauth2/v1/token", json=TokenEndpoint(key.public_key(), granted=["okta.users.read", "okta.roles.read"]))
    okta.get(f"{ORG}/oauth2/v1/clients/0oaSERVICEAPP123/roles", json=[{"type": "READ_ONLY_ADMIN"}])
    okta.get(re.compile(re.escape(ORG) + r"/api/v1/.*"), status_code=403,
             headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
    okta.get(f"{ORG}/api/v1/users", json=[])
    raw = oauth_config(pem(key), scopes=["okta.users.read", "okta.groups.read", "okta.roles.read"])
    r = connection.test_connection(raw, probes=connection.DEFAULT_PROBES[:3], client_factory=factory)
    result_schema.validate(r)
    assert r["status"] == "succeeded"
    assert r["identity"]["type"] == "service_app" and r["identity"]["roles"] == ["READ_ONLY_ADMIN"]
    assert r["identity"]["scopes"] == ["okta.users.read", "okta.roles.read"]
    assert caps(r) == {"users": "ok", "groups": "missing_scope", "apps": "missing_scope"}
    groups = next(c for c in r["capabilities"] if c["name"] == "groups")
    assert groups["scope"] == "okta.groups.read" and "grant okta.groups.read" in groups["detail"]
    assert any("did not grant the scopes okta.groups.read" in w for w in r["warnings"])
    assert "PRIVATE KEY" not in json.dumps(r)


def test_oauth_refused_client_fails_with_credentials(okta, factory):
    okta.post(f"{ORG}/oauth2/v1/token", status_code=401, json={"error": "invalid_client"})
    r = connection.test_connection(oauth_config(pem(rsa_key())), client_factory=factory)
    assert r["status"] == "failed" and r["failure_kind"] == "credentials" and "invalid_client" in r["message"]


def test_unexpected_exception_never_escapes(okta):
    def boom(cfg):
        raise RuntimeError("kaboom " + TOKEN)

    r = connection.test_connection(base_config(), client_factory=boom)
    assert r["status"] == "failed" and r["failure_kind"] == "internal" and TOKEN not in json.dumps(r)


def test_probe_pipeline_and_admin_role_from_resources(okta, factory):
    mock_ssws_org(okta)
    okta.get(f"{ORG}/api/v1/logStreams", status_code=403, json={"errorCode": "E0000006"})
    probes = [{"name": "org_factors", "path": "/api/v1/org/factors", "scope": "okta.orgs.read", "pipeline": "v1"},
              {"name": "log_streams", "path": "/api/v1/logStreams", "scope": "okta.logStreams.read",
               "pipeline": None, "admin_role": "SUPER_ADMIN"}]
    r = connection.test_connection(base_config(), probes=probes, client_factory=factory)
    assert caps(r) == {"org_factors": "not_available", "log_streams": "forbidden"}
    detail = r["capabilities"][1]["detail"]
    assert "SUPER_ADMIN" in detail and "okta.logStreams.read" not in detail  # an API token has no scopes to grant
    # a collection declared Super Administrator only is out of this credential's scope: said calmly (issue 16)
    assert detail.startswith("not in scope for this credential") and r["capabilities"][1]["out_of_scope"] is True
    assert any(w.startswith("not in scope for this credential (Super Administrator only): log_streams")
               for w in r.get("warnings") or []), r.get("warnings")
    assert not [h for h in okta.request_history if h.path == "/api/v1/org/factors"]


def test_with_the_connectors_own_probe_list(okta, factory):
    resources = pytest.importorskip("connector_okta.resources")
    mock_ssws_org(okta)
    r = connection.test_connection(base_config(), probes=resources.probes(), client_factory=factory)
    assert r["status"] == "succeeded"
    assert len(r["capabilities"]) == len([p for p in resources.probes() if "{" not in p["path"]])


def test_okta_down_is_transient_not_a_bad_url(okta, factory):
    okta.get(f"{ORG}/.well-known/okta-organization", status_code=503)
    r = connection.test_connection(base_config(), client_factory=factory)
    assert r["status"] == "failed" and r["failure_kind"] == "transient"


def test_admin_console_url_is_accepted_with_a_note(okta, factory):
    mock_ssws_org(okta)
    r = connection.test_connection(base_config(org_url="https://acme-admin.okta.com/admin/dashboard"), client_factory=factory)
    assert r["status"] == "succeeded" and r["org"]["url"] == ORG
    assert any("Admin Console" in w for w in r["warnings"])
