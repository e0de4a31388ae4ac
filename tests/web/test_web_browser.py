"""The whole flow in headless Chromium against `connector-host serve` and a sandbox org.

Integrations -> configure Okta (URL, token, auto sync frequency) -> Test Connection -> Save -> Sync Now ->
History row -> Finding View filtered to high -> a finding -> an asset. Screenshots of each page go to
artifacts/screenshots/. Needs Debian's ``chromium`` (/usr/bin/chromium) and the ``playwright`` wheel (its own
browser download is never used).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import BROWSER_MARKS, chromium_page, shot
from web_helpers import EVIL, PASSWORD, evil_org, start_serve

served_proc: Any = None

pytestmark = BROWSER_MARKS


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with chromium_page() as page:
        yield page


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    global served_proc
    # with the scheduler, as in production; the sandbox speaks plain http: the developer option is offered
    proc, base = start_serve(tmp_path / "store.db", "--dev-allow-insecure-loopback")
    served_proc = proc
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def ready(page: Any) -> None:
    """Wait until the page's script has attached its handlers."""
    page.wait_for_selector("html[data-js=ready]", state="attached")


def test_the_integrations_flow_in_a_browser(browser_page: Any, served: str, sandbox: Any) -> None:
    try:
        flow(browser_page, served, sandbox)
    except BaseException as e:
        shot(browser_page, "zz-failure")
        log = "".join(getattr(served_proc, "log", [])[-30:])
        raise AssertionError(f"{type(e).__name__} on {browser_page.url}: {e}\nserve log:\n{log}") from e


def flow(page: Any, base: str, sandbox: Any) -> None:
    from okta_sandbox.faults import Fault

    # listing groups answers after 1.5 s, so the page has a running sync to show
    sb = sandbox(org=evil_org(), rate_limits=None, faults=[Fault("slow", path="/api/v1/groups", count=None, delay=1.5)])
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text else None)

    # Sign in (the page always asks for its password), back to where the login interrupted
    page.goto(base + "/integrations")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^http://[^/]+/integrations$"))

    # Integrations: the Okta card, and the search box filtering cards
    ready(page)
    card = page.locator('article.card[data-connector="okta"]')
    assert card.is_visible() and "Okta" in card.inner_text()
    page.fill("input[type=search]", "nothing-matches")
    assert card.is_hidden() and page.locator(".empty-search").is_visible()
    page.fill("input[type=search]", "identity")
    assert card.is_visible()
    shot(page, "01-integrations")

    # Configure: URL, token, auto sync frequency (+ the developer flag for the plain-http sandbox)
    card.locator("text=Configure").click()
    page.wait_for_url(re.compile(r".*/integrations/new/okta$"))
    ready(page)
    page.fill("#f-name", "acme-okta")
    # No token yet: Test Connection shows the field's error where the admin is looking; typing in it clears it
    page.fill("#f-org-url", sb.url)
    page.click("#test-connection")
    bad = page.locator('.field.has-error[data-field="auth~0.token"]')
    bad.wait_for()
    assert bad.locator(".field-error").is_visible()
    page.wait_for_function("() => { const r = document.querySelector('.field.has-error').getBoundingClientRect();"
                           " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    page.fill("#f-auth-0-token", sb.token)
    assert page.locator('[data-field="auth~0.token"] .field-error').count() == 0  # stale once edited
    assert page.locator("#f-auth-1-client-id").is_hidden()  # the other credential branch is hidden
    page.select_option("#f-interval", "15")
    page.click("details.advanced summary")
    page.check("#f-allow-insecure-http-loopback")
    shot(page, "02-configure")

    # Test Connection through the JSON API: the per-capability result, the form (and token) left as typed
    page.click("#test-connection")
    page.wait_for_selector("#test-result .test-status.ok")
    assert page.locator(".field-error").count() == 0  # no stale error left from the first try
    assert page.locator("#test-result table.caps tr").count() > 3
    assert page.input_value("#f-auth-0-token") == sb.token
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "03-test-connection")

    # Save, then the secret is never sent back
    page.click("#save")
    page.wait_for_url(re.compile(r".*/integrations/\d+$"))
    ready(page)
    assert "Saved acme-okta" in page.inner_text(".flash.ok")
    assert page.input_value("#f-auth-0-token") == "" and sb.token not in page.content()
    assert "encrypted" in page.inner_text('[data-field="auth~0.token"]')

    # Sync Now: progress without a reload, then the result
    url_before = page.url
    page.click("#sync-now")
    page.wait_for_selector("#progress-panel", state="visible")
    # (no wait_for_function: the page's CSP forbids the eval it needs)
    page.locator("#progress-counts tr").or_(page.locator("#sync-result")).first.wait_for(timeout=45_000)
    if page.is_visible("#progress-panel"):
        assert page.is_disabled("#sync-now")
        shot(page, "04-sync-progress")
    page.wait_for_selector("#sync-result", timeout=45_000)
    assert page.url == url_before
    assert int(page.get_attribute("#progress-panel", "data-seen") or 0) >= 1  # progress was shown while running
    result = page.inner_text("#sync-result")
    assert re.search(r"Sync #\d+ (succeeded|partial)", result), result
    assert page.locator("#recent tbody tr").count() >= 1
    shot(page, "05-sync-done")

    # History: the row of that sync
    page.click('nav a[data-nav="history"]')
    row = page.locator("tr.sync-row").first
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "acme-okta" and cells[4].lower().startswith(("succeeded", "partial")) and int(cells[9]) > 0
    page.locator("tr.sync-detail summary").first.click()  # the collections and errors of that sync
    shot(page, "06-history")

    # Finding View: filter to high severity, open a finding
    page.click('nav a[data-nav="findings"]')
    page.check('input[name=severity][value=high]')
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r".*severity=high.*"))
    page.click("#group-none")  # every result (the view opens grouped by check)
    page.wait_for_url(re.compile(r".*group=none.*"))
    sevs = page.locator("#findings tbody .sev").all_inner_texts()
    assert sevs and {s.lower() for s in sevs} == {"high"}
    page.locator("#findings .finding-link").first.click()
    detail = page.locator("#finding-detail")
    detail.wait_for()
    text = detail.inner_text()
    for part in ("RESOURCES", "EVIDENCE", "REMEDIATION", "STANDARDS", "First seen", "Last seen"):
        assert part in text, part
    shot(page, "07-finding")

    # Asset View: users, open one with its groups; an object named like a script shows as text
    page.click('nav a[data-nav="assets"]')
    page.click('a[data-type="user"]')
    page.fill('input[name=q]', "xss")
    page.press('input[name=q]', "Enter")
    page.locator("#assets .asset-link").first.click()
    adetail = page.locator("#asset-detail")
    adetail.wait_for()
    assert "Groups (member of)" in adetail.inner_text()
    assert EVIL in adetail.locator("h2").inner_text()  # shown as text, never run
    shot(page, "08-asset")

    assert dialogs == [] and errors == []
