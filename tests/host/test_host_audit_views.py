"""Gaps found by the audit of issues 4/7/10: the findings view shows first and last seen in text too."""

from __future__ import annotations

import io
import json

from connector_host import cli


def invoke(registry, *argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), registry=registry, stdout=out, stderr=err)
    return code, out.getvalue()


def test_findings_table_shows_first_and_last_seen(registry, token_env, fake_org, tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTOR_HOST_STORE", str(tmp_path / "views.db"))
    code, _ = invoke(registry, "add", "acme", "--connector", "fake", "--set", "url=https://fake.example",
                     "--set", "auth.method=token", "--secret-env", f"auth.token={token_env}")
    assert code == 0
    assert invoke(registry, "sync", "acme")[0] == 0
    fake_org.checks[("mfa", "u1")] = "pass"
    assert invoke(registry, "sync", "acme")[0] == 0

    code, text = invoke(registry, "findings", "--resolved")
    assert code == 0
    header, row = text.splitlines()[:2]
    assert header.split()[-4:] == ["FIRST", "SEEN", "LAST", "SEEN"]
    code, one = invoke(registry, "finding", "mfa:u1", "--json")
    f = json.loads(one)
    assert row.split()[-4:] == [*cli.ts(f["first_seen"]).split(), *cli.ts(f["last_seen"]).split()]
