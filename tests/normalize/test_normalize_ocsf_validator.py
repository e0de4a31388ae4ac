"""connector_host.ocsf: the shipped OCSF 1.6.0 class schemas are current and catch what they must."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest
from connector_host import ocsf
from normalize_support import make_record, make_result
from reference_paths import OCSF_SOURCE, require

from connector_okta.normalize import normalize_asset, normalize_finding

USER = {"id": "00u1", "status": "ACTIVE", "profile": {"login": "ada@example.com"}}


@pytest.fixture(scope="module")
def user_event():
    return normalize_asset(make_record("users", USER))


@pytest.fixture(scope="module")
def finding_event(catalog):
    return normalize_finding(
        make_result({"check_id": "okta-session-idle-timeout", "status": "fail", "evidence": {"x": 1},
                     "resource": {"type": "policy_rule", "uid": "0pr1"}}),
        catalog=catalog,
    )


def test_shipped_schemas_match_the_ocsf_source():
    require(OCSF_SOURCE, "The OCSF 1.6.0 source")
    built = ocsf.build_class_schemas(OCSF_SOURCE)
    for class_uid, schema in built.items():
        ref = resources.files("connector_host") / "schemas" / ocsf.SCHEMA_DIR / f"{class_uid}.json"
        shipped = json.loads(ref.read_text("utf-8"))
        assert shipped == json.loads(json.dumps(schema)), (
            f"{class_uid}.json is stale: run python scripts/build_ocsf_schemas.py"
        )


def test_compiled_schema_follows_ocsf_rules():
    user_inv = ocsf.class_schema(5003)
    assert user_inv["properties"]["class_uid"]["const"] == 5003
    assert user_inv["properties"]["category_uid"]["const"] == 5
    assert user_inv["properties"]["type_uid"]["enum"] == [500300, 500301, 500302, 500399]
    assert {"user", "metadata", "time", "severity_id", "cloud"} <= set(user_inv["required"])
    defs = ocsf.class_schema(2003)["$defs"]
    # compliance.status_id: the object's 1..3 merged with the dictionary's 0 Unknown / 99 Other
    assert defs["compliance"]["properties"]["status_id"]["enum"] == [0, 1, 2, 3, 99]
    assert defs["remediation"]["required"] == ["desc"]
    assert defs["finding_info"]["required"] == ["uid"]
    # data_classification profile attributes are left out (not applied)
    assert "data_classification" not in defs["resource_details"]["properties"]


def _problems(event):
    return ocsf.validation_errors(event)


def test_valid_events_pass(user_event, finding_event):
    assert _problems(user_event) == [] and _problems(finding_event) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda e: e.update(type_uid=5003002), "type_uid"),
        (lambda e: e.update(category_uid=2), "category_uid"),
        (lambda e: e.update(time="2025-01-01T00:00:00Z"), "time"),
        (lambda e: e.update(severity_id=7), "severity_id"),
        (lambda e: e.update(not_an_ocsf_attribute=1), "<event>"),
        (lambda e: e.pop("user"), "<event>"),
        (lambda e: e["user"].update(type_id=5), "user/type_id"),
        (lambda e: e["user"].update(email_addr="not an email"), "user/email_addr"),
        (lambda e: e["metadata"].pop("version"), "metadata"),
        (lambda e: e.update(device={"type_id": 1}), "<event>"),  # host profile attribute, not applied
    ],
)
def test_ocsf_validator_catches(user_event, change, where):
    event = copy.deepcopy(user_event)
    change(event)
    problems = _problems(event)
    assert problems, "the OCSF validator accepted a broken event"
    assert any(p.startswith(where) for p in problems), problems


def test_wrong_class_is_reported():
    assert _problems({"class_uid": 9999}) and _problems({})


def test_profile_catches_wrong_type_uid_and_seconds(user_event, finding_event, profile_errors):
    assert profile_errors("asset", user_event) == []
    wrong_type = {**copy.deepcopy(user_event), "type_uid": 5003002}
    assert any(p.startswith("type_uid") for p in profile_errors("asset", wrong_type))
    assert _problems(wrong_type)
    seconds = {**copy.deepcopy(user_event), "time": 1764345600}
    assert any(p.startswith("time") for p in profile_errors("asset", seconds))
    micro = {**copy.deepcopy(user_event), "time": 1764345600000000}
    assert any(p.startswith("time") for p in profile_errors("asset", micro))
    f_seconds = {**copy.deepcopy(finding_event), "time": 1764345600}
    assert any(p.startswith("time") for p in profile_errors("finding", f_seconds))
    f_type = {**copy.deepcopy(finding_event), "type_uid": 200302}
    assert any(p.startswith("type_uid") for p in profile_errors("finding", f_type))


@pytest.mark.parametrize(
    "path",
    [("finding_info", "uid"), ("finding_info", "title"), ("compliance", "standards"),
     ("compliance", "requirements"), ("compliance", "status_id"), ("remediation", "desc"), ("metadata", "tenant_uid")],
)
def test_profile_requires_what_the_host_relies_on(finding_event, profile_errors, path):
    event = copy.deepcopy(finding_event)
    del event[path[0]][path[1]]
    assert profile_errors("finding", event), f"{'.'.join(path)} must be required by finding.schema.json"


@pytest.mark.parametrize("key", ["resources", "evidences", "unmapped"])
def test_profile_requires_resources_and_evidence(finding_event, profile_errors, key):
    event = copy.deepcopy(finding_event)
    event[key] = [] if key != "unmapped" else {}
    assert profile_errors("finding", event)


def test_profile_requires_the_asset_uid_place(profile_errors):
    rule = normalize_asset(make_record("policy_rules", {"id": "0pr1", "name": "r"}))
    assert profile_errors("asset", rule) == []
    broken = copy.deepcopy(rule)
    del broken["resources"][0]["uid"]
    assert profile_errors("asset", broken)
    broken = copy.deepcopy(rule)
    del broken["unmapped"]["source"]["uid"]
    assert profile_errors("asset", broken)


def test_profiles_other_than_the_compiled_ones_are_reported(user_event):
    event = copy.deepcopy(user_event)
    event["metadata"]["profiles"] = ["cloud", "datetime"]
    assert any("datetime" in p for p in _problems(event))


def test_profile_requires_cloud_profile_and_tenant(user_event, profile_errors):
    for change in (lambda e: e.pop("cloud"), lambda e: e["metadata"].update(profiles=[]),
                   lambda e: e["cloud"].pop("org")):
        event = copy.deepcopy(user_event)
        change(event)
        assert profile_errors("asset", event)
