"""The STIG view (issue 16): every rule of the DISA Okta IDaaS STIG V1R2 with its ids, CAT, status and objects;
the same for Okta HealthInsight; a requirement filter that matches whole requirements only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from connector_host import cli
from connector_host.posture.findings import FindingFilter, list_findings
from connector_host.posture.standards import standard_table
from connector_host.store import Store
from posture_data import HI, STIG, benchmark, make_store, registry


@pytest.fixture
def pstore(store_url: str):
    store = make_store(store_url)
    yield store
    store.close()


def test_the_stig_table_has_all_29_rules_with_ids_and_categories() -> None:
    rules = benchmark("stig").rules
    assert len(rules) == 29 and len({r.id for r in rules}) == 29
    assert sum(1 for r in rules if r.severity == "CAT I") == 3
    assert {r.id for r in rules if r.severity == "CAT I"} == {"V-273193", "V-273194", "V-273202"}


def test_rule_status_from_its_checks(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    table = standard_table(pstore, benchmark("stig"), acme)
    by = {r["id"]: r for r in table["items"]}
    assert table["rules"] == 29
    assert (by["V-273193"]["status"], by["V-273193"]["affected"], by["V-273193"]["alt_id"]) == ("fail", 2, "OKTA-APP-000560")
    assert by["V-273193"]["category"] == "CAT I" and by["V-273193"]["checks"] == [{"id": "admin-mfa", "title": "Every administrator has MFA"}]
    assert by["V-273195"]["status"] == "fail"  # a warning fails the rule
    assert by["V-273202"]["status"] == "not_evaluated"  # unknown never passes
    assert by["V-273192"]["status"] == "manual"
    assert by["V-273186"]["status"] == "not_evaluated" and by["V-273186"]["checks"] == []  # no check reported
    assert table["counts"] == {"fail": 2, "not_evaluated": 26, "manual": 1, "excepted": 0, "pass": 0}
    assert table["share_passing"] == 0.0
    hi = {r["id"]: r for r in standard_table(pstore, benchmark("healthinsight"), acme)["items"]}
    assert hi["HealthInsight: Enable MFA for admins"]["status"] == "fail"
    assert hi["HealthInsight: Network zones"]["status"] == "pass"
    assert hi["HealthInsight: Network zones"]["title"] == "Network zones"
    # a catalog check names a rule no result names yet: it is listed with its check, not evaluated
    catalog = [{"id": "x-check", "title": "X", "references": {"standards": [HI], "requirements": ["HealthInsight: X"]}},
               {"id": "s-check", "title": "S", "standards": [STIG], "requirements": ["V-273186", "OKTA-APP-000020"]}]
    hi = {r["id"]: r for r in standard_table(pstore, benchmark("healthinsight"), acme, catalog)["items"]}
    assert hi["HealthInsight: X"]["status"] == "not_evaluated" and hi["HealthInsight: X"]["checks"][0]["id"] == "x-check"
    stig = {r["id"]: r for r in standard_table(pstore, benchmark("stig"), acme, catalog)["items"]}
    assert stig["V-273186"]["checks"] == [{"id": "s-check", "title": "S"}]


def test_requirement_filter_matches_whole_requirements(pstore: Store) -> None:
    page = list_findings(pstore, FindingFilter(requirement="V-273193", view="all"))
    assert page.total == 5 and {f["check_id"] for f in page.items} == {"admin-mfa"}
    assert list_findings(pstore, FindingFilter(requirement="V-27319", view="all")).total == 0
    assert list_findings(pstore, FindingFilter(requirement="HealthInsight: Network", view="all")).total == 0


def test_cli_standards(pstore: Store) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--store", str(pstore.path), "standards", "acme", "--json"], registry=registry(),
                    stdout=out, stderr=err)
    body = json.loads(out.getvalue())
    assert code == 0 and body["rules"] == 29 and body["items"][0]["id"] == "V-273186"
    out = io.StringIO()
    code = cli.main(["--store", str(pstore.path), "standards", "acme", "--status", "fail"],
                    registry=registry(), stdout=out, stderr=err)
    text = out.getvalue()
    assert code == 0 and "V-273193" in text and "OKTA-APP-000560" in text and "CAT I" in text and "V-273186" not in text
    assert "0 of 29 rules pass" in text


def test_the_host_carries_no_standard_and_shows_none_without_one(pstore: Store) -> None:
    """The rule lists come from the connector (connector_checks entries of kind standard); a connector that
    publishes none has no standards table (CLI, page)."""
    import connector_host.posture.benchmarks as b
    from connector_host.posture.benchmarks import benchmarks

    assert not hasattr(b, "BENCHMARKS") and "V-273186" not in Path(b.__file__).read_text(encoding="utf-8")
    assert list(benchmarks(pstore, registry())) == ["stig", "healthinsight"]
    assert benchmarks(pstore, registry([])) == {} and benchmarks(pstore, None) == {}
    out = io.StringIO()
    code = cli.main(["--store", str(pstore.path), "standards", "acme"], registry=cli.Registry(connectors={}),
                    stdout=out, stderr=io.StringIO())
    assert code == 0 and "no standards table" in out.getvalue()
    # another connector's standard: its own rules, ids matched exactly (no pattern), its labels
    other = [{"id": "standard:cis", "kind": "standard", "title": "CIS X",
              "standard": {"key": "cis", "name": STIG, "label": "CIS X", "rules": [
                  {"id": "V-273193", "title": "Admins use MFA"}, {"id": "bad"}, "junk"]}},
             {"id": "standard:broken", "kind": "standard", "title": "no rules", "standard": {"key": "Bad Key!"}}]
    benches = benchmarks(pstore, registry(other))
    assert list(benches) == ["cis"] and [r.id for r in benches["cis"].rules] == ["V-273193", "bad"]
    table = standard_table(pstore, benches["cis"], pstore.get_integration("acme").id)
    assert [i["id"] for i in table["items"]] == ["V-273193", "bad"] and table["items"][0]["status"] == "fail"
    assert table["benchmark"]["label"] == "CIS X" and table["items"][0]["title"] == "Admins use MFA"


def test_the_facade_keeps_standards_out_of_the_check_list() -> None:
    okta = registry().connectors["okta"]
    assert okta.checks() == [] and [s["key"] for s in okta.standards()] == ["stig", "healthinsight"]
