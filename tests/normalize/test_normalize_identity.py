"""Asset uids are unique across the org even where Okta's ids are not (docs/schema.md, "Asset identity").

Real Okta derives a standard role's assignment id from the role type (``KVJUKUS7IFCE2SKO`` is ``USER_ADMIN``), so
every principal holding the role lists the same id. The uid of a role assignment is scoped by its principal, the
``has_role`` edge names that same uid, and every other collection keeps the Okta id.
"""

from __future__ import annotations

import base64

import pytest
from normalize_support import ORG, make_record

from connector_okta import collect, identity
from connector_okta.normalize import NormalizationError, normalize_asset
from connector_okta.resources import BY_NAME, RESOURCES

BASE = "https://acme.okta.com"
USER_ADMIN = "KVJUKUS7IFCE2SKO"


def _role(assignee: str, assignment_type: str = "USER", rid: str = USER_ADMIN) -> dict:
    return {"id": rid, "label": "Group Administrator", "type": "USER_ADMIN", "status": "ACTIVE",
            "assignmentType": assignment_type, "created": "2019-02-06T16:17:40.000Z",
            "lastUpdated": "2019-02-06T16:17:40.000Z", "_links": {"assignee": {"href": f"{BASE}/api/v1/{assignee}"}}}


def _records(stream: str, item: dict, parent_id: str | None) -> list[dict]:
    return [m["record"] for m in collect.records_for(BY_NAME[stream], item, dict(ORG), parent_id)]


def test_the_spec_role_ids_are_the_role_type_in_base32():
    # the reason for the scoping: the ids in the spec's StandardRolesListResponse decode to their role type
    for rid, role_type in ((USER_ADMIN, "USER_ADMIN"), ("IFIFAX2BIRGUSTQ", "APP_ADMIN"),
                           ("JBCUYUC7IRCVGS27IFCE2SKO", "HELP_DESK_ADMIN")):
        assert base64.b32decode(rid + "=" * (-len(rid) % 8)).decode() == role_type


def test_user_admin_on_three_groups_and_two_users_gives_five_assets_and_matching_edges():
    """The issue's case: one id, five assignments; each is its own asset and its edge names it."""
    listed = [("group_roles", f"00g{i}", _role(f"groups/00g{i}", "GROUP")) for i in range(3)]
    listed += [("user_roles", f"00u{i}", _role(f"users/00u{i}")) for i in range(2)]
    uids = []
    for stream, parent, item in listed:
        records = _records(stream, item, parent)
        (asset,) = [r for r in records if r["kind"] == "asset"]
        (edge,) = [r for r in records if r["kind"] == "relationship"]
        uid = normalize_asset(asset)["unmapped"]["source"]["uid"]
        assert edge["data"]["to"] == {"type": "role_assignment", "uid": uid}
        assert edge["data"]["from"]["uid"] == parent
        assert asset["parent"]["uid"] == parent
        uids.append(uid)
    assert uids == [f"group/00g{i}/role/{USER_ADMIN}" for i in range(3)] + [f"user/00u{i}/role/{USER_ADMIN}"
                                                                           for i in range(2)]


def test_a_user_holding_a_role_directly_and_through_two_groups_gets_three_uids():
    # /users/{id}/roles lists the user's own assignment and those of its groups, each with the type's id
    items = [_role("users/00u1"), _role("groups/00gA", "GROUP"), _role("groups/00gB", "GROUP")]
    uids = [normalize_asset(_records("user_roles", it, "00u1")[0])["unmapped"]["source"]["uid"] for it in items]
    assert uids == [f"user/00u1/role/{USER_ADMIN}", f"user/00u1/role/{USER_ADMIN}/via/group/00gA",
                    f"user/00u1/role/{USER_ADMIN}/via/group/00gB"]


def test_user_roles_records_name_their_parent_as_a_user():
    (asset,) = [r for r in _records("user_roles", _role("users/00u1"), "00u1") if r["kind"] == "asset"]
    assert asset["parent"] == {"type": "user", "uid": "00u1"}
    event = normalize_asset(asset)
    assert event["unmapped"]["source"]["parent"] == {"type": "user", "uid": "00u1"}
    assert event["resources"][0]["uid"] == event["unmapped"]["source"]["uid"] == f"user/00u1/role/{USER_ADMIN}"
    assert event["resources"][0]["name"] == "Group Administrator"
    assert event["unmapped"]["source"]["raw"]["id"] == USER_ADMIN  # the Okta object is kept as served


def test_a_role_without_parent_takes_the_assignee_and_without_either_is_refused():
    client = dict(_role("x"), _links={"assignee": {"href": f"{BASE}/oauth2/v1/clients/0jrabyQWm4B9zVJPbotY/roles"}})
    event = normalize_asset(make_record("user_roles", client))
    assert event["unmapped"]["source"]["uid"] == f"client/0jrabyQWm4B9zVJPbotY/role/{USER_ADMIN}"
    bare = {k: v for k, v in _role("x").items() if k != "_links"}
    with pytest.raises(NormalizationError, match="unique only per principal"):
        normalize_asset(make_record("group_roles", bare))
    assert identity.asset_uid("policies", "00p1", {}, None) == "00p1"  # not principal-scoped: no parent needed


def test_uids_are_deterministic():
    rec = _records("group_roles", _role("groups/00g1", "GROUP"), "00g1")[0]
    again = dict(rec, emitted_at=rec["emitted_at"] + 1000)
    assert normalize_asset(rec)["unmapped"]["source"]["uid"] == normalize_asset(again)["unmapped"]["source"]["uid"]


@pytest.mark.parametrize("res", [r for r in RESOURCES if r.asset_type and r.principal is None], ids=lambda r: r.name)
def test_every_other_collection_keeps_the_okta_id(res):
    item = {"id": "0xx1abcdEFGHijkl0x7", "name": "n", "_links": {"assignee": {"href": f"{BASE}/api/v1/users/00u9"}}}
    records = collect.records_for(res, item, dict(ORG), "00p1" if res.parent else None)
    assets = [m["record"] for m in records if m["record"]["kind"] == "asset"]
    assert assets, res.name
    assert normalize_asset(assets[0])["unmapped"]["source"]["uid"] == item["id"]


def test_only_role_assignments_are_principal_scoped():
    # an audit guard: a new principal-scoped collection must be added to docs/schema.md's table and these tests
    assert {r.name: r.principal for r in RESOURCES if r.principal} == {"user_roles": "user", "group_roles": "group"}
