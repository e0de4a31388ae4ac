"""Property tests: arbitrary Okta-shaped JSON never breaks the normalisers and always validates."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector_okta.identity import assignee_of, principal_of
from connector_okta.normalize import NormalizationError, normalize_asset, normalize_finding
from connector_okta.normalize.common import as_uid
from connector_okta.normalize.streams import KINDS

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OKTA_KEYS = ["id", "status", "created", "lastUpdated", "lastLogin", "passwordChanged", "statusChanged", "name",
             "label", "type", "signOnMode", "priority", "system", "profile", "settings", "conditions", "actions",
             "_links", "_embedded", "credentials", "contactType", "displayName", "companyName", "subdomain"]
PROFILE_KEYS = ["login", "email", "firstName", "lastName", "displayName", "name", "platform", "manufacturer",
                "model", "osVersion", "serialNumber", "udid", "mobilePhone", "title", "employeeNumber"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63), st.floats(allow_nan=False),
    st.text(max_size=30), st.tuples(st.text(min_size=1, max_size=3), st.integers(2000, 8000)).map(lambda t: t[0] * t[1]),  # huge
    st.sampled_from(["ACTIVE", "SUSPENDED", "LOCKED_OUT", "DEPROVISIONED", "BRAND_NEW_ENUM", "IOS", "WINDOWS",
                     "2024-01-02T03:04:05.000Z", "2024-13-45T99:99:99Z", "0001-01-01T00:00:00Z",
                     "9999-12-31T23:59:59.999Z", "a@b.co", "not-an-email", ""]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
profiles = st.dictionaries(st.sampled_from(PROFILE_KEYS), json_values, max_size=8)
okta_objects = st.dictionaries(
    st.sampled_from(OKTA_KEYS), st.one_of(json_values, profiles), max_size=12
) | st.fixed_dictionaries({"id": st.text(min_size=1, max_size=20), "profile": profiles})
streams = st.sampled_from([k.stream for k in KINDS] + ["some_new_stream", "x"])
orgs = st.one_of(
    st.fixed_dictionaries({"uid": st.just("00o1"), "name": st.text(max_size=20)}),
    st.just({"uid": "00o1"}), json_values,
)
emitted = st.one_of(st.just(1764345600000), st.integers(min_value=10**12, max_value=10**13), json_values)
enrichment = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "is_admin": json_values, "has_mfa": json_values, "groups": json_values, "roles": json_values}))
parents = st.one_of(st.none(), st.fixed_dictionaries({"type": st.sampled_from(["user", "group", "policy"]),
                                                      "uid": st.text(min_size=1, max_size=20)}), json_values)


@SETTINGS
@given(stream=streams, data=st.one_of(okta_objects, json_values), org=orgs, emitted_at=emitted,
       enrichment=enrichment, parent=parents)
def test_any_okta_object_normalises_or_is_rejected_for_no_id(assert_valid, stream, data, org, emitted_at,
                                                               enrichment, parent):
    record = {"stream": stream, "kind": "asset", "org": org, "data": data, "emitted_at": emitted_at}
    if enrichment is not None:
        record["enrichment"] = enrichment
    if parent is not None:
        record["parent"] = parent
    try:
        event = normalize_asset(record)
    except NormalizationError as err:
        org_uid = as_uid(org.get("uid")) if isinstance(org, dict) else None
        has_id = isinstance(data, dict) and (as_uid(data.get("id")) is not None or
                                             isinstance(data.get("contactType"), str) and data["contactType"])
        singleton = any(k.stream == stream and k.singleton for k in KINDS)
        # a role assignment's id is unique only per principal: without one (no parent, no assignee link) it is refused
        parent_uid = as_uid(parent.get("uid")) if isinstance(parent, dict) else None
        no_principal = (principal_of(stream) is not None and parent_uid is None
                        and not (isinstance(data, dict) and assignee_of(data)))
        # a uid over the profile's 512 characters is refused too (Okta ids are 20)
        too_long = "characters, not an Okta id" in str(err) and len(str(as_uid(data.get("id")))) > 20
        assert org_uid is None or not (has_id or singleton) or no_principal or too_long, \
            f"raised although the record has an id: {err}"
        return
    assert_valid("asset", event)
    assert event["unmapped"]["source"]["raw"] == (data if data is not None else {})


results = st.fixed_dictionaries(
    {"check_id": st.one_of(st.sampled_from(["okta-session-idle-timeout", "okta-admin-console-mfa", "nope"]),
                           json_values)},
    optional={"status": st.one_of(st.sampled_from(["pass", "warning", "fail", "manual", "unknown"]), json_values),
              "resource": st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["policy_rule", "org", "user"]),
                                                           "uid": json_values, "name": json_values}), json_values),
              "related": json_values, "message": json_values, "evidence": json_values, "profile": json_values},
)


@SETTINGS
@given(data=st.one_of(results, json_values), emitted_at=emitted)
def test_any_check_result_normalises_or_is_rejected_for_no_check_id(assert_valid, catalog, data, emitted_at):
    record = {"stream": "check_results", "kind": "check_result", "org": {"uid": "00o1"}, "data": data,
              "emitted_at": emitted_at}
    try:
        event = normalize_finding(record, catalog=catalog)
    except NormalizationError:
        assert not (isinstance(data, dict) and isinstance(data.get("check_id"), str) and data["check_id"])
        return
    assert_valid("finding", event)
    status = data.get("status")
    if event["compliance"]["status_id"] == 1:
        assert status == "pass", "only an explicit pass may become Pass"
