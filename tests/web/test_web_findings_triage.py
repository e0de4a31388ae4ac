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
from posture_data import make_store  # noqa: E402


@pytest.fixture
def pclient(tmp_path: Path) -> Any:
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
