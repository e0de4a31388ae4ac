"""Every page through Flask's test client: Integrations, Configure, History, Findings, Assets."""

from __future__ import annotations

import html
import re
from typing import Any

from web_helpers import EVIL, csrf_token, form_for, wait_sync


def text(resp: Any) -> str:
    return resp.get_data(as_text=True)


def test_integrations_page_shows_a_card_per_connector(client: Any) -> None:
    page = text(client.get("/integrations"))
    assert 'data-connector="okta"' in page
    assert "<h3>Okta</h3>" in page
    assert "SaaS Security Posture" in page and "Identity" in page  # categories from the manifest
    assert "reads the org&#39;s settings" in page  # description, escaped
    assert 'src="/connectors/okta/icon"' in page
    assert 'href="/integrations/new/okta"' in page
    icon = client.get("/connectors/okta/icon")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert client.get("/connectors/nope/icon").status_code == 404
    assert client.get("/").status_code == 302


def test_integrations_search_hides_cards_that_do_not_match(client: Any) -> None:
    hit = text(client.get("/integrations?q=identity"))
    miss = text(client.get("/integrations?q=zzzz-nothing"))
    card = re.compile(r'<article class="card"[^>]*data-connector="okta"')
    assert card.search(hit) and "hidden" not in card.search(hit).group(0)
    assert re.search(r'<article class="card"[^>]*hidden[^>]*data-connector="okta"', miss)


def test_configure_form_is_rendered_from_the_schema(client: Any) -> None:
    page = text(client.get("/integrations/new/okta"))
    # required field with its title, description and required mark
    assert re.search(r'<label for="f-org-url">Okta org URL<span class="req"', page)
    assert "Your Okta domain" in page
    # oneOf credentials: a choice per branch, the secret as an empty password input, shown as not set
    assert "API token (SSWS)" in page and "OAuth 2.0 service app (private key JWT)" in page
    assert re.search(r'<input type="password" id="f-auth-0-token" name="auth~0.token" value=""', page)
    assert 'name="auth~1.private_key"' in page and 'name="auth~1.client_id"' in page
    assert "not set" in page
    # enum -> select, boolean -> checkbox, integer -> number with bounds, array -> textarea
    assert re.search(r'<select id="f-check-profile" name="check_profile">', page)
    assert '<option value="stig"' in page
    assert re.search(r'type="checkbox" id="f-allow-insecure-http-loopback"', page)
    assert re.search(r'type="number" id="f-max-concurrency" name="max_concurrency" value="" placeholder="default: 4"\s+min="1" max="20"', page)
    assert 'name="collections_skip"' in page
    # the host's auto sync frequency, defaulting to the manifest's interval
    assert re.search(r'<option value="1440" selected>Every day</option>', page)
    assert client.get("/integrations/new/nope").status_code == 404


def test_validation_errors_are_shown_next_to_their_field(client: Any, org_sandbox: Any) -> None:
    token = csrf_token(client)
    form = form_for(org_sandbox, org_url="", **{"auth~0.token": "short-sec", "max_concurrency": "abc"})
    resp = client.post("/integrations/new/okta", data={**form, "csrf_token": token, "_action": "save"})
    assert resp.status_code == 422
    page = text(resp)
    for name, msg in (("org_url", "required"), ("auth~0.token", "must be at least 10 characters"),
                      ("max_concurrency", "enter a whole number")):
        block = re.search(r'<div class="field has-error" data-field="' + re.escape(name) + r'">(.*?)</div>', page, re.S)
        assert block, name
        assert msg in block.group(1)
    assert "short-sec" not in page  # a secret is never sent back, even an invalid one


def test_save_stores_the_secret_encrypted_and_the_edit_page_never_shows_it(
    client: Any, configured: dict[str, Any], store: Any
) -> None:
    sb = configured["sandbox"]
    integ = store.get_integration(configured["id"])
    assert integ.config["auth"]["token"]["$secret"] == "fernet"
    assert integ.config["allow_insecure_http_loopback"] is True and integ.interval_minutes is None
    if store.url is not None:  # PostgreSQL: every stored row of the integration, as text
        assert sb.token not in str([tuple(r) for r in store._q("SELECT * FROM integrations")])
    store.close()
    if store.url is None:
        assert sb.token.encode() not in store.path.read_bytes()
    page = text(client.get(f"/integrations/{configured['id']}"))
    assert sb.token not in page
    assert "set · encrypted" in page
    assert f'value="{sb.url}"' in page
    # saving again without retyping the token keeps it
    form = form_for(sb, **{"auth~0.token": "", "_interval": "60"})
    resp = client.post(f"/integrations/{configured['id']}", data={**form, "csrf_token": configured["csrf"]})
    assert resp.status_code == 302
    again = store.get_integration(configured["id"])
    assert again.config["auth"]["token"] == integ.config["auth"]["token"] and again.interval_minutes == 60


def test_test_connection_form_fallback_without_javascript(client: Any, org_sandbox: Any) -> None:
    token = csrf_token(client)
    resp = client.post("/integrations/new/okta", data={**form_for(org_sandbox), "csrf_token": token, "_action": "test"})
    page = text(resp)
    assert "Connection succeeded" in page and "Capabilities" in page
    assert org_sandbox.token not in page
    assert "enter them again" in page


def test_sync_now_fallback_and_integrations_status(client: Any, configured: dict[str, Any]) -> None:
    resp = client.post(f"/integrations/{configured['id']}/sync", data={"csrf_token": configured["csrf"]})
    assert resp.status_code == 302
    status = wait_sync(client, configured["id"])
    page = text(client.get("/integrations"))
    assert re.search(r'<span class="st st-' + status["last_sync"]["status"], page)
    assert ">acme</a>" in page


def test_history_rows_newest_first_with_counts_and_errors(client: Any, synced: dict[str, Any]) -> None:
    resp = client.post(f"/api/integrations/{synced['id']}/sync", headers={"X-CSRFToken": synced["csrf"]})
    assert resp.status_code == 202
    wait_sync(client, synced["id"])
    page = text(client.get("/history"))
    ids = [int(x) for x in re.findall(r'data-sync-id="(\d+)"', page)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2
    row = re.search(rf'data-sync-id="{ids[0]}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert "UTC" in cells[2] and cells[3].endswith(" s")  # start, duration
    assert "partial" in cells[4] or "succeeded" in cells[4]
    assert cells[5].strip() and cells[6].strip() in ("full", "incremental")  # trigger, mode
    assert int(cells[7].replace(",", "")) > 0  # records
    assert int(re.sub(r"\D", "", cells[12])) > 0  # API requests
    # the sandbox's read-only admin cannot read a few collections: not in scope for this credential, calmly
    assert "Not in scope for this credential" in page and "collections" in page and "not in scope" in page
    assert text(client.get(f"/history?integration={synced['id']}")).count("data-sync-id") == 2
    assert client.get("/history?integration=999").status_code == 404


def test_findings_page_filters_detail_and_summary(client: Any, synced: dict[str, Any]) -> None:
    page = text(client.get("/findings"))
    assert "Failing by severity" in page and '<svg class="bars"' in page
    assert "STIG rules passing" in page and re.search(r'class="donut"[^>]*aria-label="\d+% of STIG rules passing"', page)
    high = text(client.get("/findings?severity=high&group=none"))  # every result, not by check
    sevs = re.findall(r'<td><span class="sev sev-(\w+)">', high)
    assert sevs and set(sevs) == {"high"}
    # sorting by check orders the check ids
    by_check = text(client.get("/findings?sort=check&group=none"))
    checks = re.findall(r'<div class="muted small mono">([^<]+)</div>', by_check)
    assert checks == sorted(checks)
    fid = int(re.search(r"finding=(\d+)", high).group(1))
    detail = text(client.get(f"/findings?severity=high&group=none&finding={fid}"))
    panel = re.search(r'<aside class="panel detail" id="finding-detail">(.*?)</aside>', detail, re.S).group(1)
    for part in ("Resources", "Evidence", "Remediation", "Standards", "First seen", "Last seen"):
        assert part in panel, part
    # a STIG finding lists its Vuln IDs
    stig = text(client.get("/findings?standard=DISA+Okta+IDaaS+STIG+V1R2&group=none"))
    sid = int(re.search(r"finding=(\d+)", stig).group(1))
    assert re.search(r'STIG Vuln IDs: <span class="tag vuln">V-\d+', text(client.get(f"/findings?finding={sid}")))
    # status and new-since-last-sync filters
    failing = text(client.get("/findings?status=failing&group=none"))
    assert set(re.findall(r'<td><span class="res res-(\w+)">', failing)) <= {"fail", "warning"}
    assert "finding=" in text(client.get("/findings?new=1&group=none"))  # the first sync made every failing finding new
    one_check = re.search(r'<option value="(okta-[a-z0-9-]+)"', page).group(1)
    rows = re.findall(r'<div class="muted small mono">([^<]+)</div>', text(client.get(f"/findings?check={one_check}&group=none")))
    assert rows and set(rows) == {one_check}


def test_assets_page_types_search_and_relationships(client: Any, synced: dict[str, Any]) -> None:
    page = text(client.get("/assets"))
    counts = dict(re.findall(r'data-type="(\w+)">[^<]*<span class="count-badge">(\d+)</span>', page))
    assert int(counts["user"]) == 10 and int(counts["group"]) >= 2
    users = text(client.get("/assets?type=user"))
    assert set(re.findall(r'<td><span class="tag">(\w+)</span></td>', users)) == {"user"}
    found = text(client.get("/assets?q=xss"))
    assert "1 asset" in found
    aid = int(re.search(r"asset=(\d+)", found).group(1))
    detail = text(client.get(f"/assets?q=xss&asset={aid}"))
    panel = re.search(r'<aside class="panel detail" id="asset-detail">(.*?)</aside>', detail, re.S).group(1)
    assert "Groups (member of)" in panel and "Normalised record (OCSF)" in panel and "class_uid" in panel
    # an app's assignments and a policy's rules
    app_id = int(re.search(r"asset=(\d+)", text(client.get("/assets?type=app&q=Salesforce"))).group(1))
    assert "Assignments" in text(client.get(f"/assets?asset={app_id}"))
    pol = text(client.get("/assets?type=policy"))
    labels = set()
    for pid in re.findall(r"asset=(\d+)", pol)[:12]:
        labels |= set(re.findall(r"<h4>([^<]+) <span", text(client.get(f"/assets?type=policy&asset={pid}"))))
    assert "Rules" in labels


def test_an_object_named_like_a_script_is_shown_as_text(client: Any, synced: dict[str, Any]) -> None:
    escaped = html.escape(EVIL)
    for url in ("/assets?type=group", "/assets?q=xss", "/findings?q=script"):
        page = text(client.get(url))
        assert EVIL not in page
    groups = text(client.get("/assets?type=group"))
    row = next(r for r in groups.split("<tr") if "&lt;script&gt;" in r)
    assert escaped.replace("&#x27;", "&#39;") in row
    gid = int(re.search(r"asset=(\d+)", row).group(1))
    detail = text(client.get(f"/assets?asset={gid}"))
    assert "<script>alert" not in detail and "&lt;script&gt;alert" in detail


def test_unknown_pages_and_records(client: Any) -> None:
    assert client.get("/integrations/999").status_code == 404
    assert "No check matches" in text(client.get("/findings"))
    assert "No finding matches" in text(client.get("/findings?group=none"))
    assert client.get("/findings?finding=999").status_code == 200
    assert client.get("/assets?asset=999").status_code == 200
    assert client.get("/nope").status_code == 404


def test_an_odd_finding_record_still_renders(client: Any, store: Any) -> None:
    from connector_host.store import StagedAsset, StagedFinding

    integ = store.add_integration("odd", "okta", {})
    sid = store.start_sync(integ.id)
    odd = {"remediation": "not an object", "evidences": "nope", "compliance": ["x"], "resources": {"a": 1},
           "finding_info": None, "message": 42}
    store.stage(sid, assets=[StagedAsset("user", "u1", None, None, "users", {"odd": True})],
                findings=[StagedFinding("f1", None, None, 4, "fail", [], None, None, None, odd)])
    store.finish_sync(sid, "succeeded")
    fid = int(re.search(r"finding=(\d+)", text(client.get("/findings?group=none"))).group(1))
    page = client.get(f"/findings?finding={fid}")
    assert page.status_code == 200 and 'id="finding-detail"' in text(page)
    assert client.get(f"/api/findings/{fid}").status_code == 200
    aid = int(re.search(r"asset=(\d+)", text(client.get("/assets"))).group(1))
    assert 'id="asset-detail"' in text(client.get(f"/assets?asset={aid}"))
