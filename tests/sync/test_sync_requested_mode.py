"""The mode the host asks for (issue 16): ``context.sync_mode == "full"`` (``sync --mode full``, the page's Full
sync) runs a full sync even when the last sync could seed an incremental one; ``incremental`` or no request lets
the connector decide."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sync_helpers import with_everyone


def by_type(msgs, kind):
    return [m[m["type"].lower()] for m in msgs if m["type"] == kind]


def mode_of(msgs):
    return by_type(msgs, "SYNC_STATUS")[0]["sync_mode"]


@pytest.fixture
def org(fake_org):
    """The fake org with an Everyone group and every group's stats (what lets a re-sync be incremental)."""
    return with_everyone(fake_org)


@pytest.mark.parametrize("context", [None, {"sync_mode": "incremental"}, SimpleNamespace(sync_mode="incremental")])
def test_without_a_full_request_the_re_sync_is_incremental(run_fake, org, context):
    first, _, _ = run_fake(org)
    second, _, _ = run_fake(org, state=by_type(first, "STATE")[0], context=context)
    assert mode_of(first) == "full" and mode_of(second) == "incremental"


@pytest.mark.parametrize("context", [{"sync_mode": "full"}, SimpleNamespace(sync_mode="full")])
def test_the_host_s_full_request_wins(run_fake, org, context):
    first, _, _ = run_fake(org)
    second, client, _ = run_fake(org, state=by_type(first, "STATE")[0], context=context)
    assert mode_of(second) == "full"
    assert any("full sync: the host asked for a full sync" in m["message"] for m in by_type(second, "LOG"))
    (status,) = by_type(second, "SYNC_STATUS")
    assert status["status"] == "succeeded" and not status.get("snapshot_streams")
    # a full sync reads every user again, and the next one may be incremental again
    third, _, _ = run_fake(org, state=by_type(second, "STATE")[0])
    assert mode_of(third) == "incremental"
