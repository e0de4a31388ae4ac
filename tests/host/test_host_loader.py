"""Loading connectors: entry points, allow and block lists, broken plugins reported and not fatal."""

from __future__ import annotations

from types import SimpleNamespace

import pluggy
import pytest
from connector_host import loader
from connector_host.loader import UnknownConnector, load_connectors
from host_fakes import FakeConnector, manifest

hookimpl = pluggy.HookimplMarker("connector_host")


class FakeEP:
    def __init__(self, name, target=None, error=None):
        self.name, self.value, self.dist = name, f"tests.{name}:plugin", None
        self._target, self._error = target, error

    def load(self):
        if self._error:
            raise self._error
        return self._target


@pytest.fixture
def entry_points(monkeypatch):
    eps: list[FakeEP] = []
    monkeypatch.setattr(loader.metadata, "entry_points", lambda group: list(eps) if group == "connector_host" else [])
    return eps


def test_entry_points_loaded_and_import_error_reported(entry_points):
    entry_points += [FakeEP("alpha", FakeConnector(id="alpha")), FakeEP("broken", error=ImportError("no module x"))]
    reg = load_connectors(env={})
    assert list(reg.connectors) == ["alpha"]
    assert [(f.id, "import failed" in f.error, "no module x" in f.error) for f in reg.failures] == [("broken", True, True)]
    with pytest.raises(UnknownConnector, match="failed to load"):
        reg.get("broken")


def test_allow_and_block_lists_from_env_and_arguments(entry_points):
    entry_points += [FakeEP(n, FakeConnector(id=n)) for n in ("alpha", "beta", "gamma")]
    assert set(load_connectors(env={"CONNECTOR_HOST_CONNECTORS": "alpha,gamma"}).connectors) == {"alpha", "gamma"}
    assert set(load_connectors(env={"CONNECTOR_HOST_BLOCK_CONNECTORS": "beta"}).connectors) == {"alpha", "gamma"}
    assert set(load_connectors(env={"CONNECTOR_HOST_CONNECTORS": ""}).connectors) == set()
    assert set(load_connectors(allow=["beta"], env={"CONNECTOR_HOST_CONNECTORS": "alpha"}).connectors) == {"beta"}
    reg = load_connectors(block="alpha", env={})
    assert set(reg.connectors) == {"beta", "gamma"}
    with pytest.raises(UnknownConnector, match="not allowed"):
        reg.get("alpha")


def test_entry_points_skipped_when_asked(entry_points):
    entry_points.append(FakeEP("alpha", FakeConnector(id="alpha")))
    assert load_connectors(entry_points=False, env={}).connectors == {}
    assert load_connectors(env={"CONNECTOR_HOST_LOAD_ENTRY_POINTS": "0"}).connectors == {}
    reg = load_connectors(env={"CONNECTOR_HOST_LOAD_ENTRY_POINTS": "0"}, plugins={"fake": FakeConnector()})
    assert list(reg.connectors) == ["fake"]


class Typo(FakeConnector):
    @hookimpl
    def connector_synk(self, config):  # not a hook of the contract: check_pending() refuses it
        return []


class WrongArgs(FakeConnector):
    @hookimpl
    def connector_test_connection(self, config, password):  # an argument the spec does not have
        return {}


class BadManifest(FakeConnector):
    @hookimpl
    def connector_manifest(self):
        m = manifest("badman")
        del m["capabilities"]
        m["version"] = "one"
        return m


class OtherId(FakeConnector):
    @hookimpl
    def connector_manifest(self):
        return manifest("something-else")


class NeedsNewHost(FakeConnector):
    @hookimpl
    def connector_manifest(self):
        return manifest("future", host_version=">=9")


class Raises(FakeConnector):
    @hookimpl
    def connector_manifest(self):
        raise RuntimeError("kaboom")


def test_broken_plugins_are_reported_not_fatal():
    plugins = {
        "typo": Typo(id="typo"), "wrongargs": WrongArgs(id="wrongargs"), "badman": BadManifest(),
        "other": OtherId(), "future": NeedsNewHost(), "raises": Raises(), "missing": SimpleNamespace(),
        "good": FakeConnector(id="good"),
    }
    reg = load_connectors(entry_points=False, plugins=plugins, env={})
    assert list(reg.connectors) == ["good"]
    errors = {f.id: f.error for f in reg.failures}
    assert set(errors) == set(plugins) - {"good"}
    assert "connector_synk" in errors["typo"]
    assert "password" in errors["wrongargs"]
    assert "capabilities" in errors["badman"] and "version" in errors["badman"]
    assert "differs from the entry-point name" in errors["other"]
    assert "needs connector-host >=9" in errors["future"]
    assert "kaboom" in errors["raises"]
    assert "does not implement connector_manifest" in errors["missing"]


def test_duplicate_id_reported():
    reg = load_connectors(entry_points=False, plugins={"fake": FakeConnector()}, env={})
    assert reg.register("fake", FakeConnector()) is None
    assert "already uses the id" in reg.failures[0].error


def test_okta_connector_loads_through_its_entry_point():
    pytest.importorskip("connector_okta.plugin")
    reg = load_connectors(allow=["okta"], env={})
    assert "okta" in reg.connectors, reg.failures
    assert reg.get("okta").manifest()["id"] == "okta"
