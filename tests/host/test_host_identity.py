"""Never a lost object: the host refuses two different records with one asset uid in a sync, rather than let the
later silently overwrite the earlier; the same record twice is stored once. And the Okta connector gives every
object a uid of its own, even where Okta shares ids across parents (role assignments: docs/schema.md)."""

from __future__ import annotations

import collections
import copy
import json
from typing import Any

from connector_host.loader import load_connectors
from connector_host.runner import Runner, UidLedger
from connector_host.store import Store
from okta_sandbox.generator import generate, token_for_role
from okta_sandbox.ids import standard_role_id
from okta_sandbox.scenarios import load_scenario
from replay_server import TOKEN, ReplayServer, load_fixture

import connector_okta.identity

NOW = 1764345600000
ORG = {"uid": "o1", "name": "fake.example"}


def _record(stream: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": stream, "kind": "asset", "org": ORG, "data": data,
                                         "emitted_at": NOW + 5, **extra}}


def _uid_errors(sync) -> list[dict[str, Any]]:
    return [e for e in sync.errors if "two different records have the asset uid" in e["message"]]


# ------------------------------------------------------------------------------------------ the host's refusal


def test_two_different_records_with_one_uid_are_refused_naming_both(runner, store, fake_org, integration):
    integration()
    # a second "g1" (the fake connector's group Admins) read under another parent, with other content
    fake_org.extra_messages = [_record("groups", {"id": "g1", "name": "Impostor"}, parent={"type": "app", "uid": "a9"})]
    r = runner.sync("acme")
    assert r.status == "partial"
    assert "1 records refused in groups: their uid belonged to a different record" in r.message
    (err,) = _uid_errors(r)
    assert err["stream"] == "groups" and err["uid"] == "g1" and err["kind"] == "internal"
    assert err["records"] == ["groups record 'g1'", "groups record 'g1' under app 'a9'"]
    assert "groups record 'g1' and groups record 'g1' under app 'a9'" in err["message"]
    # the first record is kept, never overwritten; a partial sync marks nothing gone
    assert store.asset("g1")["name"] == "Admins"
    assert r.assets_seen == 5 and r.assets_gone == 0


def test_the_same_record_twice_is_stored_once_silently(runner, store, fake_org, integration):
    integration()
    fake_org.extra_messages = [_record("groups", {"id": "g2", "name": "Everyone"}),
                               _record("users", {"id": "u1", "login": "user1@https://fake.example"})]
    r = runner.sync("acme")
    assert r.status == "succeeded", (r.message, r.errors)
    assert r.errors == [] and r.assets_seen == 5
    assert r.counts["groups"]["records"] == 3  # received three, stored two


def test_a_conflict_in_a_later_sync_keeps_what_was_stored(runner, store, fake_org, integration):
    integration()
    assert runner.sync("acme").status == "succeeded"
    fake_org.extra_messages = [_record("users", {"id": "u2", "login": "someone-else"})]
    r = runner.sync("acme")
    assert r.status == "partial" and len(_uid_errors(r)) == 1
    assert store.asset("u2")["name"] == "user2@https://fake.example" and not store.asset("u3")["gone"]


def test_a_connector_reporting_failed_stays_failed(runner, fake_org, integration):
    integration()
    fake_org.status = "failed"
    fake_org.extra_messages = [_record("groups", {"id": "g1", "name": "Impostor"})]
    r = runner.sync("acme")
    assert r.status == "failed" and len(_uid_errors(r)) == 1


def test_the_ledger_keys_by_type_and_uid_and_ignores_the_emission_time():
    ledger = UidLedger()
    rec = {"stream": "groups", "data": {"id": "g1"}, "emitted_at": 1}
    assert ledger.claim("group", "g1", rec) == (UidLedger.NEW, None)
    assert ledger.claim("group", "g1", dict(rec, emitted_at=2)) == (UidLedger.SAME, None)
    assert ledger.claim("user", "g1", rec) == (UidLedger.NEW, None)  # the store keys assets by (type, uid)
    other = dict(rec, data={"id": "g1", "name": "x"})
    assert ledger.claim("group", "g1", other) == (UidLedger.TAKEN, "groups record 'g1'")


def _result(check: str, uid: str, name: str, status: str) -> dict[str, Any]:
    """A check result shaped as the fake connector's own (tests/host/host_fakes.py)."""
    return {"type": "RECORD", "record": {"stream": "check_results", "kind": "check_result", "org": ORG, "emitted_at": NOW,
                                         "data": {"check_id": check, "status": status, "message": f"{check} is {status}",
                                                  "resource": {"type": "user", "uid": uid, "name": name},
                                                  "evidence": {"value": status}}}}


def test_two_different_results_for_one_finding_are_refused_naming_both(runner, store, fake_org, integration):
    """The store keys a finding by its uid: a second result for the same check and object (here a pass after the
    fake connector's fail of mfa on u1) would have replaced the first, so a failing judgement vanished unseen."""
    integration()
    fake_org.extra_messages = [_result("mfa", "u1", "user1", "pass")]
    r = runner.sync("acme")
    assert r.status == "partial"
    assert "1 records refused in check_results: their uid belonged to a different record" in r.message
    (err,) = [e for e in r.errors if "two different check results have the finding uid" in e["message"]]
    assert err["uid"] == "mfa:u1" and err["stream"] == "check_results"
    assert err["records"] == ["check_results record of check 'mfa' on user 'u1' (fail)",
                              "check_results record of check 'mfa' on user 'u1' (pass)"]
    [kept] = [f for f in store.query_findings("acme", check="mfa", limit=50).items if f["uid"] == "mfa:u1"]
    assert kept["compliance_status"] == "fail"  # the first judgement is kept, never overwritten


def test_the_same_result_twice_is_stored_once_silently(runner, store, fake_org, integration):
    integration()
    fake_org.extra_messages = [_result("mfa", "u2", "user2", "pass")]  # the fake connector's own result, repeated
    r = runner.sync("acme")
    assert r.status == "succeeded", (r.message, r.errors)
    assert r.errors == [] and r.findings_seen == 3


# ------------------------------------------------------------------------------- the Okta connector through it


def _replay_sync(tmp_path, monkeypatch, fixture: dict[str, Any]):
    monkeypatch.setenv("REPLAY_TOKEN", TOKEN)
    registry = load_connectors(allow=["okta"], env={})
    with ReplayServer(fixture) as server, Store(tmp_path / "host.db") as store:
        integ = store.add_integration("replay", "okta", server.config(), interval_minutes=60)
        sync = Runner(store, registry, batch_size=50).sync(integ.id)
        kept = [dict(r) for r in store._conn().execute(  # noqa: SLF001 - the test reads what the store keeps
            "SELECT uid, stream, data FROM assets WHERE integration_id = ? AND type = 'role_assignment'", (integ.id,))]
    return sync, kept


def test_with_bare_role_ids_the_host_would_refuse_the_shared_ones(tmp_path, monkeypatch):
    """The control: scoping off (the uid is Okta's id, as before), the real-shaped org's USER_ADMIN assignments
    collide, and the host refuses them with an error naming both records instead of merging them silently."""
    monkeypatch.setattr(connector_okta.identity, "principal_of", lambda stream: None)
    sync, kept = _replay_sync(tmp_path, monkeypatch, load_fixture("okta_real_shaped.json"))
    assert sync.status == "partial"
    errors = _uid_errors(sync)
    assert len(errors) == 5  # six USER_ADMIN assignments, one uid: the first is kept, five refused
    assert {e["uid"] for e in errors} == {"KVJUKUS7IFCE2SKO"}
    assert "group_roles record 'KVJUKUS7IFCE2SKO' under group '00g1realshape0000002'" in {
        e["records"][1] for e in errors}
    assert [row["uid"] for row in kept].count("KVJUKUS7IFCE2SKO") == 1


def test_with_scoped_uids_every_assignment_is_kept(tmp_path, monkeypatch):
    sync, kept = _replay_sync(tmp_path, monkeypatch, load_fixture("okta_real_shaped.json"))
    assert sync.status == "succeeded" and _uid_errors(sync) == []
    assert len(kept) == len({row["uid"] for row in kept}) == 9


def _admins_recipe() -> dict[str, Any]:
    """The default scenario's admins, plus USER_ADMIN on two more users and three groups (the issue's case): one
    user holds it directly and through a group, another through a group with a REPORT_ADMIN holder."""
    recipe = copy.deepcopy(load_scenario("default")["admins"])
    first = len(recipe["users"])
    for n, login in enumerate(("ua.one", "ua.two")):
        recipe["users"].append({"login": login, "firstName": "User", "lastName": f"Admin{n}",
                                "roles": ["USER_ADMIN"], "factors": ["push"], "lastLoginDaysAgo": 2})
    recipe["groups"] += [
        {"name": "User Admins A", "description": "A", "roles": ["USER_ADMIN"], "members": [first]},
        {"name": "User Admins B", "description": "B", "roles": ["USER_ADMIN"], "members": [2, first + 1]},
        {"name": "User Admins C", "description": "C", "roles": ["USER_ADMIN"], "members": []},
    ]
    return recipe


def test_a_sandbox_org_with_shared_role_ids_syncs_through_the_host_with_every_assignment(
        sandbox, tmp_path, monkeypatch):
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    (pinned / "admins.json").write_text(json.dumps(_admins_recipe()), encoding="utf-8")
    org = generate("default", users=30, seed=1, scenario_dir=pinned)
    # the sandbox serves ids as Okta does: a standard role's id is its type, an app user's id the user's
    ids = collections.Counter(r["id"] for roles in [*org.user_roles.values(), *org.group_roles.values()]
                              for r in roles)
    assert ids[standard_role_id("USER_ADMIN")] >= 7 and "KVJUKUS7IFCE2SKO" == standard_role_id("USER_ADMIN")
    assert all(au["id"] == au["_links"]["user"]["href"].rsplit("/", 1)[-1]
               for users in org.app_users.values() for au in users)
    expected = (sum(len(v) for v in org.user_roles.values()) + sum(len(v) for v in org.group_roles.values()))

    sb = sandbox(org=org, rate_limits=None)
    monkeypatch.setenv("IDENTITY_OKTA_TOKEN", token_for_role(org, "SUPER_ADMIN"))
    config = {"org_url": sb.url, "auth": {"method": "api_token", "token": {"$secret": "env", "name": "IDENTITY_OKTA_TOKEN"}},
              "allow_insecure_http_loopback": True}
    with Store(tmp_path / "host.db") as store:
        integ = store.add_integration("sandbox", "okta", config, interval_minutes=60)
        sync = Runner(store, load_connectors(allow=["okta"], env={}), batch_size=200).sync(integ.id)
        rows = [dict(r) for r in store._conn().execute(  # noqa: SLF001
            "SELECT type, uid FROM assets WHERE integration_id = ?", (integ.id,))]
    assert sync.status == "succeeded", (sync.message, sync.errors)
    assert _uid_errors(sync) == []
    roles = [row["uid"] for row in rows if row["type"] == "role_assignment"]
    assert len(roles) == len(set(roles)) == expected
    assert f"user/{org.users[len(_admins_recipe()['users']) - 2]['id']}/role/KVJUKUS7IFCE2SKO" in roles
    assert len({row["uid"] for row in rows}) == len(rows)
