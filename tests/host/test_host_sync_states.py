"""Sync states that tell the truth (issue 16), through the CLI against a sandbox org over HTTP with the
sandbox's Read-Only Administrator token: the Super-Administrator-only collections are not in scope for this
credential (the sync succeeds, exit 0, no errors, its snapshot applied to what was read: assets gone, findings
resolved); ``sync --mode full`` runs a full sync; an incremental sync's counts say changed / unchanged."""

from __future__ import annotations

import io
import json

import pytest

pytest.importorskip("okta_sandbox.server")
pytest.importorskip("connector_okta.plugin")

from connector_host import cli  # noqa: E402

OUT_OF_SCOPE = {"admin_users", "user_roles", "user_factors", "group_roles", "api_tokens", "org_support", "log_streams"}


@pytest.fixture
def host(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(tmp_path / "states.db"))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")

    def invoke(*argv: str) -> tuple[int, object]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(list(argv), stdout=out, stderr=err)
        text = out.getvalue()
        return code, (json.loads(text) if "--json" in argv and text.strip() else text)

    return invoke


def test_least_privilege_succeeds_and_applies_its_snapshot(host, sandbox, monkeypatch):
    sb = sandbox("weak", users=60, rate_limits=None)
    monkeypatch.setenv("STATES_OKTA_TOKEN", sb.token)  # a Read-Only Administrator's
    code, _ = host("add", "acme", "--connector", "okta", "--set", f"org_url={sb.url}",
                   "--set", "auth.method=api_token", "--secret-env", "auth.token=STATES_OKTA_TOKEN",
                   "--set", "allow_insecure_http_loopback=true", "--interval", "60")
    assert code == 0

    code, first = host("sync", "acme", "--json")
    assert code == 0 and first["status"] == "succeeded", (first["message"], first["errors"])
    assert first["errors"] == [] and "not in scope for this credential" in first["message"]
    scoped = {s for s, c in first["counts"].items() if c.get("error_kind") == "out_of_scope"}
    assert scoped == OUT_OF_SCOPE, first["counts"]
    code, text = host("history", "acme", "--details")
    assert code == 0 and "not in scope for this credential: " + ", ".join(sorted(OUT_OF_SCOPE)) in text
    assert "api_tokens (not in scope for this credential)" in text
    code, unknown = host("findings", "acme", "--check", "okta-api-token-stale", "--status", "unknown", "--json")
    assert unknown["items"] and all(f["result"] == "not evaluated" for f in unknown["items"]), unknown

    code, before = host("findings", "acme", "--check", "okta-threatinsight-mode", "--json")
    assert [f for f in before["items"] if f["compliance_status"] in ("fail", "warning")], before
    # posture change: ThreatInsight now blocks (a finding to resolve); a password policy is deleted (a gone asset)
    org = sb.org
    org.threat_insight["action"] = "block"
    removed = org.policies["PASSWORD"].pop(0)
    org.policy_rules.pop(removed["id"], None)

    code, second = host("sync", "acme", "--mode", "full", "--json")
    assert code == 0 and second["status"] == "succeeded" and second["sync_mode"] == "full", second["message"]
    assert second["assets_gone"] >= 1 and second["findings_resolved"] >= 1, second
    code, after = host("findings", "acme", "--check", "okta-threatinsight-mode", "--json")
    assert not [f for f in after["items"] if f["compliance_status"] in ("fail", "warning")], after


def test_the_requested_full_sync_runs_and_incremental_counts_say_changed(host, sandbox, monkeypatch):
    sb = sandbox("default", users=40, rate_limits=None)
    monkeypatch.setenv("STATES_OKTA_TOKEN", sb.token)
    host("add", "acme", "--connector", "okta", "--set", f"org_url={sb.url}", "--set", "auth.method=api_token",
         "--secret-env", "auth.token=STATES_OKTA_TOKEN", "--set", "allow_insecure_http_loopback=true")
    code, first = host("sync", "acme", "--json")
    assert code == 0 and first["sync_mode"] == "full"
    code, second = host("sync", "acme", "--json")  # no --mode: the connector may re-sync incrementally
    assert code == 0 and second["sync_mode"] == "incremental", second["message"]
    assert second["assets_gone"] == 0
    assert second["counts"]["users"].get("changed_only") is True
    code, third = host("sync", "acme", "--mode", "full", "--json")  # the host's request wins
    assert code == 0 and third["sync_mode"] == "full" and "changed_only" not in third["counts"]["users"]
    assert third["assets_seen"] == first["assets_seen"]
    code, text = host("history", "acme", "--details")
    rows = [line.split() for line in text.splitlines() if line[:1].isdigit()]  # SYNC, NAME, date, time, TOOK, ...
    assert [r[6] for r in rows[:3]] == ["full", "incremental", "full"], text  # newest first
    assert rows[1][9] == "changed" or rows[1][8] == "unchanged", rows[1]
    assert "users unchanged" in text and "org_factors 0 (SKIPPED)" in text
