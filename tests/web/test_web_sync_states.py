"""History and the page on sync states (issue 16): collections the connector reports out of scope for the
credential (error_kind out_of_scope) are set apart calmly on a succeeded sync; the Full sync button and the API ask
for a full sync."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("flask")


def test_out_of_scope_collections_of_a_succeeded_sync_are_set_apart() -> None:
    from connector_host.web.presentation import sync_scope

    record = {
        "status": "succeeded",
        "counts": {"users": {"status": "COMPLETE", "records": 5},
                   "api_tokens": {"status": "SKIPPED", "error_kind": "out_of_scope",
                                  "reason": "not in scope for this credential: Okta serves api_tokens to Super "
                                            "Administrators only (HTTP 403); its checks are not evaluated"},
                   "user_roles": {"status": "SKIPPED", "error_kind": "out_of_scope",
                                  "reason": "not in scope for this credential: its parent collection admin_users "
                                            "is not"}},
        "errors": [],
    }
    scope = sync_scope(record)
    assert scope["out_of_scope"] == ["api_tokens", "user_roles"] and scope["errors"] == []
    assert scope["not_available"] == [] and scope["incomplete"] == []


def test_full_sync_is_asked_for_by_the_form_and_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from connector_host.web import jobs

    asked: list[Any] = []

    class Runner:
        store = None
        env: dict[str, str] = {}

        def sync(self, ref: Any, **kw: Any) -> None:
            asked.append(kw.get("mode"))

        def is_running(self, iid: int) -> bool:
            return False

    class Integ:
        id, name = 1, "acme"

    monkeypatch.setattr(jobs, "release_thread_connection", lambda store: None)
    j = jobs.SyncJobs(Runner())
    monkeypatch.setattr(j, "status", lambda integ: {})
    j.start(Integ(), mode="full")  # the page's Full sync
    j.join()
    j.start(Integ(), mode="bogus")  # anything else: the connector chooses
    j.join()
    assert asked == ["full", None]
