"""Okta's own OpenAPI examples, wrapped in sync records, normalise and validate (our profile + OCSF 1.6.0)."""

from __future__ import annotations

import pytest
from normalize_support import SPEC_STREAMS, make_record

from connector_okta.identity import principal_of
from connector_okta.normalize import normalize_asset
from connector_okta.normalize.streams import CLASS_BY_STREAM

# the principal a role assignment list is read under (the spec's examples name none)
SPEC_PRINCIPALS = {"user": "00uSPECprincipal0001", "group": "00gSPECprincipal0001"}


def _uid_at_class_place(event: dict) -> str:
    if event["class_uid"] == 5003:
        return event["user"]["uid"]
    if event["class_uid"] == 5001:
        return event["device"]["uid"]
    return event["resources"][0]["uid"]


@pytest.mark.parametrize("stream", SPEC_STREAMS)
def test_spec_examples_normalise_and_validate(stream, spec_objects, assert_valid):
    examples = spec_objects[stream]
    assert examples, f"the spec has no 200 example for {stream}: the fixture paths are wrong"
    principal = principal_of(stream)
    for where, obj in examples:
        extra = {"parent": {"type": principal, "uid": SPEC_PRINCIPALS[principal]}} if principal else {}
        event = normalize_asset(make_record(stream, obj, **extra))
        assert event is not None, where
        assert_valid("asset", event)
        assert event["class_uid"] == CLASS_BY_STREAM.get(stream, 5023), where
        source = event["unmapped"]["source"]
        assert source["stream"] == stream
        assert source["raw"] == obj, f"{where}: the raw Okta object must be preserved unchanged"
        assert _uid_at_class_place(event) == source["uid"], where
        if "id" in obj and principal:  # role assignment ids are unique only per principal (docs/schema.md)
            assert source["uid"].startswith(f"{principal}/{SPEC_PRINCIPALS[principal]}/role/{obj['id']}"), where
        elif "id" in obj:
            assert source["uid"] == obj["id"], where
        assert event["metadata"]["tenant_uid"] == "00o1abcdEFGHijkl0x7"


def test_spec_users_map_profile_and_times(spec_objects):
    seen_login = 0
    for where, obj in spec_objects["users"]:
        event = normalize_asset(make_record("users", obj))
        user = event["user"]
        assert user["name"] == obj.get("profile", {}).get("login", obj["id"]), where
        if obj.get("lastLogin"):
            seen_login += 1
            ms = user["ldap_person"]["last_login_time"]
            assert ms == event["unmapped"]["source"]["last_login_time"]
            assert ms > 10**12, f"{where}: last login must be epoch ms, got {ms}"
        if obj.get("created"):
            assert user["ldap_person"]["created_time"] > 10**12
    assert seen_login, "no spec user example carries lastLogin: the time mapping went untested"


def test_spec_devices_carry_type_and_os(spec_objects):
    for where, obj in spec_objects["devices"]:
        device = normalize_asset(make_record("devices", obj))["device"]
        assert device["uid"] == obj["id"]
        assert isinstance(device["type_id"], int)
        platform = obj.get("profile", {}).get("platform")
        if platform in ("IOS", "ANDROID"):
            assert device["type_id"] == 5, where
        if platform:
            assert device["os"]["name"] == platform


def test_spec_singletons_get_deterministic_uids(spec_objects):
    for stream in ("org_support", "threat_insight", "admin_console_settings"):
        for _where, obj in spec_objects[stream]:
            first = normalize_asset(make_record(stream, obj))
            again = normalize_asset(make_record(stream, dict(obj), emitted_at=1764345699999))
            assert first["resources"][0]["uid"] == again["resources"][0]["uid"] == f"00o1abcdEFGHijkl0x7:{stream}"
