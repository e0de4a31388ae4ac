"""The Asset View (issue 16): a user's status, last sign-in, MFA factors, admin roles, groups and failing findings;
filters by status, admin and type (unknown values refused with the valid ones); console links built from the org
URL and the object's id; assets and findings link both ways."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from connector_host import cli
from connector_host.posture.assets import console_url, detail, display_name, list_assets, statuses
from connector_host.store import StagedRelationship, Store
from posture_data import ASSETS, make_store, results


@pytest.fixture
def pstore(tmp_path: Path):
    store = make_store(tmp_path / "p.db", second=False)
    acme = store.get_integration("acme").id
    sid = store.start_sync(acme)
    store.stage(sid, ASSETS, results(), [StagedRelationship("group_members", "member_of", "user", "00u1", "group",
                                                            "g1")])
    store.finish_sync(sid, "succeeded")
    yield store
    store.close()


def test_user_facts_filters_and_findings(pstore: Store) -> None:
    acme = pstore.get_integration("acme").id
    page = list_assets(pstore, acme, type="user")
    by = {a["uid"]: a for a in page.items}
    alice = by["00u1"]
    assert alice["facts"]["status"] == "ACTIVE" and alice["facts"]["roles"] == ["SUPER_ADMIN"]
    assert alice["facts"]["last_login"] == 1_700_000_000_000 and alice["facts"]["full_name"] == "Alice Adams"
    assert alice["failing"] == 1 and alice["group_count"] == 1 and by["00u2"]["failing"] == 0
    assert [a["uid"] for a in list_assets(pstore, acme, admin=True).items] == ["00u1", "00u2"]
    assert [a["uid"] for a in list_assets(pstore, acme, status="SUSPENDED").items] == ["00u3"]
    assert dict(statuses(pstore, acme, "user")) == {"ACTIVE": 2, "SUSPENDED": 1}
    pstore.add_exception(acme, "admin-mfa", kind="accepted_risk", reason="r", author="a", resource_uid="00u1")
    assert list_assets(pstore, acme, type="user").items[0]["failing"] == 0  # excepted: not counted
    d = detail(pstore, alice["id"])
    assert d["facts"]["factors"] == []  # from the admin check's evidence: no active factor
    assert d["findings"][0]["check_id"] == "admin-mfa" and d["findings"][0]["exception"]["kind"] == "accepted_risk"
    assert d["console_url"] == "https://acme-admin.okta.com/admin/user/profile/view/00u1"


def test_console_urls() -> None:
    cfg = {"org_url": "https://acme.okta.com"}
    assert console_url("okta", cfg, "group", "00g1") == "https://acme-admin.okta.com/admin/group/00g1"
    assert console_url("okta", {"org_url": "https://x.oktapreview.com/"}, "app", "0oa1", {"app_name": "oidc_client"}) \
        == "https://x-admin.oktapreview.com/admin/app/oidc_client/instance/0oa1/"
    assert console_url("okta", cfg, "policy", "p1", {"kind": "PASSWORD"}).endswith("/admin/access/authenticators")
    assert console_url("okta", {"org_url": "https://login.acme.example"}, "user", "00u1") is None  # custom domain
    assert console_url("okta", {"org_url": "http://127.0.0.1:9000"}, "user", "00u1") is None
    assert console_url("other", cfg, "user", "00u1") is None
    assert console_url("okta", cfg, "role_assignment", "user/00u1/role/x").endswith("/admin/access/admins")
    assert display_name("o1:admin_console_settings", "o1:admin_console_settings",
                        {"unmapped": {"source": {"label": "Okta Admin Console Settings"}}}) == "Okta Admin Console Settings"


def test_cli_assets_filters(pstore: Store) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["--store", str(pstore.path), *argv], registry=cli.Registry(connectors={}), stdout=out,
                        stderr=err)
        return code, out.getvalue(), err.getvalue()

    code, out, _ = run("assets", "--type", "user", "--admin")
    assert code == 0 and "alice@example.com (Alice Adams)" in out and "SUPER_ADMIN" in out and "carol" not in out
    code, _, err = run("assets", "--type", "usr")
    assert code == 2 and "policy, user" in err  # the valid types listed
    code, _, err = run("assets", "--status", "gone-fishing")
    assert code == 2 and "ACTIVE, SUSPENDED" in err
    assert json.loads(run("assets", "--status", "suspended", "--json")[1])["total"] == 1
    code, out, _ = run("asset", "00u1")
    assert "MFA factors: none active" in out and "admin console: https://acme-admin.okta.com" in out
