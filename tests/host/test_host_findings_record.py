"""The Finding View reads its counts and its checks from the posture recorded with the last applied sync
(``sync_posture``), one row instead of a scan of 100,000 findings, only while that record tells the truth: the same
answers as the findings' own queries, and the findings queried again once an exception was made, revoked or
expired since the record."""

from __future__ import annotations

from typing import Any

import pytest
from connector_host.posture import findings as F
from connector_host.posture.findings import FindingFilter, check_groups, posture_summary, tab_counts
from connector_host.store import Store, now_ms
from connector_host.web import queries
from posture_data import ASSETS, make_store, results

pytestmark = pytest.mark.parametrize("store_backend", ["sqlite", "postgresql"], indirect=True)  # both stores


@pytest.fixture
def pstore(store_url: str):
    store = make_store(store_url)
    yield store
    store.close()


def _queried(monkeypatch: pytest.MonkeyPatch, fn: Any, *a: Any, **kw: Any) -> Any:
    with monkeypatch.context() as m:
        m.setattr(F, "_records", lambda *_a, **_k: None)
        return fn(*a, **kw)


def _rows(groups: list) -> list[dict]:
    return [{**g.as_dict(), "summary": g.summary, "checked": g.checked} for g in groups]


def test_the_record_gives_what_the_findings_give(pstore: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    at = now_ms()
    for iid in (None, *[i.id for i in pstore.list_integrations()]):
        assert F._records(pstore, iid, at) is not None
        for view in F.VIEWS:
            if view == "resolved":
                continue
            for extra in ({}, {"new": True}, {"standard": "STIG"}):
                flt = FindingFilter(integration=iid, view=view, at=at, **extra)
                assert _rows(check_groups(pstore, flt)) == _rows(_queried(monkeypatch, check_groups, pstore, flt))
        assert tab_counts(pstore, iid, at) == _queried(monkeypatch, tab_counts, pstore, iid, at)
        assert posture_summary(pstore, iid, at) == _queried(monkeypatch, posture_summary, pstore, iid, at)
        assert queries.filter_options(pstore, iid) == _queried(monkeypatch, queries.filter_options, pstore, iid)
    groups = {g.check_id: g for g in check_groups(pstore, FindingFilter(integration=1, view="all", at=at))}
    assert groups["admin-mfa"].summary == "2 of 3 administrators have no MFA." and groups["admin-mfa"].affected == 2


def test_after_an_exception_the_posture_is_summarized_again(pstore: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception made, expired or revoked since the record: the posture now is summarized from the findings (and
    kept while nothing changes), never the stale record."""
    acme = pstore.get_integration("acme").id

    def same(at: int) -> dict:
        counts = tab_counts(pstore, acme, at)
        assert counts == _queried(monkeypatch, tab_counts, pstore, acme, at)
        assert posture_summary(pstore, acme, at) == _queried(monkeypatch, posture_summary, pstore, acme, at)
        for view in ("open", "excepted", "all"):
            flt = FindingFilter(integration=acme, view=view, at=at)
            assert _rows(check_groups(pstore, flt)) == _rows(_queried(monkeypatch, check_groups, pstore, flt))
        return counts

    at = now_ms()
    assert same(at)["excepted"] == 0
    exc = pstore.add_exception(acme, "admin-mfa", kind="accepted_risk", reason="r", author="a", expires_at=at + 60_000)
    assert same(now_ms())["excepted"] == 3  # made since the record
    sid = pstore.start_sync(acme)  # the next applied sync records the posture with the exception
    pstore.stage(sid, ASSETS, results(), [])
    pstore.finish_sync(sid, "succeeded")
    assert same(now_ms())["excepted"] == 3
    assert same(at + 120_000)["excepted"] == 0  # it expired after the record
    pstore.revoke_exception(exc["id"], by="a")
    assert same(now_ms())["excepted"] == 0
    assert same(at + 120_000)["excepted"] == 0
