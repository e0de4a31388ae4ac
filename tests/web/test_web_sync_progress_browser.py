"""Progress during a rate-limited sync, and the Full sync button, in headless Chromium (issue 16).

A sandbox org whose users quota makes every users page wait; the integration was synced once already (so an
incremental re-sync could be chosen). The page's **Full sync** runs a full sync; its progress panel says the
rate-limit wait under way ("waiting 3 s for the users quota"), the users read of those Okta states and the time
left, then History shows the sync as full. Screenshot 24."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import BROWSER_MARKS, chromium_page, shot
from web_helpers import PASSWORD, start_serve

pytestmark = BROWSER_MARKS


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with chromium_page() as page:
        yield page


def test_full_sync_shows_the_wait_the_totals_and_runs_full(browser_page: Any, sandbox: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from connector_host.loader import load_connectors
    from connector_host.runner import Runner
    from connector_host.store import Store
    from okta_sandbox.ratelimit import RateLimits

    # a users quota of 4 a "minute" of 2 seconds: each users page waits for it
    sb = sandbox("default", users=400, seed=1, rate_limits=RateLimits({"users_list": 4}), time_scale=30)
    monkeypatch.setenv("PROGRESS_TOKEN", sb.token)
    store_path = tmp_path / "store.db"
    with Store(store_path) as store:
        integ = store.add_integration("acme", "okta", {
            "org_url": sb.url, "auth": {"method": "api_token", "token": {"$secret": "env", "name": "PROGRESS_TOKEN"}},
            "allow_insecure_http_loopback": True})
        first = Runner(store, load_connectors(allow=["okta"], env={})).sync(integ.id)
        assert first.status == "succeeded"
    proc, base = start_serve(store_path, "--dev-allow-insecure-loopback", "--no-scheduler",
                             env={"PROGRESS_TOKEN": sb.token})
    page = browser_page
    try:
        page.goto(base + f"/integrations/{integ.id}")
        page.wait_for_url(re.compile(r".*/login\?next=.*"))
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(rf".*/integrations/{integ.id}$"))
        page.wait_for_selector("html[data-js=ready]", state="attached")
        assert page.is_visible("#sync-full") and page.is_visible("#sync-now")

        page.click("#sync-full")
        page.wait_for_selector("#progress-panel", state="visible")
        # the wait under way, told while it lasts (the panel polls every second)
        page.locator("#progress-text", has_text=re.compile(r"waiting \d+ s for the users quota")).wait_for(
            timeout=45_000)
        assert page.is_disabled("#sync-full") and page.is_disabled("#sync-now")
        page.locator("#progress-counts td", has_text=re.compile(r"^\d+ / 400$")).first.wait_for(timeout=30_000)
        shot(page, "24-sync-progress-wait")
        page.wait_for_selector("#sync-result", timeout=90_000)
        assert re.search(r"Sync #\d+ succeeded", page.inner_text("#sync-result"))

        page.goto(base + f"/history?integration={integ.id}")
        row = page.locator("tr.sync-row").first
        assert "full" in row.locator("td").nth(6).inner_text()
        assert "Not in scope for this credential" in page.content()  # the read-only token's, calmly
    finally:
        proc.terminate()
        proc.wait(timeout=15)
