"""The sync against a misbehaving sandbox: 403s, missing features, revoked tokens, 5xx storms."""

from __future__ import annotations

import json

import pytest

from connector_okta import plugin

pytest.importorskip("okta_sandbox.generator")
from okta_sandbox.faults import Fault  # noqa: E402


def super_admin_config(sb, sandbox_config):
    supers = [t.token for t in sb.org.tokens.values()
              if any(r.get("type") == "SUPER_ADMIN" for r in sb.org.user_roles.get(t.user_id, []))]
    cfg = sandbox_config(sb)
    cfg["auth"] = {"method": "api_token", "token": supers[0]}
    return cfg


def of(msgs, kind):
    return [m[m["type"].lower()] for m in msgs if m["type"] == kind]


def finals(msgs):
    return {s["stream"]: s for s in of(msgs, "STREAM_STATUS") if s["status"] != "STARTED"}


def run(sb, sandbox_config, state=None):
    msgs = list(plugin.connector_sync(config=super_admin_config(sb, sandbox_config), state=state, context=None))
    assert msgs[-1]["type"] == "SYNC_STATUS" and len(of(msgs, "SYNC_STATUS")) == 1
    return msgs


def test_forbidden_collection_is_skipped_and_its_checks_are_unknown(sandbox, sandbox_config):
    sb = sandbox("default", users=30, rate_limits=None, faults=[Fault("forbidden", "/api/v1/zones", count=None)])
    msgs = run(sb, sandbox_config)
    z = finals(msgs)["zones"]
    assert z["status"] == "SKIPPED" and z["error_kind"] == "permission"
    assert of(msgs, "SYNC_STATUS")[0]["status"] == "partial"
    zone_checks = {c["id"] for c in plugin.connector_checks() if "zones" in (c.get("collections") or [])}
    judged = [r["data"] for r in of(msgs, "RECORD") if r["kind"] == "check_result" and r["data"]["check_id"] in zone_checks]
    assert judged and all(r["status"] == "unknown" for r in judged)


def test_missing_feature_is_not_partial(sandbox, sandbox_config):
    sb = sandbox("default", users=30, rate_limits=None, faults=[Fault("feature", "/api/v1/behaviors", count=None)])
    msgs = run(sb, sandbox_config)
    b = finals(msgs)["behaviors"]
    assert b["status"] == "SKIPPED" and b["error_kind"] == "feature"
    assert of(msgs, "SYNC_STATUS")[0]["status"] == "succeeded"


def test_token_revoked_mid_sync(sandbox, sandbox_config):
    sb = sandbox("default", users=30, rate_limits=None, faults=[Fault("revoke", "*", after=12)])
    msgs = run(sb, sandbox_config)
    errs = [e for e in of(msgs, "ERROR") if e["fatal"]]
    assert errs and errs[0]["kind"] == "credentials"
    assert "token" in errs[0]["message"].lower()
    st = of(msgs, "SYNC_STATUS")[0]
    assert st["status"] in ("partial", "failed")
    assert not [r for r in of(msgs, "RECORD") if r["kind"] == "check_result"]
    assert finals(msgs)["users"]["status"] == "SKIPPED"
    state = of(msgs, "STATE")[0]
    assert state["needs_full"] is True
    assert sb.token not in json.dumps(msgs)


def test_transient_errors_are_retried(sandbox, sandbox_config):
    sb = sandbox("default", users=30, rate_limits=None,
                 faults=[Fault("error", "/api/v1/users", after=0, count=2, status=503)])
    msgs = run(sb, sandbox_config)
    assert of(msgs, "SYNC_STATUS")[0]["status"] == "succeeded"
    assert finals(msgs)["users"]["count"] == len(sb.org.users)
    assert of(msgs, "STATS")[0]["retries"] >= 2
