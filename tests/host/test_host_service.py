"""The service layer the CLI and the web page share: config input, validation, masking."""

from __future__ import annotations

import pytest
from connector_host.service import ConfigInputError, HostService, build_config, check_config
from cryptography.fernet import Fernet
from host_fakes import TOKEN


@pytest.fixture
def service(store, registry):
    return HostService(store, registry)


def test_form_values_with_a_clear_secret_need_a_key(service, monkeypatch, tmp_path):
    form = {"url": "https://fake.example", "auth.method": "token", "auth.token": TOKEN, "timeout": 30}
    with pytest.raises(ConfigInputError, match="never stored in clear"):
        build_config(service.connector("fake"), values=form)
    monkeypatch.setenv("CONNECTOR_HOST_SECRET_KEY", Fernet.generate_key().decode())
    config = build_config(service.connector("fake"), values=form)
    assert config["auth"]["token"]["$secret"] == "fernet" and config["timeout"] == 30
    integ, check = service.save_integration("web", "fake", config)
    assert check.problems == [] and integ.interval_minutes == 60
    view = service.integration_view("web")
    assert view["config"]["auth"]["token"] == "<secret: encrypted>" and view["last_sync"] is None
    assert service.test("web")["status"] == "succeeded"
    assert service.sync("web").status == "succeeded"
    assert service.integration_view("web")["last_sync"]["status"] == "succeeded"
    store_bytes = b"".join(f.read_bytes() for f in tmp_path.glob("store.db*"))
    assert TOKEN.encode() not in store_bytes


def test_keeping_an_existing_secret_when_the_form_leaves_it_empty(service, token_env):
    base = build_config(service.connector("fake"), raw_values={"url": "https://a.example", "auth.method": "token"},
                        secret_env={"auth.token": token_env})
    edited = build_config(service.connector("fake"), base, values={"url": "https://a.example/", "auth.token": ""})
    assert edited["auth"]["token"] == {"$secret": "env", "name": token_env} and edited["url"] == "https://a.example/"
    # a new address: the stored secret is not carried over (it must be entered again)
    with pytest.raises(ConfigInputError, match="url changed.*enter auth.token again"):
        build_config(service.connector("fake"), base, values={"url": "https://b.example", "auth.token": ""})
    edited = build_config(service.connector("fake"), base, values={"url": "https://b.example"},
                          secret_env={"auth.token": token_env})
    assert edited["auth"]["token"] == {"$secret": "env", "name": token_env} and edited["url"] == "https://b.example"


def test_check_config_refuses_clear_secrets_and_invalid_values(service):
    check = check_config(service.connector("fake"), {"url": "https://x", "auth": {"method": "token", "token": TOKEN}})
    assert check.problems and TOKEN not in str(check.problems)
    with pytest.raises(ConfigInputError, match="invalid config"):
        service.save_integration("bad", "fake", {"url": 5})


def test_connectors_listing(service):
    [c] = service.connectors()
    assert c["id"] == "fake" and c["manifest"]["name"] == "Fake" and c["config_schema"]["type"] == "object"
