"""The Finding View opens on what fails (issue 16): tabs, sections, no pass rows by default, objects by name, an
Integration column when there are several."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from connector_host.loader import Registry
from connector_host.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))
from posture_data import make_store, registry  # noqa: E402


@pytest.fixture
def pclient(tmp_path: Path) -> Any:
    store = make_store(tmp_path / "p.db")
    app = create_app(store, registry(), env={}, testing=True)  # an okta connector publishing the Okta standards
    yield app.test_client()
    store.close()


@pytest.fixture
def bare(tmp_path: Path) -> Any:
    """The same store with no connector installed: no standard is published."""
    store = make_store(tmp_path / "p.db")
    app = create_app(store, Registry(connectors={}), env={}, testing=True)
    yield app.test_client()
    store.close()


def rows(html: str) -> list[str]:
    body = html.split('id="findings"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<span class="res res-(\w+)">', body)


def test_default_view_lists_failing_then_not_evaluated(pclient: Any) -> None:
    html = pclient.get("/findings?group=none").get_data(as_text=True)
    assert "misconfigurations" not in html
    results = rows(html)
    assert results and "pass" not in results
    assert results.index("unknown") > max(i for i, r in enumerate(results) if r in ("fail", "warning"))
    assert 'data-section="Failing"' in html and 'data-section="Not evaluated"' in html
    assert ">not evaluated<" in html
    assert "alice@example.com" in html and "Alice Adams" in html
    assert "<th>Integration</th>" in html


def test_passed_results_have_their_own_tab(pclient: Any) -> None:
    html = pclient.get("/findings?group=none&view=passed").get_data(as_text=True)
    assert set(rows(html)) == {"pass"}
    assert 'data-view="passed"' in html
    legacy = pclient.get("/findings?group=none&status=pass").get_data(as_text=True)
    assert set(rows(legacy)) == {"pass"}
    high = pclient.get("/findings?group=none&severity=critical").get_data(as_text=True)
    assert "pass" not in rows(high)


def test_api_findings_default_has_no_pass(pclient: Any) -> None:
    body = pclient.get("/api/findings").get_json()
    assert body["items"] and {f["compliance_status"] for f in body["items"]} <= {"fail", "warning", "unknown", "manual"}
    every = pclient.get("/api/findings?status=all").get_json()
    assert "pass" in {f["compliance_status"] for f in every["items"]}


def test_findings_are_grouped_by_check_by_default(pclient: Any) -> None:
    html = pclient.get("/findings?integration=1").get_data(as_text=True)
    table = html.split('id="checks"', 1)[1].split("</table>", 1)[0]
    checks = re.findall(r'data-check="([^"]+)"', table)
    assert checks == ["admin-mfa", "password-length", "log-streaming", "dod-banner"]
    assert "<b>2</b> <span class=\"muted\">of 3</span>" in table
    assert "2 of 3 administrators have no MFA." in table
    # two integrations: a column says which
    every = pclient.get("/findings").get_data(as_text=True)
    assert "<th>Integration</th>" in every and every.count('data-check="admin-mfa"') == 2


def test_a_check_lists_its_objects_with_evidence_searchable(pclient: Any) -> None:
    html = pclient.get("/findings/check?integration=1&check=admin-mfa").get_data(as_text=True)
    objects = html.split('id="objects"', 1)[1].split("</table>", 1)[0]
    assert "alice@example.com" in objects and "Alice Adams" in objects and "carol@example.com" in objects
    assert "00u1<" not in objects and "Acme Corp" not in objects  # by name; the org summary is not an object
    assert "active_factor_types" in objects and "Admin has no active MFA factor." in objects
    assert "2 of 3 administrators have no MFA." in html
    found = pclient.get("/findings/check?integration=1&check=admin-mfa&q=carol").get_data(as_text=True)
    found = found.split('id="objects"', 1)[1].split("</table>", 1)[0]
    assert "carol@example.com" in found and "alice@example.com" not in found
    passed = pclient.get("/findings/check?integration=1&check=admin-mfa&view=passed").get_data(as_text=True)
    assert "bob@example.com" in passed.split('id="objects"', 1)[1].split("</table>", 1)[0]
    assert pclient.get("/findings/check?integration=1&check=nope").status_code == 404


def test_the_stig_table(pclient: Any) -> None:
    html = pclient.get("/standards?integration=1").get_data(as_text=True)
    table = html.split('id="standard-rules"', 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r'data-rule="V-\d+"', table)) == 29
    row = table.split('data-rule="V-273193"', 1)[1].split("</tr>", 1)[0]
    assert "OKTA-APP-000560" in row and "CAT I" in row and ">fail<" in row and "<b>2</b>" in row
    assert "requirement=V-273193" in row  # the rule's findings
    assert 'data-benchmark="healthinsight"' in html and "rules passing" in html
    hi = pclient.get("/standards?integration=1&benchmark=healthinsight").get_data(as_text=True)
    assert "Enable MFA for admins" in hi and "Network zones" in hi
    failing = pclient.get("/standards?integration=1&status=fail").get_data(as_text=True)
    assert len(re.findall(r'data-rule="V-\d+"', failing)) == 2
    listed = pclient.get("/findings?requirement=V-273193&integration=1&view=all").get_data(as_text=True)
    assert re.findall(r'data-check="([^"]+)"', listed) == ["admin-mfa"]
    assert pclient.get("/standards?benchmark=nope").status_code == 404


def csrf(client: Any) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/findings").get_data(as_text=True)).group(1)


def test_an_exception_made_in_the_page_and_revoked(pclient: Any) -> None:
    token = csrf(pclient)
    page = pclient.get("/findings/check?integration=1&check=admin-mfa").get_data(as_text=True)
    assert 'id="exception-form"' in page and "Except every object of this check" in page
    fid = int(re.search(r'data-finding="(\d+)"', page).group(1))
    detail = pclient.get(f"/findings/check?integration=1&check=admin-mfa&finding={fid}").get_data(as_text=True)
    assert 'id="finding-exception-form"' in detail and 'id="finding-history"' in detail and "first seen" in detail
    resp = pclient.post("/exceptions", data={
        "csrf_token": token, "integration": "1", "check": "admin-mfa", "resource_uid": "00u1",
        "resource_name": "alice@example.com", "kind": "accepted_risk", "reason": "break-glass <b>account</b>",
        "author": "alice", "expires": "2099-01-01", "next": "/findings/check?integration=1&check=admin-mfa"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("check=admin-mfa")
    page = pclient.get("/findings/check?integration=1&check=admin-mfa").get_data(as_text=True)
    assert "Exception #1" in page and "1 excepted" in page
    assert "break-glass &lt;b&gt;account&lt;/b&gt;" in page  # escaped
    excepted = pclient.get("/findings/check?integration=1&check=admin-mfa&view=excepted").get_data(as_text=True)
    objects = excepted.split('id="objects"', 1)[1].split("</table>", 1)[0]
    assert "alice@example.com" in objects and "accepted risk" in objects and "carol@example.com" not in objects
    tab = pclient.get("/findings?integration=1&view=excepted").get_data(as_text=True)
    assert re.findall(r'data-check="([^"]+)"', tab) == ["admin-mfa"]
    fid = int(re.search(r'data-finding="(\d+)"', excepted).group(1))
    detail = pclient.get(f"/findings?group=none&finding={fid}").get_data(as_text=True)
    assert "exception: accepted risk" in detail and 'id="finding-exception"' in detail
    listing = pclient.get("/exceptions").get_data(as_text=True)
    assert 'data-exception="1"' in listing and ">active<" in listing
    # a bad form is refused with a message, nothing stored
    pclient.post("/exceptions", data={"csrf_token": token, "integration": "1", "check": "admin-mfa",
                                      "kind": "accepted_risk", "reason": "", "author": "a"})
    assert 'data-exception="2"' not in pclient.get("/exceptions").get_data(as_text=True)
    # no CSRF token: refused
    assert pclient.post("/exceptions", data={"integration": "1", "check": "x", "kind": "suppressed",
                                             "reason": "r", "author": "a"}).status_code == 400
    # an open redirect is not followed
    resp = pclient.post("/exceptions/1/revoke", data={"csrf_token": token, "next": "//evil.example/"})
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]
    listing = pclient.get("/exceptions?state=revoked").get_data(as_text=True)
    assert 'data-exception="1"' in listing
    assert "exception revoked" in pclient.get(f"/findings?group=none&finding={fid}").get_data(as_text=True)


def test_the_posture_json_api(pclient: Any) -> None:
    token = csrf(pclient)
    groups = pclient.get("/api/findings/checks?integration=1").get_json()
    assert groups["items"][0]["check_id"] == "admin-mfa" and groups["views"]["open"] == 6
    stig = pclient.get("/api/standards?integration=1").get_json()
    assert stig["rules"] == 29 and stig["benchmark"]["key"] == "stig"
    made = pclient.post("/api/exceptions", json={"integration": 1, "check": "admin-mfa", "object": "00u3",
                                                 "kind": "false_positive", "reason": "r", "author": "api"},
                        headers={"X-CSRFToken": token})
    assert made.status_code == 201 and made.get_json()["resource_uid"] == "00u3"
    assert pclient.post("/api/exceptions", json={"integration": 1, "check": "admin-mfa", "kind": "x"},
                        headers={"X-CSRFToken": token}).status_code == 400
    assert pclient.post("/api/exceptions", json={}).status_code == 400  # no CSRF token
    listed = pclient.get("/api/exceptions?state=active").get_json()["items"]
    assert [e["id"] for e in listed] == [made.get_json()["id"]]
    revoked = pclient.post(f"/api/exceptions/{listed[0]['id']}/revoke", json={"author": "api"},
                           headers={"X-CSRFToken": token})
    assert revoked.status_code == 200 and revoked.get_json()["revoked_by"] == "api"
    assert pclient.get("/api/standards?benchmark=nope").status_code == 404


def test_trends_page(pclient: Any, tmp_path: Path) -> None:
    html = pclient.get("/trends?integration=1").get_data(as_text=True)
    assert 'id="trend-severity"' in html and 'id="trend-share"' in html and 'data-sync="1"' in html
    assert 'id="new-since"' in html and 'id="resolved-since"' in html
    assert pclient.get("/trends?integration=99").status_code == 404


def test_assets_and_findings_link_both_ways(pclient: Any) -> None:
    html = pclient.get("/assets?type=user&integration=1&admin=1").get_data(as_text=True)
    table = html.split('id="assets"', 1)[1].split("</table>", 1)[0]
    assert "alice@example.com" in table and "Alice Adams" in table and "SUPER_ADMIN" in table
    assert "carol@example.com" not in table
    aid = int(re.search(r'data-asset="(\d+)"', table).group(1))
    detail = pclient.get(f"/assets?integration=1&asset={aid}").get_data(as_text=True)
    panel = detail.split('id="asset-detail"', 1)[1]
    assert 'id="asset-facts"' in panel and "MFA factors" in panel and 'id="asset-findings"' in panel
    assert 'href="https://acme-admin.okta.com/admin/user/profile/view/00u1"' in panel
    link = re.search(r'id="asset-findings">.*?href="([^"]+)"', panel, re.S).group(1).replace("&amp;", "&")
    finding = pclient.get(link).get_data(as_text=True)
    assert 'class="resource-asset"' in finding and f"asset={aid}" in finding  # and back to the asset
    assert "Fix it in the Admin Console" in finding
    suspended = pclient.get("/assets?integration=1&status=SUSPENDED").get_data(as_text=True)
    assert "carol@example.com" in suspended.split('id="assets"', 1)[1] and "alice@" not in suspended.split('id="assets"', 1)[1]


def test_collections_out_of_the_credentials_scope_are_calm() -> None:
    from connector_host.web.presentation import sync_scope

    record = {
        "counts": {"users": {"status": "COMPLETE", "records": 5},
                   "admin_users": {"status": "SKIPPED", "reason": "GET /api/v1/iam/assignees/users: permission denied"},
                   "org_factors": {"status": "SKIPPED", "reason": "does not exist on Identity Engine orgs"},
                   "groups": {"status": "INCOMPLETE", "reason": "timeout"}},
        "errors": [{"kind": "permission", "stream": "admin_users", "message": "permission denied"},
                   {"kind": "network", "stream": "groups", "message": "timeout"}],
    }
    scope = sync_scope(record)
    assert scope["out_of_scope"] == ["admin_users"] and scope["not_available"] == ["org_factors"]
    assert scope["incomplete"] == ["groups"] and [e["kind"] for e in scope["errors"]] == ["network"]
    assert not scope["limited_only"]
    del record["counts"]["groups"]
    assert sync_scope(record)["limited_only"]


def test_no_standards_table_without_a_published_standard(bare: Any) -> None:
    html = bare.get("/standards?integration=1").get_data(as_text=True)
    assert 'id="no-standards"' in html and 'id="standard-rules"' not in html
    assert bare.get("/api/standards?integration=1").get_json()["benchmarks"] == []
    assert bare.get("/standards?benchmark=stig").status_code == 404
    assert bare.get("/findings?integration=1").status_code == 200  # no STIG panel, the page still shows
    assert bare.get("/trends?integration=1").status_code == 200
    assert "No standards table" in bare.get("/report?integration=1").get_data(as_text=True)


def test_api_findings_and_summary_leave_excepted_results_out(pclient: Any) -> None:
    """/api/findings and /api/findings/summary use the page's queries: an excepted result leaves the counts and
    the list of what needs attention, and is listed under view=excepted."""
    before = pclient.get("/api/findings?integration=1&status=failing&limit=500").get_json()
    summary = pclient.get("/api/findings/summary?integration=1").get_json()
    mfa = [f for f in before["items"] if f["check_id"] == "admin-mfa"]
    n = len(mfa)  # the two admins and the check's result about the org
    assert n == 3 and summary["findings"]["excepted"] == 0
    assert summary["stig"]["by_rule"]["V-273193"] == "fail" and summary["stig"]["rules"] == 29
    made = pclient.post("/api/exceptions", json={"integration": 1, "check": "admin-mfa", "kind": "accepted_risk",
                                                 "reason": "break-glass accounts", "author": "ann"},
                        headers={"X-CSRFToken": csrf(pclient)})
    assert made.status_code == 201, made.get_data(as_text=True)
    after = pclient.get("/api/findings?integration=1&status=failing&limit=500").get_json()
    assert after["total"] == before["total"] - n and "admin-mfa" not in {f["check_id"] for f in after["items"]}
    excepted = pclient.get("/api/findings?integration=1&view=excepted").get_json()
    assert {f["check_id"] for f in excepted["items"]} == {"admin-mfa"} and excepted["total"] == n
    assert all(f["exception"] for f in excepted["items"])
    s2 = pclient.get("/api/findings/summary?integration=1").get_json()
    assert s2["findings"]["excepted"] == n and s2["findings"]["failing"] == summary["findings"]["failing"] - n
    assert s2["findings"]["failing_by_severity"].get("critical", 0) == \
        summary["findings"]["failing_by_severity"]["critical"] - n
    assert s2["stig"]["by_rule"]["V-273193"] == "excepted"  # an accepted risk is not a pass
