"""The collections as data: names, parents, buckets and scopes agree with the client and Okta's spec."""

from __future__ import annotations

import re

from reference_paths import OKTA_SPEC as SPEC
from reference_paths import require

from connector_okta.client.routes import bucket_for, route_template, scope_for_path
from connector_okta.resources import BY_NAME, NAMES, RESOURCES, SCOPES, probes

EXPECTED = {
    "org", "org_support", "org_contacts", "threat_insight", "admin_console_settings", "org_factors", "users",
    "groups", "group_members", "group_rules", "admin_users", "user_roles", "user_factors", "group_roles", "apps",
    "app_users",
    "app_groups", "policies", "policy_rules", "policy_mappings", "authenticators", "zones", "idps",
    "authorization_servers", "authorization_server_policies", "authorization_server_policy_rules", "api_tokens",
    "trusted_origins", "event_hooks", "inline_hooks", "log_streams", "behaviors", "device_assurances", "devices",
}


def _concrete(path: str) -> str:
    return path.replace("{parent_id}", "00g1abcdEFGH2345ijkl").replace("{grandparent_id}", "aus1abcdEFGH2345ijkl")


def test_names_are_exactly_the_collections_the_checks_rely_on():
    assert set(NAMES) == EXPECTED
    assert len(NAMES) == len(set(NAMES))


def test_parents_come_first_and_exist():
    seen: set[str] = set()
    for res in RESOURCES:
        if res.parent:
            assert res.parent in seen, f"{res.name} is read before its parent {res.parent}"
            assert "{parent_id}" in res.path
        else:
            assert "{" not in res.path
        seen.add(res.name)


def test_buckets_and_scopes_agree_with_the_client_routes():
    for res in RESOURCES:
        route = route_template(_concrete(res.path))
        assert bucket_for("GET", route) == res.bucket, res.name
        scope = scope_for_path(route)
        if scope is not None:
            assert scope == res.scope, res.name
    assert set(SCOPES) == {r.scope for r in RESOURCES}
    assert all(s.startswith("okta.") and s.endswith(".read") for s in SCOPES)


def test_policies_one_series_per_type_and_oie_only_types_dropped_on_classic():
    pol = BY_NAME["policies"]
    oie = [v["type"] for v in pol.variants_for("idx")]
    classic = [v["type"] for v in pol.variants_for("v1")]
    assert oie == ["OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY", "PROFILE_ENROLLMENT", "IDP_DISCOVERY"]
    assert classic == ["OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY"]


def test_full_user_listing_includes_deprovisioned():
    series = BY_NAME["users"].variants_for("idx")
    assert len(series) == 2
    assert all(s["limit"] == "200" for s in series)
    assert series[1]["filter"] == 'status eq "DEPROVISIONED"' and "filter" not in series[0]


def test_pipelines_and_modes():
    assert BY_NAME["org_factors"].pipelines == {"v1"}
    for name in ("authenticators", "device_assurances", "devices", "policy_mappings"):
        assert BY_NAME[name].pipelines == {"idx"}, name
    assert BY_NAME["behaviors"].pipelines == {"idx", "v1"}  # Behavior Detection is on Classic too
    for name in ("users", "app_users", "group_members", "devices"):
        assert BY_NAME[name].mode == "streamed", name
    for name in ("user_roles", "policy_rules", "app_groups", "group_roles"):
        assert BY_NAME[name].by_parent, name
    assert BY_NAME["group_roles"].fanout


def test_probes_cover_top_level_collections():
    got = {p["name"]: p for p in probes()}
    assert set(got) == {r.name for r in RESOURCES if not r.parent}
    assert got["users"]["path"] == "/api/v1/users"
    assert got["policies"]["path"] == "/api/v1/policies?type=OKTA_SIGN_ON"
    assert got["org_support"]["admin_role"] == "SUPER_ADMIN"
    assert got["authenticators"]["pipeline"] == "idx" and got["org_factors"]["pipeline"] == "v1"
    assert got["zones"]["pipeline"] is None


def test_every_path_is_in_okta_spec():
    require(SPEC, "Okta's OpenAPI spec")
    spec_paths = set(re.findall(r"^  (/\S+):\s*$", SPEC.read_text(encoding="utf-8"), re.M))
    templates = {re.sub(r"\{[^}]+\}", "{}", p) for p in spec_paths}
    for res in RESOURCES:
        if res.name == "org_factors":
            continue  # documented only in the (beta) factor-admin docs, not in the spec
        path = re.sub(r"\{[^}]+\}", "{}", res.path)
        if res.name == "admin_console_settings":
            path = "/api/v1/first-party-app-settings/{}"
        assert path in templates, f"{res.name}: {res.path} is not in the spec"


def test_default_oauth_scopes_are_exactly_the_manifest_scopes():
    """A user who grants the scopes the README and manifest list gets every scope the connector asks for."""
    import json
    from importlib import resources as importlib_resources

    schema = json.loads(importlib_resources.files("connector_okta").joinpath("schemas/config.schema.json").read_text())
    oauth = next(alt for alt in schema["properties"]["auth"]["oneOf"]
                 if alt["properties"]["method"].get("const") == "oauth")
    manifest = json.loads(importlib_resources.files("connector_okta").joinpath("manifest.json").read_text())
    assert sorted(oauth["properties"]["scopes"]["default"]) == sorted(manifest["permissions"]["scopes"])
    assert set(manifest["permissions"]["scopes"]) == set(SCOPES)
