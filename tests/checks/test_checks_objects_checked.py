"""Checks that report failing objects only say how many they judged (``objects_checked`` in their summary's
evidence, which the host shows as "N of M"), and the admin checks name admins by login, not by id."""

from __future__ import annotations

import pytest
from checks_fixtures import OLD, build_org, run


def _org() -> dict:
    o = build_org()
    for u in o["users"]:
        u["profile"] = dict(u.get("profile") or {}, login=f"{u['id'].lower()}@acme.example")
    return o


def summary(results: list[dict]) -> dict:
    (org,) = [r for r in results if r["resource"]["type"] == "org"]
    return org


@pytest.mark.parametrize("cid", ["okta-user-inactive", "okta-user-stale-pending", "okta-admin-stale",
                                 "okta-admin-password-age"])
def test_failing_only_checks_state_objects_checked(cid: str) -> None:
    o = _org()
    o["users"][1].update(lastLogin=OLD, passwordChanged=OLD)
    o["users"].append(dict(o["users"][2], id="00uStaged", status="STAGED", created=OLD,
                           profile={"login": "staged@acme.example"}))
    results = run(o, only=cid)
    s = summary(results)
    expected = {"okta-user-inactive": 3, "okta-user-stale-pending": 1, "okta-admin-stale": 2,
                "okta-admin-password-age": 2}[cid]
    assert s["evidence"]["objects_checked"] == expected, s["evidence"]
    assert len([r for r in results if r["resource"]["type"] == "user"]) <= expected


def test_admin_checks_name_admins_by_login() -> None:
    o = _org()
    for cid in ("okta-admin-no-mfa", "okta-admin-phishing-resistant-factor", "okta-admin-stale"):
        o["users"][1].update(lastLogin=OLD)
        users = [r["resource"] for r in run(o, only=cid) if r["resource"]["type"] == "user"]
        assert users and all(r["name"] == f"{r['uid'].lower()}@acme.example" for r in users), (cid, users)
    related = summary(run(o, only="okta-admin-super-admin-count"))["related"]
    assert related and all(r["name"].endswith("@acme.example") for r in related)
    # the users stream not read: the admins keep their ids as names (nothing invented)
    o.pop("users")
    users = [r["resource"] for r in run(o, only="okta-admin-no-mfa") if r["resource"]["type"] == "user"]
    assert users and all(r["name"] == r["uid"] for r in users)
