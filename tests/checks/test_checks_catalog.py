"""The catalog as data: valid, complete STIG V1R2 coverage, every id tested in every outcome, docs in sync,
and every Okta field the checks read exists in Okta's Management API spec."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import test_checks_outcomes as outcomes
from checks_fixtures import okta_spec, spec_examples

from connector_okta.checks import engine, implementations, registry
from connector_okta.checks.catalog import PIPELINES, PROFILES, SEVERITIES, STIG, load_catalog, validate
from connector_okta.checks.docs import render

REPO = Path(__file__).resolve().parents[2]
# The 29 rules of the DISA Okta IDaaS STIG V1R2 (../shared/reference/okta-posture-checks.md section 2)
STIG_V1R2 = {
    "V-273186": "OKTA-APP-000020", "V-273187": "OKTA-APP-000025", "V-273188": "OKTA-APP-000090",
    "V-273189": "OKTA-APP-000170", "V-273190": "OKTA-APP-000180", "V-273191": "OKTA-APP-000190",
    "V-273192": None, "V-273193": "OKTA-APP-000560", "V-273194": "OKTA-APP-000570",
    "V-273195": "OKTA-APP-000650", "V-273196": "OKTA-APP-000670", "V-273197": "OKTA-APP-000680",
    "V-273198": "OKTA-APP-000690", "V-273199": "OKTA-APP-000700", "V-273200": "OKTA-APP-000740",
    "V-273201": "OKTA-APP-000745", "V-273202": "OKTA-APP-001430", "V-273203": "OKTA-APP-001665",
    "V-273204": "OKTA-APP-001670", "V-273205": "OKTA-APP-001700", "V-273206": "OKTA-APP-001710",
    "V-273207": "OKTA-APP-001920", "V-273208": "OKTA-APP-002980", "V-273209": "OKTA-APP-003010",
    "V-279689": "OKTA-APP-003240", "V-279690": "OKTA-APP-003241", "V-279691": None, "V-279692": None,
    "V-279693": None,
}
KNOWN_COLLECTIONS = {
    "org", "org_support", "org_contacts", "threat_insight", "admin_console_settings", "org_factors", "users",
    "groups", "group_members", "group_rules", "admin_users", "user_roles", "group_roles", "user_factors", "apps",
    "app_users", "app_groups", "policies", "policy_rules", "policy_mappings", "authenticators", "zones", "idps",
    "authorization_servers", "authorization_server_policies", "authorization_server_policy_rules", "api_tokens",
    "trusted_origins", "event_hooks", "inline_hooks", "log_streams", "behaviors", "device_assurances", "devices",
}


def test_catalog_is_valid_package_data() -> None:
    text = resources.files("connector_okta.checks").joinpath("catalog.toml").read_text(encoding="utf-8")
    checks = tomllib.loads(text)["check"]
    assert validate(checks) == []
    assert len(checks) >= 60
    ids = [c["id"] for c in checks]
    assert len(ids) == len(set(ids))
    for c in checks:
        assert re.fullmatch(r"okta-[a-z0-9-]+", c["id"]), c["id"]
        assert c["severity"] in SEVERITIES
        assert set(c["profiles"]) <= set(PROFILES) and set(c["pipelines"]) <= set(PIPELINES)
        assert c["title"] and c["rationale"] and c["remediation"]["console"] and c["remediation"]["api"]
        assert set(c["collections"]) | set(c.get("optional_collections", [])) <= KNOWN_COLLECTIONS, c["id"]
        for prof, values in c.get("thresholds", {}).items():
            assert prof in PROFILES and values


def test_validate_reports_problems() -> None:
    bad = [{"id": "okta-x", "severity": "urgent", "kind": "automated", "profiles": ["pci"], "pipelines": ["idx"],
            "references": {"standards": [STIG], "requirements": []}, "remediation": {}},
           {"id": "okta-x"}]
    problems = " ".join(validate(bad))
    for needle in ("missing title", "severity 'urgent'", "bad profiles", "Vuln ID", "remediation.console",
                   "duplicate id"):
        assert needle in problems


def test_every_stig_v1r2_rule_is_mapped_with_vuln_and_stig_ids() -> None:
    checks = load_catalog()
    mapped: dict[str, list[dict]] = {}
    for c in checks:
        reqs = c["references"]["requirements"]
        for r in reqs:
            if r.startswith("V-"):
                assert STIG in c["references"]["standards"], c["id"]
                mapped.setdefault(r, []).append(c)
    assert set(mapped) == set(STIG_V1R2), set(STIG_V1R2) ^ set(mapped)
    for vuln, stig_id in STIG_V1R2.items():
        for c in mapped[vuln]:
            if stig_id:
                assert stig_id in c["references"]["requirements"], (vuln, c["id"])
        # automated where the API can answer, otherwise manual with the console location
        assert any(c["kind"] == "automated" or c.get("manual") for c in mapped[vuln])
        for c in mapped[vuln]:
            if c["kind"] == "manual":
                assert ">" in c["manual"] or ">" in c["remediation"]["console"]


def test_federal_only_rules_apply_only_under_stig() -> None:
    by = {c["id"]: c for c in load_catalog()}
    for cid in ("okta-okta-verify-fips", "okta-smart-card-authenticator", "okta-smart-card-idp-dod-ca",
                "okta-dod-banner"):
        assert by[cid]["profiles"] == ["stig"], cid


def test_every_check_has_code_or_is_manual() -> None:
    implementations.load_all()
    impl = set(registry.ORG_CHECKS) | set(registry.STREAM_CHECKS)
    for c in load_catalog():
        if c["kind"] == "manual":
            assert c["id"] not in impl and c.get("manual")
        else:
            assert c["id"] in impl, c["id"]
            if c["id"] in registry.STREAM_CHECKS:
                assert c.get("stream") == registry.STREAM_CHECKS[c["id"]][0]
    assert impl <= {c["id"] for c in load_catalog()}


def test_every_catalog_id_is_tested_in_pass_fail_and_unknown() -> None:
    for c in load_catalog():
        cid = c["id"]
        if c["kind"] == "manual" or cid == "okta-smart-card-idp-dod-ca":
            assert cid in outcomes.MANUAL, cid
        if c["kind"] == "automated" and cid != "okta-smart-card-idp-dod-ca":
            assert cid in outcomes.AUTOMATED, cid  # parametrised pass test
        if c["kind"] == "automated":
            assert cid in outcomes.FAIL, f"{cid} has no fail/warning case"
            assert cid in outcomes.UNKNOWN, f"{cid} has no unknown case"


def test_module_level_catalog_function() -> None:
    items = engine.catalog()
    assert items == load_catalog() and len(items) >= 60
    items[0]["title"] = "changed"
    assert engine.catalog()[0]["title"] != "changed"  # callers get copies


def test_docs_checks_md_matches_the_generator() -> None:
    committed = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/checks.md is stale: run python scripts/gen_checks_doc.py"
    for c in load_catalog():
        assert f"`{c['id']}`" in committed


def test_docs_module_entry_point_prints_the_table() -> None:
    out = subprocess.run([sys.executable, "-m", "connector_okta.checks.docs"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out == render()


# Every Okta field the checks read, checked against the property names in the Management API spec, so no check
# reads a field Okta does not serve (okta-inspector's useUpperCase, IdentityFirst's settings.complexity).
FIELDS_READ = {
    "maxSessionIdleMinutes", "maxSessionLifetimeMinutes", "usePersistentCookie", "requireFactor",
    "factorPromptMode", "sessionIdleTimeoutMinutes", "sessionMaxLifetimeMinutes", "minLength", "minUpperCase",
    "minLowerCase", "minNumber", "minSymbol", "minAgeMinutes", "maxAgeDays", "historyCount", "maxAttempts",
    "exclude", "excludeUsername", "excludeAttributes", "breachedProtection", "expireAfterDays", "logoutEnabled",
    "userLockoutNotificationChannels", "selfServicePasswordReset", "selfServiceUnlock", "stepUp", "accessControl",
    "appSignOn", "verificationMethod", "factorMode", "constraints", "possession", "phishingResistant",
    "accessPolicy", "allowedFor", "channelBinding", "compliance", "fips", "userVerification", "network",
    "connection", "include", "riskScore", "device", "excludeZones", "action", "usage", "ipServiceCategories",
    "proxyType", "grant_types", "features", "origin", "grantTypes", "accessTokenLifetimeMinutes",
    "refreshTokenLifetimeMinutes", "accountLink", "filter", "trustClaims", "mapAMRClaims", "provisioning",
    "support", "expiration", "contactType", "userId", "lastLogin", "passwordChanged", "factorType", "tokenWindow",
    "expiresAt", "lastUpdated", "recovery", "authenticators", "enroll", "system", "priority",
}


def _property_names(node: object, out: set[str]) -> None:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            out.update(props)
        for v in node.values():
            _property_names(v, out)
    elif isinstance(node, list):
        for v in node:
            _property_names(v, out)


def _keys(node: object, out: set[str]) -> None:
    if isinstance(node, dict):
        out.update(k for k in node if isinstance(k, str))
        for v in node.values():
            _keys(v, out)
    elif isinstance(node, list):
        for v in node:
            _keys(v, out)


def test_fields_read_exist_in_the_okta_spec() -> None:
    schemas = okta_spec()["components"]["schemas"]
    names: set[str] = set()
    _property_names(schemas, names)
    # served but missing from the schemas: mapAMRClaims appears only in the spec's IdP response examples
    example_keys: set[str] = set()
    _keys(spec_examples(), example_keys)
    assert not FIELDS_READ - names - {"mapAMRClaims"}, FIELDS_READ - names
    assert "mapAMRClaims" in example_keys
    assert "useUpperCase" not in names  # the field other tools read does not exist


REFERENCE = REPO.parent / "shared" / "reference" / "okta-posture-checks.md"


def test_the_standards_file_lists_the_29_stig_rules_each_covered_or_manual() -> None:
    """standards.toml (package data) holds the DISA Okta IDaaS STIG V1R2 rules the host renders: the 29 Vuln IDs
    with their STIG IDs and CAT, each mapped to a check of the catalog or marked manual; HealthInsight's tasks."""
    from connector_okta.checks.catalog import load_standards, standard_entries, validate_standards
    from connector_okta.plugin import connector_checks

    standards = {s["key"]: s for s in load_standards()}
    stig = standards["stig"]
    assert stig["name"] == STIG and set(standards) == {"stig", "healthinsight"}
    rules = {r["id"]: r for r in stig["rules"]}
    assert len(stig["rules"]) == len(rules) == 29 and set(rules) == set(STIG_V1R2)
    assert {v: rules[v].get("alt_id") for v in rules} == STIG_V1R2
    assert {v for v, r in rules.items() if r["category"] == "CAT I"} == {"V-273193", "V-273194", "V-273202"}
    assert {r["category"] for r in rules.values()} == {"CAT I", "CAT II"}
    catalog = load_catalog()
    for vuln, rule in rules.items():
        checks = [c["id"] for c in catalog if vuln in c["references"]["requirements"]
                  and STIG in c["references"]["standards"]]
        assert checks or rule.get("manual"), f"{vuln} maps to no check and is not marked manual"
    # the titles are the reference's, word for word (its table of the 29 rules)
    if REFERENCE.exists():
        table = {}
        for line in REFERENCE.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 5 and re.match(r"^V-\d+$", cells[1]):
                table[cells[1]] = re.sub(r"^\*\(V1R2\)\* ", "", cells[4])
        assert {v: r["title"] for v, r in rules.items()} == table
    hi = standards["healthinsight"]
    assert all(r["id"] == "HealthInsight: " + r["title"] for r in hi["rules"][:7])
    # published through connector_checks as entries of kind "standard", after the checks
    entries = [e for e in connector_checks() if e.get("kind") == "standard"]
    assert entries == standard_entries() and [e["id"] for e in entries] == ["standard:stig", "standard:healthinsight"]
    # the validator refuses a rule no check covers unless it is marked manual, and duplicates
    bad = [{"key": "x", "name": STIG, "label": "X", "rules": [{"id": "V-1", "title": "t"}, {"id": "V-1", "title": "t"},
                                                                 {"id": "V-2", "title": "t", "manual": True}]}]
    problems = validate_standards(bad, catalog)
    assert any("V-1 is covered by no check" in p for p in problems) and any("listed twice" in p for p in problems)
    assert not any("V-2" in p for p in problems)
