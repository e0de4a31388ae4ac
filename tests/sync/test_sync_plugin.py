"""The plugin's hooks: registered against the host's specs, manifest valid, sync and test never raise."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pluggy
import pytest

from connector_okta import plugin
from connector_okta.resources import NAMES, SCOPES

HOST_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture
def pm():
    hookspecs = pytest.importorskip("connector_host.hookspecs")
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(plugin, name="okta")
    manager.check_pending()
    return manager


def test_connector_does_not_import_the_host():
    src = Path(plugin.__file__).parent
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import connector_host" not in text and "from connector_host" not in text, path


def test_manifest(pm):
    manifest = pm.hook.connector_manifest()
    assert manifest["id"] == "okta"
    assert manifest["capabilities"]["sync_modes"] == ["full", "incremental"]
    assert manifest["capabilities"]["asset_classes"] == [5001, 5003, 5023]
    assert manifest["capabilities"]["finding_classes"] == [2003]
    assert set(manifest["capabilities"]["streams"]) == set(NAMES) | {"check_results"}
    assert set(manifest["permissions"]["scopes"]) == set(SCOPES)
    assert manifest["permissions"]["roles"][0] == "READ_ONLY_ADMIN"
    assert manifest["sync"] == {"default_interval_minutes": 1440, "minimum_interval_minutes": 15}
    assert manifest["schema"] == {"name": "ocsf", "version": "1.6.0"}
    pkg = resources.files("connector_okta")
    assert pkg.joinpath(manifest["icon"]).read_text(encoding="utf-8").lstrip().startswith("<svg")
    assert pkg.joinpath(manifest["config_schema"]).is_file()
    manifest["id"] = "changed"
    assert pm.hook.connector_manifest()["id"] == "okta"  # callers get a copy


def test_manifest_validates_against_the_host_schema():
    jsonschema = pytest.importorskip("jsonschema")
    path = HOST_SCHEMAS / "manifest.schema.json"
    if not path.exists():
        pytest.skip("host manifest schema not there yet")
    jsonschema.Draft202012Validator(json.loads(path.read_text()),
                                    format_checker=jsonschema.FormatChecker()).validate(plugin.connector_manifest())


def test_config_schema(pm):
    schema = pm.hook.connector_config_schema()
    assert schema["type"] == "object"


def test_sync_with_bad_config_fails_before_any_request(pm, monkeypatch):
    import connector_okta.sync.run as sync_mod  # run_sync looks _default_client up there

    def no_client(config):
        raise AssertionError("no client may be built for an invalid config")

    monkeypatch.setattr(sync_mod, "_default_client", no_client)
    msgs = list(pm.hook.connector_sync(config={"org_url": "not a url"}, state=None, context=None))
    assert [m["type"] for m in msgs] == ["ERROR", "SYNC_STATUS"]
    assert msgs[0]["error"]["kind"] == "config" and msgs[0]["error"]["fatal"] is True
    assert msgs[1]["sync_status"]["status"] == "failed"


def test_sync_crash_is_wrapped(pm, monkeypatch):
    import connector_okta.sync.run as sync_mod  # run_sync looks _default_client up there

    def boom(config):
        raise RuntimeError("kaboom SSWS 00secretsecretsecret00")

    monkeypatch.setattr(sync_mod, "_default_client", boom)
    cfg = {"org_url": "https://acme.okta.com", "auth": {"method": "api_token", "token": "00secretsecretsecret00"}}
    msgs = list(pm.hook.connector_sync(config=cfg, state=None, context=None))
    assert msgs[-1]["sync_status"]["status"] == "failed"
    assert msgs[-2]["error"]["kind"] == "internal"
    assert "00secretsecretsecret00" not in json.dumps(msgs)


def test_test_connection_never_raises(pm, monkeypatch):
    import connector_okta.connection as connection

    seen = {}

    def fake(raw, probes=None):
        seen["probes"] = probes
        raise RuntimeError("bug")

    monkeypatch.setattr(connection, "test_connection", fake)
    out = pm.hook.connector_test_connection(config={"org_url": "https://acme.okta.com"})
    assert out["status"] == "failed" and out["failure_kind"] == "internal"
    assert {p["name"] for p in seen["probes"]} >= {"users", "policies", "admin_users"}


def test_test_connection_bad_config(pm):
    out = pm.hook.connector_test_connection(config={})
    assert out["status"] == "failed" and out["failure_kind"] == "config"


def test_normalize_hooks(pm):
    org = {"uid": "00o1", "name": "acme.okta.com"}
    rel = {"stream": "group_members", "kind": "relationship", "org": org, "emitted_at": 1,
           "data": {"relation": "member_of", "from": {"type": "user", "uid": "00u1"},
                    "to": {"type": "group", "uid": "00g1"}}}
    assert pm.hook.connector_normalize_asset(record=rel) is None
    user = {"stream": "users", "kind": "asset", "org": org, "emitted_at": 1,
            "data": {"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@acme.example"}}}
    assert pm.hook.connector_normalize_asset(record=user)["class_uid"] == 5003


def test_checks_hook(pm):
    catalog = pm.hook.connector_checks()
    assert isinstance(catalog, list) and catalog
    assert all("id" in c for c in catalog)
