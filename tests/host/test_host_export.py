"""Exports (issue 16): CSV and OCSF JSON Lines of a view, and the self-contained HTML report of an integration."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from connector_host import cli
from connector_host.posture.export import chunks
from connector_host.posture.findings import FindingFilter
from connector_host.posture.report import build
from connector_host.store import StagedFinding, Store
from posture_data import ASSETS, make_store, registry, result, results


@pytest.fixture
def pstore(store_url: str):
    store = make_store(store_url)
    yield store
    store.close()


def test_csv_is_the_view_with_exceptions_and_no_formulas(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    pstore.add_exception(acme, "admin-mfa", kind="accepted_risk", reason="=HYPERLINK(\"x\")", author="a",
                         resource_uid="00u1")
    rows = list(csv.DictReader(io.StringIO("".join(chunks(pstore, FindingFilter(integration=acme), "csv")))))
    assert [r["result"] for r in rows] == ["fail", "fail", "warning", "not evaluated", "manual"]  # the open view
    assert rows[0]["object_name"] and "00u1" not in {r["object_uid"] for r in rows}  # excepted: not in this view
    excepted = list(csv.DictReader(io.StringIO("".join(
        chunks(pstore, FindingFilter(integration=acme, view="excepted"), "csv")))))
    assert [(r["object_name"], r["exception_kind"]) for r in excepted] == [("alice@example.com", "accepted_risk")]
    assert excepted[0]["exception_reason"].startswith("'=")  # a formula is quoted, never run by a spreadsheet
    assert excepted[0]["requirements"].startswith("V-273193; OKTA-APP-000560")
    assert "DISA Okta IDaaS STIG V1R2" in excepted[0]["standards"]


def test_ocsf_lines_carry_what_the_host_knows(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    pstore.add_exception(acme, "admin-mfa", kind="false_positive", reason="smart card", author="b",
                         resource_uid="00u3")
    sid = pstore.start_sync(acme)  # the password-length warning is no longer reported: resolved
    pstore.stage(sid, ASSETS, [f for f in results() if f.check_id != "password-length"], [])
    pstore.finish_sync(sid, "succeeded")
    lines = "".join(chunks(pstore, FindingFilter(integration=acme, view="all"), "jsonl")).splitlines()
    recs = {json.loads(x)["finding_info"]["uid"]: json.loads(x) for x in lines}
    assert len(recs) == 7  # every active result (the resolved one is in its own view)
    sup = recs["admin-mfa:00u3"]
    assert (sup["status_id"], sup["status"], sup["comment"]) == (3, "Suppressed", "False positive by b: smart card")
    assert sup["unmapped"]["host"]["exception"]["kind"] == "false_positive"
    assert sup["finding_info"]["first_seen_time"] <= sup["finding_info"]["last_seen_time"]
    assert "status_id" not in recs["admin-mfa:00u1"]
    resolved = [json.loads(x) for x in "".join(chunks(pstore, FindingFilter(integration=acme, view="resolved"),
                                                      "jsonl")).splitlines()]
    assert [(r["status_id"], r["activity_id"], r["type_uid"]) for r in resolved] == [(4, 3, 200303)]


def test_the_report_is_self_contained_and_escaped(pstore: Store) -> None:
    evil = "<script>alert(1)</script>"
    acme = pstore.get_integration("acme").id
    sid = pstore.start_sync(acme)
    pstore.stage(sid, ASSETS, [*results(), result("evil", "fail", "app", "app1", evil, title=evil)], [])
    pstore.finish_sync(sid, "succeeded")
    html = build(pstore, registry(), "acme")  # an okta connector publishing the Okta standards
    assert html.startswith("<!doctype html>") and "<style>" in html and "@media print" in html
    assert "<script" not in html and evil not in html and "&lt;script&gt;" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from elsewhere
    assert len(re.findall(r'data-rule="V-\d+"', html)) == 29  # the STIG table
    assert 'data-check="admin-mfa"' in html and "alice@example.com" in html and "Admin Console: fix admin-mfa" in html
    assert "HealthInsight" in html
    assert "No standards table" in build(pstore, None, "acme")  # no connector: no standards table


def test_cli_export(pstore: Store, tmp_path: Path) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["--store", str(pstore.path), *argv], registry=cli.Registry(connectors={}), stdout=out,
                        stderr=err)
        return code, out.getvalue(), err.getvalue()

    code, out, _ = run("export", "acme", "--severity", "critical")
    assert code == 0 and out.splitlines()[0].startswith("integration,finding_id") and len(out.splitlines()) == 4
    target = tmp_path / "all.jsonl"
    code, _, err = run("export", "--view", "all", "--format", "jsonl", "-o", str(target))
    assert code == 0 and "wrote" in err and len(target.read_text().splitlines()) == 9
    assert run("export", "--format", "html")[0] == 2  # two integrations: name one
    code, _, _ = run("export", "beta", "--format", "html", "-o", str(tmp_path / "r.html"))
    assert code == 0 and "Posture report: beta" in (tmp_path / "r.html").read_text()
    assert run("export", "acme", "--format", "pdf")[0] == 2


def test_odd_records_export(tmp_path: Path) -> None:
    store = Store(tmp_path / "odd.db")
    integ = store.add_integration("odd", "okta", {})
    sid = store.start_sync(integ.id)
    store.stage(sid, findings=[StagedFinding("f1", None, None, 4, "fail", [], None, None, None,
                                             {"finding_info": None, "evidences": "x", "compliance": [1]})])
    store.finish_sync(sid, "succeeded")
    assert len("".join(chunks(store, FindingFilter(), "csv")).splitlines()) == 2
    assert json.loads("".join(chunks(store, FindingFilter(), "jsonl")))["unmapped"]["host"]["integration"] == "odd"
    assert "Posture report: odd" in build(store, None, "odd")
    store.close()
