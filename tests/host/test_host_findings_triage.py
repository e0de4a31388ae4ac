"""Findings open on what fails (issue 16): failing first, then not evaluated; passes only in their own view;
objects by name, never a bare id; ``--json`` before or after the command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from connector_host import cli
from connector_host.posture.findings import FindingFilter, list_findings
from connector_host.store import Store
from posture_data import make_store


@pytest.fixture
def pstore(store_url: str):
    store = make_store(store_url)
    yield store
    store.close()


def run(path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--store", str(path), *argv], registry=cli.Registry(connectors={}), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_default_view_is_failing_then_not_evaluated_never_a_pass(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    page = list_findings(pstore, FindingFilter(integration=acme))
    statuses = [f["compliance_status"] for f in page.items]
    assert "pass" not in statuses
    assert statuses == ["fail", "fail", "fail", "warning", "unknown", "manual"]  # failing first, then the rest
    assert [f["section"] for f in page.items] == ["Failing"] * 4 + ["Not evaluated"] * 2
    assert page.extra["sections"] == {"Failing": 4, "Not evaluated": 2} and page.total == 6
    assert {f["result"] for f in page.items if f["compliance_status"] == "unknown"} == {"not evaluated"}
    # pages cut across the sections
    second = list_findings(pstore, FindingFilter(integration=acme), limit=3, offset=3)
    assert [f["compliance_status"] for f in second.items] == ["warning", "unknown", "manual"]
    passed = list_findings(pstore, FindingFilter(integration=acme, view="passed"))
    assert {f["compliance_status"] for f in passed.items} == {"pass"} and passed.total == 2


def test_objects_are_shown_by_login_and_name_never_a_bare_id(pstore: Store) -> None:
    page = list_findings(pstore, FindingFilter(check="admin-mfa", view="all"))
    users = [f["object"] for f in page.items if f["object"]["type"] == "user"]
    assert users and all(not u["name"].startswith("00u") for u in users)
    assert {u["text"] for u in users} >= {"alice@example.com (Alice Adams)", "carol@example.com (Carol Clark)"}


def test_cli_severity_filter_prints_no_pass_rows(pstore: Store) -> None:
    path = pstore.path
    code, out, _ = run(path, "findings", "--severity", "critical")
    assert code == 0 and " pass " not in out and "fail" in out
    assert "alice@example.com (Alice Adams)" in out and "00u1 " not in out
    assert "INTEGRATION" in out  # two integrations: which one each row is from
    code, out, _ = run(path, "findings", "acme", "--view", "passed", "--json")
    assert code == 0 and {f["compliance_status"] for f in json.loads(out)["items"]} == {"pass"}
    code, out, _ = run(path, "findings", "acme", "--view", "not-evaluated")
    assert "not evaluated" in out and "manual" in out
    # --json before the command works as after it
    before = json.loads(run(path, "--json", "findings", "acme")[1])
    after = json.loads(run(path, "findings", "acme", "--json")[1])
    assert before == after and before["view"] == "open"
    assert run(path, "findings", "--view", "nonsense")[0] == 2
    assert run(path, "findings", "--status", "nonsense")[0] == 2


def test_cli_list_cut_says_how_to_see_more(pstore: Store) -> None:
    code, out, _ = run(pstore.path, "findings", "acme", "--limit", "2")
    assert code == 0 and "showing 1-2 of 6 findings" in out and "--offset 2" in out


def test_grouped_by_check_counts_objects_not_rows(pstore: Store) -> None:
    from connector_host.posture.findings import check_groups

    acme = pstore.get_integration("acme").id
    groups = {g.check_id: g for g in check_groups(pstore, FindingFilter(integration=acme))}
    mfa = groups["admin-mfa"]
    # 2 users fail of 3 checked; the org-level result is the check's summary, not a fourth object
    assert (mfa.status, mfa.affected, mfa.checked, mfa.passing) == ("fail", 2, 3, 1)
    assert mfa.summary == "2 of 3 administrators have no MFA."
    assert mfa.as_dict()["vuln_ids"] == ["V-273193"] and "DISA Okta IDaaS STIG V1R2" in mfa.standards
    assert (groups["password-length"].status, groups["password-length"].affected) == ("warning", 1)
    assert groups["log-streaming"].status == "unknown" and not groups["log-streaming"].per_object
    assert "zones" not in groups  # passes only: not in the default view
    order = [g.check_id for g in check_groups(pstore, FindingFilter(integration=acme))]
    assert order == ["admin-mfa", "password-length", "log-streaming", "dod-banner"]  # worst first
    passed = [g.check_id for g in check_groups(pstore, FindingFilter(integration=acme, view="passed"))]
    assert set(passed) == {"admin-mfa", "zones"}
    both = check_groups(pstore, FindingFilter(check="admin-mfa"))
    assert sorted(g.integration for g in both) == ["acme", "beta"]


def test_cli_by_check(pstore: Store) -> None:
    code, out, _ = run(pstore.path, "findings", "acme", "--by-check", "--json")
    items = json.loads(out)["items"]
    assert code == 0 and items[0]["check_id"] == "admin-mfa" and (items[0]["affected"], items[0]["checked"]) == (2, 3)
    code, out, _ = run(pstore.path, "findings", "--by-check")
    assert code == 0 and "2 of 3" in out and "INTEGRATION" in out and "admin-mfa" in out
