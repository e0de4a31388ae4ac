"""Every CLI command, in process, with --json and the documented exit codes; secrets never in the output."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from connector_host import cli
from cryptography.fernet import Fernet
from host_fakes import TOKEN


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture
def run(registry, tmp_path, monkeypatch, store_url):
    monkeypatch.setenv("CONNECTOR_HOST_STORE", store_url)
    transcript: list[str] = []

    def invoke(*argv: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(list(argv), registry=registry, stdout=out, stderr=err)
        transcript.extend([out.getvalue(), err.getvalue()])
        return Result(code, out.getvalue(), err.getvalue())

    invoke.transcript = transcript
    yield invoke
    for text in transcript:  # whatever a test did, the token never reached the output
        assert TOKEN not in text


@pytest.fixture
def added(run, token_env):
    r = run("add", "acme", "--connector", "fake", "--set", "url=https://fake.example", "--set", "auth.method=token",
            "--secret-env", f"auth.token={token_env}", "--json")
    assert r.code == 0, r.err
    return r


def test_help_documents_exit_codes(run):
    r = run("--help")
    assert r.code == 0
    r2 = run("nosuchcommand")
    assert r2.code == 2


def test_help_text_has_exit_codes(capsys):
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "exit codes:" in text and "3    the sync was partial" in text


def test_connectors_and_checks(run):
    r = run("connectors", "--json")
    assert r.code == 0 and [c["id"] for c in r.json["connectors"]] == ["fake"] and r.json["failures"] == []
    assert "fake" in run("connectors").out
    r = run("checks", "fake", "--json")
    assert r.code == 0 and [c["id"] for c in r.json] == ["mfa", "session"]
    assert "2 checks" in run("checks", "fake").out
    assert run("checks", "nope").code == 2


def test_add_validates_and_never_stores_clear_secrets(run, token_env, monkeypatch, store_url, added):
    assert added.json["config"]["auth"]["token"] == f"<secret: from env ${token_env}>"
    assert added.json["interval_minutes"] == 60
    # a secret given with --set needs an encryption key
    r = run("add", "b", "--connector", "fake", "--set", "url=https://x", "--set", "auth.method=token",
            "--set", f"auth.token={TOKEN}")
    assert r.code == 2 and "never stored in clear" in r.err
    monkeypatch.setenv("CONNECTOR_HOST_SECRET_KEY", Fernet.generate_key().decode())
    r = run("add", "b", "--connector", "fake", "--set", "url=https://x", "--set", "auth.method=token",
            "--set", f"auth.token={TOKEN}", "--json")
    assert r.code == 0 and r.json["config"]["auth"]["token"] == "<secret: encrypted>"
    assert run("test", "b").code == 0
    # validation against the connector's schema
    r = run("add", "c", "--connector", "fake", "--set", "url=ftp://x", "--set", "auth.method=token",
            "--secret-env", "auth.token=FAKE_TOKEN")
    assert r.code == 2 and "invalid config" in r.err and "url" in r.err
    assert run("add", "acme", "--connector", "fake", "--set", "url=https://x").code == 2  # duplicate
    assert run("add", "d", "--connector", "nope").code == 2
    r = run("add", "e", "--connector", "fake", "--set", "url=https://x", "--set", "auth.method=token",
            "--secret-env", "url=X")
    assert r.code == 2 and "not a secret field" in r.err
    r = run("add", "f", "--connector", "fake", "--set", "url=https://x", "--set", "auth.method=token",
            "--secret-env", "auth.token=UNSET_VAR_XYZ", "--json")
    assert r.code == 0 and "UNSET_VAR_XYZ is not set" in r.err  # warned, stored, fails at use
    assert run("test", "f").code == 2
    assert run("add", "g", "--connector", "fake", "--set", "url=https://x", "--set", "auth.method=token",
               "--secret-env", "auth.token=FAKE_TOKEN", "--interval", "1").code == 2  # below the minimum
    if store_url.startswith("postgresql"):
        from connector_host.store import Store

        with Store(store_url) as store:
            rows = store._q("SELECT * FROM integrations")
            assert len(rows) >= 3 and TOKEN not in str([tuple(r) for r in rows])
    else:
        files = list(Path(store_url).parent.glob(Path(store_url).name + "*"))
        assert files and all(TOKEN.encode() not in f.read_bytes() for f in files)


def test_secret_file(run, tmp_path):
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")
    r = run("add", "filed", "--connector", "fake", "--set", "url=https://x", "--set", "auth.method=token",
            "--secret-file", f"auth.token={secret}", "--json")
    assert r.code == 0 and r.json["config"]["auth"]["token"].startswith("<secret: from file")
    assert run("test", "filed", "--json").json["status"] == "succeeded"


def test_edit_and_list(run, added):
    r = run("edit", "acme", "--set", "timeout=5", "--set", "skip=a,b", "--set", "verbose=true", "--interval", "0",
            "--json")
    assert r.code == 0, r.err
    assert r.json["config"]["timeout"] == 5 and r.json["config"]["skip"] == ["a", "b"] and r.json["config"]["verbose"] is True
    assert r.json["interval_minutes"] is None
    assert run("edit", "acme", "--set", "timeout=zero").code == 2
    r = run("edit", "acme", "--rename", "acme2", "--disable", "--unset", "timeout", "--json")
    assert r.code == 0 and r.json["name"] == "acme2" and r.json["enabled"] is False and "timeout" not in r.json["config"]
    r = run("list", "--json")
    assert r.code == 0 and [i["name"] for i in r.json] == ["acme2"] and r.json[0]["last_sync"] is None
    assert "acme2" in run("list").out
    assert run("edit", "nope").code == 5


def test_test_command_exit_codes(run, added, monkeypatch):
    r = run("test", "acme", "--json")
    assert r.code == 0 and r.json["status"] == "succeeded"
    assert "Test Connection: succeeded" in run("test", "acme").out
    monkeypatch.setenv("FAKE_TOKEN", "a-wrong-token-value")
    r = run("test", "acme", "--json")
    assert r.code == 1 and r.json["failure_kind"] == "credentials" and "a-wrong-token-value" not in r.out
    monkeypatch.delenv("FAKE_TOKEN")
    assert run("test", "acme").code == 2
    assert run("test", "nope").code == 5


def test_sync_views_and_exit_codes(run, added, fake_org):
    r = run("sync", "acme", "--json")
    assert r.code == 0 and r.json["status"] == "succeeded" and r.json["findings_new"] == 2
    assert r.err == ""  # no progress display when stderr is not a terminal
    fake_org.checks[("mfa", "u1")] = "pass"
    del fake_org.users["u3"]
    r = run("sync", "acme")
    assert r.code == 0 and "succeeded" in r.out
    h = run("history", "acme", "--json")
    assert h.code == 0 and [s["status"] for s in h.json] == ["succeeded", "succeeded"]
    assert h.json[0]["findings_resolved"] == 1 and h.json[0]["assets_gone"] == 1
    assert "RESOLVED" in run("history", "--details").out

    f = run("findings", "acme", "--status", "active", "--json")  # every active result, passes included
    assert f.code == 0 and f.json["total"] == 3
    open_ = run("findings", "acme", "--json")  # the default: what needs attention, never a pass
    assert open_.json["view"] == "open" and {x["compliance_status"] for x in open_.json["items"]} <= {
        "fail", "warning", "unknown", "manual"} and open_.json["total"] < 3
    assert run("findings", "--view", "passed", "--json").json["total"] == 3 - open_.json["total"]
    assert [x["uid"] for x in run("findings", "--resolved", "--json").json["items"]] == ["mfa:u1"]
    assert run("findings", "--new", "--json").json["total"] == 0
    assert run("findings", "--severity", "medium", "--json").json["items"][0]["check_id"] == "session"
    assert run("findings", "--status", "warning", "--check", "session", "--standard", "V-session", "--json").json["total"] == 1
    assert run("findings", "--severity", "enormous").code == 2
    assert "3 findings" in run("findings", "--status", "active").out
    fid = f.json["items"][0]["id"]
    one = run("finding", str(fid), "--json")
    assert one.code == 0 and one.json["finding"]["class_uid"] == 2003
    assert "resource:" in run("finding", "mfa:u1").out
    assert run("finding", "99999").code == 5

    a = run("assets", "acme", "--json")
    assert a.code == 0 and a.json["total"] == 4 and a.json["counts_by_type"] == {"group": 2, "user": 2}
    assert run("assets", "--type", "group", "--search", "adm", "--json").json["total"] == 1
    gone = run("assets", "--gone", "--json").json["items"]
    assert [x["uid"] for x in gone] == ["u3"]
    detail = run("asset", "u1", "--json")
    assert detail.code == 0 and detail.json["relationships"][0]["relation"] == "member_of"
    assert "member_of" in run("asset", "u1").out
    assert run("asset", "zzz").code == 5

    fake_org.incomplete = {"users"}
    assert run("sync", "acme").code == 3
    fake_org.incomplete = set()
    fake_org.status = "failed"
    assert run("sync", "acme", "--json").code == 1


def test_sync_busy_exit_code(run, added, fake_org):
    fake_org.block = threading.Event()
    t = threading.Thread(target=run, args=("sync", "acme"))
    t.start()
    assert fake_org.started.wait(5)
    r = run("sync", "acme")
    fake_org.block.set()
    t.join(10)
    assert r.code == 4 and "running" in r.err


def test_sync_missing_secret_is_config_error(run, added, monkeypatch):
    monkeypatch.delenv("FAKE_TOKEN")
    r = run("sync", "acme", "--json")
    assert r.code == 2 and r.json["status"] == "failed"


def test_schedule_once(run, added):
    r = run("schedule", "run", "--once", "--json")
    assert r.code == 0 and [s["trigger"] for s in r.json["syncs"]] == ["first"]
    r = run("schedule", "run", "--once")
    assert r.code == 0 and "nothing due" in r.out


def test_remove_and_secret_key(run, added):
    assert run("remove", "acme", "--json").json == {"removed": "acme"}
    key = run("secret-key").out.strip()
    Fernet(key.encode())


def test_progress_display_only_on_a_terminal():
    from connector_host.runner import ProgressEvent

    buf = io.StringIO()
    cli.ProgressDisplay(buf)(ProgressEvent("acme", 1, "users", {"users": 10}, 3, 1.5, None, "stream"))
    assert buf.getvalue() == ""
    cli.ProgressDisplay(buf, enabled=True)(ProgressEvent("acme", 1, "users", {"users": 10}, 3, 1.5, None, "progress"))
    assert "users 10" in buf.getvalue() and "rate-limit wait 1.5s" in buf.getvalue()


@pytest.mark.parametrize("store_backend", ["sqlite"], indirect=True)  # a key file next to a store file
def test_store_key_file_is_the_default_encryption_key(run, store_url):
    Path(f"{store_url}.key").write_text(Fernet.generate_key().decode() + "\n")  # as `serve` creates it
    r = run("add", "keyed", "--connector", "fake", "--set", "url=https://x", "--set", "auth.method=token",
            "--set", f"auth.token={TOKEN}", "--json")
    assert r.code == 0, r.err
    assert r.json["config"]["auth"]["token"] == "<secret: encrypted>"
    assert run("test", "keyed").code == 0
