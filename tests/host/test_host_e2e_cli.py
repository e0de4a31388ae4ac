"""The whole flow through the CLI against a sandbox org over HTTP: add, test, sync, posture change, sync again,
history, new and resolved findings, gone assets; and `connector-host demo`."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("okta_sandbox.server")
pytest.importorskip("okta_sandbox.generator")
pytest.importorskip("connector_okta.plugin")

from connector_host import cli  # noqa: E402


@pytest.fixture
def host(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(tmp_path / "e2e.db"))
    monkeypatch.setenv("CONNECTOR_HOST_CONNECTORS", "okta")
    transcript: list[str] = []

    def invoke(*argv: str) -> tuple[int, object]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["-vv", *argv], stdout=out, stderr=err)  # DEBUG logs land in the transcript too
        transcript.extend([out.getvalue(), err.getvalue()])
        text = out.getvalue()
        return code, (json.loads(text) if "--json" in argv and text.strip() else text)

    invoke.transcript = transcript
    return invoke


def test_whole_flow_through_the_cli(host, sandbox, monkeypatch, tmp_path):
    sb = sandbox("weak", users=60, rate_limits=None)  # throttling is not what this test is about
    monkeypatch.setenv("E2E_OKTA_TOKEN", sb.token)

    code, added = host("add", "acme", "--connector", "okta", "--set", f"org_url={sb.url}",
                       "--set", "auth.method=api_token", "--secret-env", "auth.token=E2E_OKTA_TOKEN",
                       "--set", "allow_insecure_http_loopback=true", "--interval", "60", "--json")
    assert code == 0, host.transcript
    assert added["config"]["auth"]["token"] == "<secret: from env $E2E_OKTA_TOKEN>"

    code, result = host("test", "acme", "--json")
    assert code == 0 and result["status"] == "succeeded", result
    # the read-only admin cannot read a few collections (admin roles, API tokens): Test Connection says which
    assert any(c["status"] != "ok" for c in result["capabilities"])

    # a super admin reads everything, so syncs are complete and snapshots apply
    super_token = next(t for t, g in sb.org.tokens.items()
                       if any(r.get("type") == "SUPER_ADMIN" for r in sb.org.user_roles.get(g.user_id, [])))
    monkeypatch.setenv("E2E_OKTA_TOKEN", super_token)
    code, first = host("sync", "acme", "--json")
    assert code == 0 and first["status"] == "succeeded", first["errors"]
    assert first["assets_seen"] > 60 and first["findings_seen"] > 0 and first["findings_new"] > 0
    assert first["api_requests"] > 0 and first["counts"]["users"]["records"] == 60
    code, second = host("sync", "acme", "--json")
    assert code == 0 and (second["findings_new"], second["findings_resolved"], second["assets_gone"]) == (0, 0, 0)

    code, before = host("findings", "acme", "--check", "okta-threatinsight-mode", "--json")
    threat = [f for f in before["items"] if f["compliance_status"] in ("fail", "warning")]
    assert threat, before  # the weak org does not block: a failing finding to resolve
    # posture change: ThreatInsight now blocks; a password policy is deleted; a new IdP auto-links accounts
    org = sb.org
    org.threat_insight["action"] = "block"
    removed = org.policies["PASSWORD"].pop(0)
    org.policy_rules.pop(removed["id"], None)
    idp = copy.deepcopy(org.idps[0])
    idp["id"], idp["name"] = "0oa000000000000NEWIDP", "Shadow IdP"
    org.idps.append(idp)

    code, third = host("sync", "acme", "--json")
    assert code == 0 and third["status"] == "succeeded", third["errors"]
    assert third["assets_gone"] >= 1 and third["findings_resolved"] >= 1 and third["findings_new"] >= 1

    code, history = host("history", "acme", "--json")
    assert [h["id"] for h in history] == [third["id"], second["id"], first["id"]]
    code, text = host("history", "acme")
    assert code == 0 and "succeeded" in text

    code, gone = host("assets", "acme", "--gone", "--json")
    assert removed["id"] in {a["uid"] for a in gone["items"]}
    code, shadow = host("assets", "acme", "--search", "Shadow IdP", "--json")
    assert shadow["total"] == 1
    code, detail = host("asset", "0oa000000000000NEWIDP", "--json")
    assert code == 0 and detail["findings"], detail

    code, new = host("findings", "acme", "--new", "--json")
    assert any(f["resource"]["uid"] == "0oa000000000000NEWIDP" for f in new["items"])
    code, resolved = host("findings", "acme", "--resolved", "--json")
    resolved_resources = {f["resource"]["uid"] for f in resolved["items"]}
    assert removed["id"] in resolved_resources
    assert {f["uid"] for f in threat} <= {f["uid"] for f in resolved["items"]}
    code, now = host("findings", "acme", "--check", "okta-threatinsight-mode", "--status", "pass", "--json")
    assert {f["uid"] for f in threat} <= {f["uid"] for f in now["items"]}
    code, one = host("finding", str(new["items"][0]["id"]), "--json")
    assert code == 0 and one["finding"]["class_uid"] == 2003 and one["first_seen"] == one["last_seen"]

    assert any("DEBUG" in text for text in host.transcript)
    for text in host.transcript:
        assert sb.token not in text and super_token not in text
    for f in tmp_path.glob("e2e.db*"):
        data = f.read_bytes()
        assert sb.token.encode() not in data and super_token.encode() not in data


def test_demo_command_runs_end_to_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_HOST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "connector_host.cli", "demo", "--users", "40"],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for part in ("Test Connection: succeeded", "History", "Findings failing:", "Top ", "Assets:"):
        assert part in out, out
    assert proc.stderr == ""  # not a terminal: no progress display
