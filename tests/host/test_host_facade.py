"""The typed facade: one manager per connector, keyword calls, exceptions turned into results."""

from __future__ import annotations

import pytest
from connector_host.facade import Connector, SyncContext
from host_fakes import TOKEN, FakeConnector


@pytest.fixture
def conn() -> Connector:
    return Connector.from_plugin("fake", FakeConnector())


def test_each_connector_has_its_own_manager():
    a, b = Connector.from_plugin("a", FakeConnector(id="a")), Connector.from_plugin("b", FakeConnector(id="b"))
    assert a.manifest()["id"] == "a" and b.manifest()["id"] == "b"


def test_manifest_is_a_copy(conn):
    conn.manifest()["name"] = "changed"
    assert conn.manifest()["name"] == "Fake"
    assert conn.manifest_errors() == []


def test_secret_paths_follow_oneof_and_refs(conn):
    assert sorted(conn.secret_paths()) == [("auth", "private_key"), ("auth", "token")]


def test_validate_config_never_shows_the_secret(conn):
    bad = {"url": "ftp://x", "auth": {"method": "token", "token": "short"}}
    problems = conn.validate_config(bad)
    assert problems and any(p.startswith("url") for p in problems)
    good = {"url": "https://x", "auth": {"method": "token", "token": TOKEN}, "timeout": 5}
    assert conn.validate_config(good) == []
    problems = conn.validate_config({"url": "https://x", "auth": {"method": "token", "token": "a-short-secret"}, "timeout": "x"})
    assert problems and all("a-short-secret" not in p for p in problems)


def test_test_connection_redacts_and_survives_exceptions(conn):
    result = conn.test_connection({"url": "https://x", "auth": {"method": "token", "token": "wrong-token-value"}})
    assert result["status"] == "failed" and result["failure_kind"] == "credentials"
    assert "wrong-token-value" not in str(result) and "[redacted]" in result["message"]

    class Exploding(FakeConnector):
        from host_fakes import hookimpl

        @hookimpl
        def connector_test_connection(self, config):
            raise ValueError(f"bad {config['auth']['token']}")

    boom = Connector.from_plugin("boom", Exploding(id="boom"))
    result = boom.test_connection({"auth": {"token": TOKEN}})
    assert result["status"] == "failed" and result["failure_kind"] == "internal"
    assert TOKEN not in str(result) and "ValueError" in result["message"]


def test_sync_and_normalizers(conn):
    msgs = list(conn.sync({"auth": {"token": TOKEN}}, None, SyncContext()))
    assert msgs[-1]["type"] == "SYNC_STATUS"
    user = next(m["record"] for m in msgs if m["type"] == "RECORD" and m["record"]["stream"] == "users")
    assert conn.normalize_asset(user)["user"]["uid"] == "u1"
    rel = next(m["record"] for m in msgs if m["type"] == "RECORD" and m["record"]["kind"] == "relationship")
    assert conn.normalize_asset(rel) is None
    assert [c["id"] for c in conn.checks()] == ["mfa", "session"]


def test_optional_checks_hook_absent():
    class NoChecks(FakeConnector):
        connector_checks = None

    c = Connector.from_plugin("nochecks", NoChecks(id="nochecks"))
    assert c.checks() is None and not c.implements("connector_checks")


def test_context_supports_item_access():
    ctx = SyncContext(budget={"max_seconds": 5})
    assert ctx["budget"] == {"max_seconds": 5} and ctx.get("sync_mode") == "full" and not ctx.cancelled()
