"""Every STIG V1R2 rule yields a result on a Classic org too: automated where the API answers, otherwise
``manual`` with the console location, never silently absent and never ``pass`` without data."""

from __future__ import annotations

from checks_fixtures import build_org, run

from connector_okta.checks.catalog import STIG, load_catalog

CATALOG = {c["id"]: c for c in load_catalog()}
STIG_RULES = {r for c in CATALOG.values() if STIG in c["references"]["standards"]
              for r in c["references"]["requirements"] if r.startswith("V-")}


def _rules_answered(results: list[dict]) -> set[str]:
    return {r for res in results for r in CATALOG[res["check_id"]]["references"]["requirements"] if r.startswith("V-")}


def test_every_stig_rule_has_a_result_on_classic_and_identity_engine() -> None:
    for pipeline in ("idx", "v1"):
        results = run(build_org(), pipeline=pipeline,
                      statuses={"authenticators": ("not_applicable", "Classic org")} if pipeline == "v1" else None)
        assert STIG_RULES - _rules_answered(results) == set(), pipeline


def test_app_policy_network_zones_is_manual_on_classic() -> None:
    org = build_org()
    classic = [r for r in run(org, pipeline="v1") if r["check_id"] == "okta-app-policy-network-zones"]
    assert [r["status"] for r in classic] == ["manual"]
    assert "Sign On Policy" in classic[0]["message"] and "Classic" in classic[0]["message"]
    oie = {r["status"] for r in run(org) if r["check_id"] == "okta-app-policy-network-zones"}
    assert oie and "manual" not in oie  # Identity Engine still judges every app's policy
