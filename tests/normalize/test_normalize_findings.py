"""The finding normaliser: check results -> Compliance Findings (2003) of our profile."""

from __future__ import annotations

import pytest
from normalize_support import FIXTURE_CATALOG, ORG, make_result

from connector_okta.normalize import NormalizationError, finding_uid, normalize_finding
from connector_okta.normalize.finding import shipped_catalog

RESULT = {
    "check_id": "okta-session-idle-timeout",
    "status": "fail",
    "resource": {"type": "policy_rule", "uid": "0pr1", "name": "Default Rule", "parent_uid": "00p1"},
    "related": [{"type": "policy", "uid": "00p1", "name": "Default Policy"}],
    "message": "Idle timeout is 120 minutes; the stig profile requires at most 15.",
    "evidence": {"maxSessionIdleMinutes": 120, "threshold": 15, "profile": "stig"},
    "profile": "stig",
}


def _finding(**changes):
    return normalize_finding(make_result({**RESULT, **changes}), catalog=FIXTURE_CATALOG)


def test_fail_result_maps_catalog_and_evidence(assert_valid):
    event = _finding()
    assert_valid("finding", event)
    assert (event["class_uid"], event["category_uid"], event["activity_id"], event["type_uid"]) == (2003, 2, 1, 200301)
    assert event["status_id"] == 1 and event["severity_id"] == 3
    info = event["finding_info"]
    assert info["title"] == FIXTURE_CATALOG["okta-session-idle-timeout"]["title"]
    assert info["desc"] == FIXTURE_CATALOG["okta-session-idle-timeout"]["rationale"]
    comp = event["compliance"]
    assert (comp["status_id"], comp["status"], comp["control"]) == (3, "Fail", "okta-session-idle-timeout")
    assert comp["standards"] == ["DISA Okta IDaaS STIG V1R2"]
    assert comp["requirements"] == ["V-273186", "OKTA-APP-000020"]
    assert event["resources"][0] == {"uid": "0pr1", "name": "Default Rule", "type": "Okta Policy Rule",
                                     "role_id": 1, "role": "Target"}
    assert event["resources"][1]["uid"] == "00p1" and event["resources"][1]["role_id"] == 4
    assert "Global Session Policy" in event["remediation"]["desc"] and "maxSessionIdleMinutes" in event["remediation"]["desc"]
    assert event["remediation"]["references"][0].startswith("https://")
    assert event["evidences"][0]["data"] == RESULT["evidence"]
    assert event["message"] == RESULT["message"]
    assert event["unmapped"]["source"]["status"] == "fail"


@pytest.mark.parametrize(
    ("status", "status_id", "text"),
    [("pass", 1, "Pass"), ("warning", 2, "Warning"), ("fail", 3, "Fail"), ("manual", 99, "Manual"),
     ("unknown", 0, "Unknown"), ("PASS", 0, "Unknown"), ("passed", 0, "Unknown"), (None, 0, "Unknown"),
     (True, 0, "Unknown"), (["pass"], 0, "Unknown")],
)
def test_status_mapping_never_invents_a_pass(status, status_id, text, assert_valid):
    event = _finding(status=status)
    assert_valid("finding", event)
    assert (event["compliance"]["status_id"], event["compliance"]["status"]) == (status_id, text)


def test_uid_is_deterministic_per_org_check_and_resource():
    a = _finding()
    b = normalize_finding({**make_result(dict(RESULT)), "emitted_at": 1799999999999}, catalog=FIXTURE_CATALOG)
    assert a["finding_info"]["uid"] == b["finding_info"]["uid"], "a later sync of the same state: same id"
    assert a["finding_info"]["uid"] == finding_uid(ORG["uid"], "okta-session-idle-timeout", "policy_rule", "0pr1")
    assert _finding(status="pass")["finding_info"]["uid"] == a["finding_info"]["uid"], "status is not identity"
    other_resource = _finding(resource={"type": "policy_rule", "uid": "0pr2"})
    other_check = _finding(check_id="okta-admin-console-mfa")
    other_org = normalize_finding({**make_result(dict(RESULT)), "org": {"uid": "00oOTHER"}}, catalog=FIXTURE_CATALOG)
    uids = {a["finding_info"]["uid"], other_resource["finding_info"]["uid"], other_check["finding_info"]["uid"],
            other_org["finding_info"]["uid"]}
    assert len(uids) == 4


def test_org_wide_result_without_resource_targets_the_org(assert_valid):
    event = _finding(resource=None, related=None)
    assert_valid("finding", event)
    assert event["resources"] == [{"uid": ORG["uid"], "name": ORG["name"], "type": "Okta Org", "role_id": 1,
                                   "role": "Target"}]


def test_manual_result_keeps_instructions(assert_valid):
    event = _finding(check_id="okta-admin-console-mfa", status="manual", evidence={})
    assert_valid("finding", event)
    assert event["compliance"]["status_id"] == 99 and event["compliance"]["requirements"] == []
    assert event["severity_id"] == 4
    assert event["unmapped"]["source"]["manual"].startswith("Open Security")


def test_missing_evidence_is_still_present_and_flagged(assert_valid):
    result = dict(RESULT)
    del result["evidence"]
    event = normalize_finding(make_result(result), catalog=FIXTURE_CATALOG)
    assert_valid("finding", event)
    assert event["evidences"][0]["data"] == {} and event["unmapped"]["source"]["evidence_missing"] is True


def test_check_missing_from_catalog_is_flagged_not_dropped(assert_valid):
    event = _finding(check_id="okta-not-in-catalog")
    assert_valid("finding", event)
    assert event["unmapped"]["source"]["catalog_missing"] is True
    assert event["severity_id"] == 0 and "okta-not-in-catalog" in event["finding_info"]["title"]


@pytest.mark.parametrize("data", [{"status": "fail"}, {"check_id": ""}, {"check_id": 7}, None, "x"])
def test_result_without_check_id_raises(data):
    with pytest.raises(NormalizationError, match="check_id"):
        normalize_finding(make_result(data), catalog=FIXTURE_CATALOG)


def test_every_shipped_catalog_check_normalises(assert_valid):
    catalog = shipped_catalog()
    if not catalog:
        pytest.skip("connector_okta/checks/catalog.toml is not there (or not valid) yet")
    for check_id, meta in catalog.items():
        for status in ("pass", "fail", "unknown", "manual"):
            event = normalize_finding(make_result({**RESULT, "check_id": check_id, "status": status}))
            assert_valid("finding", event)
            assert event["finding_info"]["title"] == meta["title"]
            refs = meta.get("references", {})
            assert event["compliance"]["requirements"] == [r for r in refs.get("requirements", []) if r]
            assert event["severity_id"] in (1, 2, 3, 4, 5), check_id
