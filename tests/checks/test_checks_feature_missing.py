"""A collection the org lacks (Okta answered E0000015, the sync marks it ``unavailable`` with error_kind
``feature``) turns a check with a console procedure into ``manual``, like a collection absent by pipeline; a 403
(missing permission) stays ``unknown``. Neither ever passes."""

from __future__ import annotations

import pytest
from checks_fixtures import build_org

from connector_okta.checks import CheckEngine, Collection, OrgInfo
from connector_okta.checks.catalog import by_id


def _run(coll: Collection, pipeline: str = "v1") -> list[dict]:
    eng = CheckEngine("stig", org=OrgInfo("00o1", "acme.okta.com", "https://acme.okta.com", pipeline), now_ms=0)
    org = build_org()
    for name in eng.required_collections():
        data = org.get(name, [])
        eng.set_collection(Collection(name, "complete", None, [], data) if isinstance(data, dict)
                           else Collection(name, "complete", None, list(data)))
    eng.set_collection(coll)
    return [r for r in eng.finish() if r["check_id"] == "okta-admin-console-session-idle"]


def test_feature_not_available_gives_manual_with_the_console_path() -> None:
    got = _run(Collection("admin_console_settings", "unavailable", "this org does not have the feature (E0000015)",
                          error_kind="feature"))
    assert [r["status"] for r in got] == ["manual"]
    assert by_id()["okta-admin-console-session-idle"]["manual"] in got[0]["message"]


@pytest.mark.parametrize("kind", ["permission", None])
def test_permission_or_unclassified_stays_unknown(kind: str | None) -> None:
    got = _run(Collection("admin_console_settings", "unavailable", "403 E0000006", error_kind=kind))
    assert [r["status"] for r in got] == ["unknown"]


def test_feature_missing_property() -> None:
    assert Collection("x", "not_applicable").feature_missing
    assert Collection("x", "unavailable", error_kind="feature").feature_missing
    assert not Collection("x", "unavailable", error_kind="permission").feature_missing
    assert not Collection("x", "complete", error_kind="feature").feature_missing
