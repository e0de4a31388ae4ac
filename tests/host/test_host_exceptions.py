"""Exceptions (issue 16): accept a risk, call a result a false positive or suppress a check, for one check or one
object, with a reason, an author and an optional expiry. Excepted results leave the counts, stay visible under
their own view, survive re-syncs, appear in the finding's history, expire by themselves; stored and listed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from connector_host import cli
from connector_host.posture.exceptions import history, list_exceptions, parse_expiry
from connector_host.posture.findings import (
    FindingFilter,
    check_groups,
    list_findings,
    posture_summary,
    tab_counts,
)
from connector_host.posture.standards import standard_table
from connector_host.store import Store, StoreError, now_ms
from posture_data import ASSETS, benchmark, make_store, results


@pytest.fixture
def pstore(store_url: str):
    store = make_store(store_url)
    yield store
    store.close()


def resync(store: Store, name: str = "acme") -> None:
    integ = store.get_integration(name)
    sid = store.start_sync(integ.id)
    store.stage(sid, ASSETS, results(), [])
    store.finish_sync(sid, "succeeded")


def test_an_object_exception_takes_its_result_out_of_the_counts(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    before = tab_counts(pstore, acme)
    e = pstore.add_exception("acme", "admin-mfa", kind="accepted_risk", reason="break-glass account",
                             author="alice", resource_uid="00u1", resource_name="alice@example.com")
    assert e["id"] and e["kind"] == "accepted_risk" and e["revoked_at"] is None
    after = tab_counts(pstore, acme)
    assert after["failing"] == before["failing"] - 1 and after["excepted"] == 1 and after["all"] == before["all"]
    failing = list_findings(pstore, FindingFilter(integration=acme, view="failing"))
    assert "00u1" not in {f["resource"]["uid"] for f in failing.items}
    excepted = list_findings(pstore, FindingFilter(integration=acme, view="excepted"))
    assert [(f["resource"]["uid"], f["exception"]["reason"]) for f in excepted.items] == [("00u1", "break-glass account")]
    mfa = next(g for g in check_groups(pstore, FindingFilter(integration=acme)) if g.check_id == "admin-mfa")
    assert (mfa.affected, mfa.excepted, mfa.checked) == (1, 1, 3)
    assert posture_summary(pstore, acme)["failing_by_severity"]["critical"] == 2  # 1 user + the org summary
    # the other integration is untouched
    beta = pstore.get_integration("beta").id
    assert tab_counts(pstore, beta)["excepted"] == 0


def test_a_check_exception_covers_every_object_and_the_rule(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    pstore.add_exception(acme, "password-length", kind="false_positive", reason="policy is unused", author="bob")
    table = {r["id"]: r for r in standard_table(pstore, benchmark("stig"), acme)["items"]}
    assert table["V-273195"]["status"] == "excepted" and table["V-273195"]["excepted"] == 1
    groups = {g.check_id: g for g in check_groups(pstore, FindingFilter(integration=acme, view="excepted"))}
    assert set(groups) == {"password-length"} and groups["password-length"].status == "excepted"
    assert "password-length" not in {g.check_id for g in check_groups(pstore, FindingFilter(integration=acme))}


def test_exceptions_survive_resyncs_and_expire_by_themselves(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    e = pstore.add_exception(acme, "admin-mfa", kind="suppressed", reason="reviewed", author="carol",
                             resource_uid="00u3", expires_at=now_ms() + 60_000)
    resync(pstore)
    assert tab_counts(pstore, acme)["excepted"] == 1  # the re-sync did not drop it
    later = now_ms() + 120_000
    assert tab_counts(pstore, acme, at=later)["excepted"] == 0  # past its expiry it no longer applies
    assert list_exceptions(pstore, acme, at=later)[0]["state"] == "expired"
    finding = list_findings(pstore, FindingFilter(integration=acme, check="admin-mfa", view="all")).items
    f3 = next(f for f in finding if f["resource"]["uid"] == "00u3")
    events = [ev["event"] for ev in history(pstore, f3, at=later)]
    assert "exception: suppressed" in events and "exception expired" in events and events[0] == "first seen"
    revoked = pstore.revoke_exception(e["id"], by="dave")
    assert revoked["revoked_by"] == "dave"
    assert "exception revoked" in [ev["event"] for ev in history(pstore, f3)]
    with pytest.raises(StoreError):
        pstore.revoke_exception(e["id"], by="dave")


def test_exceptions_are_validated(pstore: Store) -> None:
    with pytest.raises(StoreError, match="kind"):
        pstore.add_exception("acme", "admin-mfa", kind="ignore", reason="x", author="a")
    with pytest.raises(StoreError, match="reason"):
        pstore.add_exception("acme", "admin-mfa", kind="suppressed", reason=" ", author="a")
    with pytest.raises(StoreError, match="future"):
        pstore.add_exception("acme", "admin-mfa", kind="suppressed", reason="x", author="a", expires_at=1)
    assert parse_expiry("2031-01-02") == 1925164799999
    assert parse_expiry("30d", at=0) == 30 * 86_400_000 and parse_expiry("") is None
    with pytest.raises(StoreError):
        parse_expiry("tomorrow")


def test_trend_points_record_exceptions_as_they_stood(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    pstore.add_exception(acme, "admin-mfa", kind="accepted_risk", reason="r", author="a")
    resync(pstore)
    rows = pstore._q("SELECT summary FROM sync_posture WHERE integration_id = ? ORDER BY sync_id", (acme,))
    first, second = (json.loads(r[0]) for r in rows)
    assert first["excepted"] == 0 and second["excepted"] == 3  # the two failing users and the org summary
    assert second["requirements"]["V-273193"] == "excepted" and first["requirements"]["V-273193"] == "fail"


def run(path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--store", str(path), *argv], registry=cli.Registry(connectors={}), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_exceptions(pstore: Store) -> None:
    path = pstore.path
    code, out, err = run(path, "exceptions", "add", "acme", "--check", "admin-mfa", "--object", "00u1",
                         "--kind", "false-positive", "--reason", "MFA by smart card", "--author", "eve",
                         "--expires", "30d", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["resource_uid"] == "00u1" and made["resource_name"] == "alice@example.com"
    code, out, _ = run(path, "exceptions", "list", "--json")
    assert [e["id"] for e in json.loads(out)] == [made["id"]]
    code, out, _ = run(path, "findings", "acme", "--view", "excepted")
    assert code == 0 and "alice@example.com" in out and "false positive" in out
    assert run(path, "exceptions", "add", "acme", "--check", "admin-mfa", "--kind", "nope", "--reason", "x",
               "--author", "a")[0] == 2
    code, out, _ = run(path, "exceptions", "revoke", str(made["id"]), "--author", "eve")
    assert code == 0 and "revoked" in out
    code, out, _ = run(path, "finding", "admin-mfa:00u1")
    assert "exception revoked" in out and "false positive" in out
