"""``GET /api/v1/org/contacts/{contactType}``: the contact type's user, as the list's ``_links`` point to it."""

from __future__ import annotations

import requests
from okta_sandbox.generator import generate, token_for_role
from sandbox_openapi_spec import violations


def test_contact_links_resolve_to_a_user_of_the_org(sandbox):
    org = generate("hardened", users=20, seed=1)
    sb = sandbox(org=org)
    h = {"Authorization": f"SSWS {token_for_role(org, 'SUPER_ADMIN')}"}
    listed = requests.get(sb.url + "/api/v1/org/contacts", headers=h, timeout=5).json()
    assert {c["contactType"] for c in listed} == {"BILLING", "TECHNICAL"}
    for contact in listed:
        href = next(iter(contact["_links"].values()))["href"]
        assert href.startswith(sb.url), href
        r = requests.get(href, headers=h, timeout=5)
        assert r.status_code == 200, r.text
        body = r.json()
        assert violations("/api/v1/org/contacts/{contactType}", body) == []
        user = requests.get(body["_links"]["user"]["href"], headers=h, timeout=5)
        assert user.status_code == 200 and user.json()["id"] == body["userId"]


def test_unknown_or_unset_contact_types(sandbox):
    org = generate("default", users=20, seed=1)
    org.org_contact_users = {"BILLING": org.users[3]["id"]}  # TECHNICAL listed but unset
    sb = sandbox(org=org)
    h = {"Authorization": f"SSWS {token_for_role(org, 'SUPER_ADMIN')}"}
    assert requests.get(sb.url + "/api/v1/org/contacts/BILLING", headers=h, timeout=5).json()["userId"] == \
        org.users[3]["id"]
    unset = requests.get(sb.url + "/api/v1/org/contacts/technical", headers=h, timeout=5)
    assert unset.status_code == 200 and "userId" not in unset.json()
    missing = requests.get(sb.url + "/api/v1/org/contacts/legal", headers=h, timeout=5)
    assert missing.status_code == 404 and missing.json()["errorCode"] == "E0000007"
    assert requests.get(sb.url + "/api/v1/org/contacts/technical", timeout=5).status_code == 401


def test_contact_users_default_to_the_first_admin_and_can_be_pinned(tmp_path):
    import json

    from okta_sandbox.ids import okta_id

    org = generate("weak", users=20, seed=2)
    assert org.org_contact_users == {"BILLING": okta_id("00u", 0), "TECHNICAL": okta_id("00u", 0)}
    (tmp_path / "org_contact_users.json").write_text(json.dumps({"TECHNICAL": okta_id("00u", 7)}))
    pinned = generate("weak", users=20, seed=2, scenario_dir=tmp_path)
    assert pinned.org_contact_users == {"TECHNICAL": okta_id("00u", 7)}
