"""The JSON API: every route, with the CSRF header the page's script sends."""

from __future__ import annotations

from typing import Any

from web_helpers import csrf_token, form_for, wait_sync


def test_connectors_and_schema(client: Any) -> None:
    body = client.get("/api/connectors").get_json()
    okta = next(c for c in body["connectors"] if c["id"] == "okta")
    assert okta["name"] == "Okta" and okta["has_icon"] and "Identity" in okta["categories"]
    assert body["failures"] == []
    schema = client.get("/api/connectors/okta/schema").get_json()
    assert schema["required"] == ["org_url", "auth"]
    assert client.get("/api/connectors/nope/schema").status_code == 404


def test_create_update_patch_delete_integration(client: Any, org_sandbox: Any, store: Any) -> None:
    h = {"X-CSRFToken": csrf_token(client)}
    config = {"org_url": org_sandbox.url, "auth": {"method": "api_token", "token": org_sandbox.token},
              "allow_insecure_http_loopback": True, "check_profile": "stig"}
    bad = client.post("/api/integrations", json={"connector": "okta", "name": "a", "config": {**config, "org_url": ""}},
                      headers=h)
    assert bad.status_code == 422 and "org_url" in bad.get_json()["errors"]
    resp = client.post("/api/integrations", json={"connector": "okta", "name": "a", "config": config,
                                                  "interval_minutes": 60}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert created["config"]["auth"]["token"] == "<secret: encrypted>" and created["interval_minutes"] == 60
    assert org_sandbox.token not in resp.get_data(as_text=True)
    iid = created["id"]
    assert client.post("/api/integrations", json={"connector": "okta", "name": "a", "config": config},
                       headers=h).status_code == 409
    # PATCH: change one option; the secret and the rest are kept
    patched = client.patch(f"/api/integrations/{iid}", json={"config": {"check_profile": "baseline"}}, headers=h)
    assert patched.status_code == 200, patched.get_json()
    stored = store.get_integration(iid)
    assert stored.config["check_profile"] == "baseline" and stored.config["auth"]["token"]["$secret"] == "fernet"
    assert stored.config["allow_insecure_http_loopback"] is True
    # PUT without config: rename and change the frequency only
    put = client.put(f"/api/integrations/{iid}", json={"name": "b", "interval_minutes": 0}, headers=h)
    assert put.status_code == 200 and put.get_json()["name"] == "b" and put.get_json()["interval_minutes"] is None
    assert client.put(f"/api/integrations/{iid}", json={"interval_minutes": 5}, headers=h).status_code == 422
    listed = client.get("/api/integrations").get_json()["integrations"]
    assert [i["name"] for i in listed] == ["b"]
    assert client.get(f"/api/integrations/{iid}").get_json()["connector"] == "okta"
    assert client.delete(f"/api/integrations/{iid}", headers=h).get_json() == {"deleted": iid}
    assert client.get(f"/api/integrations/{iid}").status_code == 404
    assert client.post("/api/integrations", data="x", headers=h).status_code == 400


def test_test_connection_form_and_json(client: Any, org_sandbox: Any, configured: dict[str, Any]) -> None:
    h = {"X-CSRFToken": configured["csrf"]}
    # the page posts its form fields (new integration, secret typed)
    form = {**form_for(org_sandbox), "_connector": "okta"}
    res = client.post("/api/test-connection", data=form, headers=h).get_json()
    assert res["result"]["status"] == "succeeded", res
    caps = res["result"]["capabilities"]
    assert caps and {"name", "status"} <= set(caps[0])
    assert any(c["status"] == "ok" for c in caps) and any(c["status"] != "ok" for c in caps)
    # editing: the secret left empty uses the stored one
    edit = {**form_for(org_sandbox, **{"auth~0.token": ""}), "_integration": str(configured["id"])}
    assert client.post("/api/test-connection", data=edit, headers=h).get_json()["result"]["status"] == "succeeded"
    # a wrong token: a failed result of kind credentials, never the token
    wrong = client.post("/api/test-connection", json={"connector": "okta", "config": {
        "org_url": org_sandbox.url, "auth": {"method": "api_token", "token": "00wrong-token-value-xyz"},
        "allow_insecure_http_loopback": True}}, headers=h)
    body = wrong.get_json()
    assert body["result"]["status"] == "failed" and body["result"]["failure_kind"] == "credentials"
    assert "00wrong-token-value-xyz" not in wrong.get_data(as_text=True)
    # an invalid config is not sent to the connector
    invalid = client.post("/api/test-connection", json={"connector": "okta", "config": {"org_url": ""}}, headers=h)
    assert invalid.get_json()["result"]["failure_kind"] == "config" and "org_url" in invalid.get_json()["errors"]
    stored = client.post(f"/api/integrations/{configured['id']}/test", headers=h).get_json()
    assert stored["status"] == "succeeded"


def test_sync_progress_and_views(client: Any, configured: dict[str, Any]) -> None:
    h = {"X-CSRFToken": configured["csrf"]}
    iid = configured["id"]
    started = client.post(f"/api/integrations/{iid}/sync", headers=h)
    assert started.status_code == 202 and started.get_json()["running"] is True
    again = client.post(f"/api/integrations/{iid}/sync", headers=h)
    assert again.status_code in (202, 409)  # 409 while the first still runs
    status = wait_sync(client, iid)
    last = status["last_sync"]
    assert last["records"] > 0 and last["findings_seen"] > 0 and last["api_requests"] > 0
    hist = client.get(f"/api/history?integration={iid}").get_json()["items"]
    assert hist[0]["id"] == last["id"] and hist[0]["duration_seconds"] is not None
    page = client.get("/api/findings?severity=high&limit=5").get_json()
    assert page["total"] >= len(page["items"]) > 0 and {f["severity"] for f in page["items"]} == {"high"}
    one = client.get(f"/api/findings/{page['items'][0]['id']}").get_json()
    assert one["remediation"] and one["evidence"] and one["first_seen"] and "finding" in one
    summary = client.get("/api/findings/summary").get_json()
    assert summary["findings"]["failing"] > 0 and summary["stig"]["rules"] > 0
    assert 0 <= summary["stig"]["share_passing"] <= 1
    assets = client.get("/api/assets?type=user&limit=3").get_json()
    assert len(assets["items"]) == 3 and assets["counts_by_type"]["user"] == 10
    user = client.get(f"/api/assets/{assets['items'][0]['id']}").get_json()
    assert user["asset"]["class_uid"] == 5003 and any(g["label"].startswith("Groups") for g in user["relationship_groups"])
    assert client.get("/api/findings/999999").status_code == 404
    assert client.get("/api/assets/999999").status_code == 404
    assert client.get("/api/findings?severity=bogus").status_code == 200  # unknown values are ignored
    assert client.post("/api/integrations/999/sync", headers=h).status_code == 404
