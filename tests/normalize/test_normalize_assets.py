"""The asset normaliser: mapping, identity, tolerance (hand-written records shaped like Okta's)."""

from __future__ import annotations

import copy

import pytest
from normalize_support import ORG, make_record

from connector_okta.normalize import NormalizationError, normalize_asset, singleton_uid

USER = {
    "id": "00u1abcd",
    "status": "ACTIVE",
    "created": "2024-01-02T03:04:05.000Z",
    "lastLogin": "2025-06-30T12:00:00.000Z",
    "passwordChanged": "2025-03-01T00:00:00.000Z",
    "lastUpdated": "2025-06-30T12:00:01.000Z",
    "profile": {"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada", "lastName": "L"},
}


def test_user_maps_identity_times_and_state(assert_valid):
    event = normalize_asset(make_record("users", USER))
    assert_valid("asset", event)
    assert (event["class_uid"], event["activity_id"], event["type_uid"]) == (5003, 2, 500302)
    user = event["user"]
    assert user["uid"] == "00u1abcd" and user["name"] == "ada@example.com"
    assert user["email_addr"] == "ada@example.com" and user["full_name"] == "Ada L"
    assert user["account"] == {"uid": "00u1abcd", "name": "ada@example.com", "type_id": 99, "type": "Okta"}
    assert user["ldap_person"]["last_login_time"] == 1751284800000
    assert user["type_id"] == 0, "no enrichment: whether the user is an admin is unknown"
    assert "has_mfa" not in user
    source = event["unmapped"]["source"]
    assert source["password_changed_time"] == 1740787200000
    assert (source["is_disabled"], source["is_locked"]) == (False, False)
    assert event["time"] == 1764345600000 and event["severity_id"] == 1


@pytest.mark.parametrize(
    ("status", "disabled", "locked"),
    [("LOCKED_OUT", False, True), ("SUSPENDED", True, False), ("DEPROVISIONED", True, False),
     ("SOME_NEW_STATUS", None, None), (None, None, None)],
)
def test_user_account_state(status, disabled, locked, assert_valid):
    event = normalize_asset(make_record("users", {**USER, "status": status}))
    assert_valid("asset", event)
    source = event["unmapped"]["source"]
    assert (source["is_disabled"], source["is_locked"]) == (disabled, locked)


def test_user_enrichment_sets_admin_and_mfa(assert_valid):
    enrichment = {"is_admin": True, "has_mfa": False, "groups": ["00g1", {"id": "00g2", "profile": {"name": "Admins"}}],
                  "roles": ["SUPER_ADMIN"]}
    event = normalize_asset(make_record("users", USER, enrichment=enrichment))
    assert_valid("asset", event)
    assert event["user"]["type_id"] == 2 and event["user"]["has_mfa"] is False
    assert event["user"]["groups"] == [{"uid": "00g1"}, {"uid": "00g2", "name": "Admins"}]
    assert event["unmapped"]["source"]["roles"] == ["SUPER_ADMIN"]
    plain = normalize_asset(make_record("users", USER, enrichment={"is_admin": False, "has_mfa": True}))
    assert plain["user"]["type_id"] == 1 and plain["user"]["has_mfa"] is True


def test_user_factors_give_the_factor_types_and_has_mfa(assert_valid):
    """An admin's factors, when the sync read them: the active types in unmapped.source.factors, and OCSF
    user.has_mfa decided from them; without a read list nothing is claimed (not "no MFA")."""
    factors = [{"id": "f1", "factorType": "webauthn", "status": "ACTIVE"},
               {"id": "f2", "factorType": "sms", "status": "PENDING_ACTIVATION"},
               {"id": "f3", "factorType": "push", "status": "ACTIVE"}, 42, {"status": "ACTIVE"}]
    event = normalize_asset(make_record("users", USER, enrichment={"is_admin": True, "factors": factors}))
    assert_valid("asset", event)
    assert event["unmapped"]["source"]["factors"] == ["push", "webauthn"] and event["user"]["has_mfa"] is True
    none = normalize_asset(make_record("users", USER, enrichment={"is_admin": True,
                                                                  "factors": [{"factorType": "sms",
                                                                               "status": "INACTIVE"}]}))
    assert none["unmapped"]["source"]["factors"] == [] and none["user"]["has_mfa"] is False
    assert_valid("asset", none)
    unread = normalize_asset(make_record("users", USER, enrichment={"is_admin": True}))
    assert "factors" not in unread["unmapped"]["source"] and "has_mfa" not in unread["user"]
    said = normalize_asset(make_record("users", USER, enrichment={"has_mfa": False, "factors": ["push"]}))
    assert said["user"]["has_mfa"] is False  # the sync's own word wins


def test_wrong_types_keep_raw_and_stay_valid(assert_valid):
    odd = {"id": 12345, "status": ["ACTIVE"], "created": 1700000000, "lastLogin": "yesterday",
           "profile": ["not", "a", "dict"], "passwordChanged": {"x": 1}}
    event = normalize_asset(make_record("users", odd))
    assert_valid("asset", event)
    assert event["user"]["uid"] == "12345" and event["user"]["name"] == "12345"
    assert "ldap_person" not in event["user"], "epoch seconds and garbage are not passed off as ms"
    assert event["unmapped"]["source"]["raw"] == odd


def test_invalid_email_is_not_mapped(assert_valid):
    event = normalize_asset(make_record("users", {**USER, "profile": {**USER["profile"], "email": "not an email"}}))
    assert_valid("asset", event)
    assert "email_addr" not in event["user"]


def test_other_objects_are_cloud_resources(assert_valid):
    rule = {"id": "0pr1", "name": "Default Rule", "type": "SIGN_ON", "status": "ACTIVE", "priority": 1,
            "created": "2024-01-01T00:00:00.000Z", "someNewField": {"nested": True}}
    event = normalize_asset(make_record("policy_rules", rule, parent={"type": "policy", "uid": "00p1"}))
    assert_valid("asset", event)
    assert (event["class_uid"], event["type_uid"], event["category_uid"]) == (5023, 502302, 5)
    res = event["resources"][0]
    assert res["uid"] == "0pr1" and res["name"] == "Default Rule" and res["type"] == "Okta Policy Rule"
    assert res["created_time"] == 1704067200000
    assert "status:ACTIVE" in res["labels"] and "type:SIGN_ON" in res["labels"]
    assert event["unmapped"]["source"]["parent"] == {"type": "policy", "uid": "00p1"}
    assert event["unmapped"]["source"]["raw"]["someNewField"] == {"nested": True}


def test_group_and_app_names():
    group = normalize_asset(make_record("groups", {"id": "00g1", "profile": {"name": "Everyone"}}))
    app = normalize_asset(make_record("apps", {"id": "0oa1", "name": "saasure", "label": "Okta Admin Console"}))
    assert group["resources"][0]["name"] == "Everyone"
    assert app["resources"][0]["name"] == "Okta Admin Console"


def test_unknown_stream_still_normalises(assert_valid):
    event = normalize_asset(make_record("brand_themes", {"id": "th1"}))
    assert_valid("asset", event)
    assert event["resources"][0]["type"] == "Okta Brand Theme"


def test_relationships_and_results_are_not_assets():
    edge = {"relation": "member_of", "from": {"type": "user", "uid": "00u1"}, "to": {"type": "group", "uid": "00g1"}}
    assert normalize_asset(make_record("group_members", edge, kind="relationship")) is None
    assert normalize_asset(make_record("check_results", {"check_id": "x"}, kind="check_result")) is None


def test_org_settings_without_id_get_deterministic_uid(assert_valid):
    event = normalize_asset(make_record("threat_insight", {"action": "block", "excludeZones": []}))
    assert_valid("asset", event)
    assert event["resources"][0]["uid"] == singleton_uid(ORG["uid"], "threat_insight")
    contact = normalize_asset(make_record("org_contacts", {"contactType": "TECHNICAL"}))
    assert contact["resources"][0]["uid"] == f"{ORG['uid']}:org_contacts:TECHNICAL"


def test_org_names_itself_as_tenant(assert_valid):
    record = make_record("org", {"id": "00oORG", "companyName": "Acme", "subdomain": "acme"})
    del record["org"]
    event = normalize_asset(record)
    assert_valid("asset", event)
    assert event["metadata"]["tenant_uid"] == "00oORG" and event["resources"][0]["name"] == "Acme"


@pytest.mark.parametrize(
    "record",
    [
        make_record("groups", {"profile": {"name": "no id"}}),
        make_record("groups", None),
        make_record("groups", ["a", "list"]),
        {**make_record("groups", {"id": "00g1"}), "org": None},
        {**make_record("groups", {"id": "00g1"}), "stream": None},
        "not a record",
    ],
)
def test_unidentifiable_records_raise_a_clear_error(record):
    with pytest.raises(NormalizationError) as err:
        normalize_asset(record)
    assert str(err.value)


def test_emitted_at_in_seconds_becomes_ms(assert_valid):
    event = normalize_asset(make_record("groups", {"id": "00g1"}, emitted_at=1764345600))
    assert_valid("asset", event)
    assert event["time"] == 1764345600000


def test_normaliser_is_pure():
    record = make_record("users", copy.deepcopy(USER), enrichment={"is_admin": True})
    before = copy.deepcopy(record)
    first = normalize_asset(record)
    first["unmapped"]["source"]["raw"]["profile"]["login"] = "changed"
    assert record == before
    assert normalize_asset(record) == normalize_asset(copy.deepcopy(before))


@pytest.mark.parametrize(
    ("value", "ms"),
    [("2013-06-24T16:39:18.000Z", 1372091958000), ("2024-01-02T03:04:05Z", 1704164645000),
     ("2024-01-02T03:04:05.123456789Z", 1704164645123), ("2024-01-02T03:04:05+02:00", 1704157445000),
     (1704164645000, 1704164645000), (1704164645, None), (True, None), ("yesterday", None), (None, None),
     ("0001-01-01T00:00:00Z", None)],
)
def test_okta_times_become_epoch_ms(value, ms):
    from connector_okta.normalize.common import to_ms

    assert to_ms(value) == ms


def test_device_maps_platform_and_hardware(assert_valid):
    device = {"id": "guo1", "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
              "profile": {"displayName": "Ada's Mac", "platform": "MACOS", "manufacturer": "Apple",
                          "model": "MacBookPro18,1", "osVersion": "14.2", "serialNumber": "C02X", "udid": "u-1"}}
    event = normalize_asset(make_record("devices", device))
    assert_valid("asset", event)
    d = event["device"]
    assert (d["uid"], d["name"], d["type_id"], d["vendor_name"]) == ("guo1", "Ada's Mac", 99, "Apple")
    assert d["os"] == {"name": "MACOS", "type_id": 300, "version": "14.2"}
    assert d["hw_info"] == {"serial_number": "C02X"} and d["created_time"] == 1704067200000
    unknown = normalize_asset(make_record("devices", {"id": "guo2", "profile": {"platform": "VISIONOS"}}))
    assert_valid("asset", unknown)
    assert unknown["device"]["type_id"] == 0 and unknown["device"]["os"]["type_id"] == 0
