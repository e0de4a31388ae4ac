"""End to end: every record a sandbox sync emits normalises through the plugin and validates (profile + OCSF)."""

from __future__ import annotations

import collections

import pytest

from connector_okta import plugin


@pytest.mark.parametrize(("scenario", "pipeline"), [("weak", "idx"), ("hardened", "v1")])
def test_sandbox_sync_records_normalise_and_validate(sandbox, sandbox_config, assert_valid, scenario, pipeline):
    sb = sandbox(scenario=scenario, users=30, seed=3, pipeline=pipeline, rate_limits=None)
    config = sandbox_config(sb)
    supers = [t.token for t in sb.org.tokens.values()
              if any(r.get("type") == "SUPER_ADMIN" for r in sb.org.user_roles.get(t.user_id, []))]
    if supers:  # a Super Admin token reads every collection (role assignments, API tokens, log streams)
        config["auth"] = {"method": "api_token", "token": supers[0]}
    messages = list(plugin.connector_sync(config=config, state=None, context=None))
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    kinds = collections.Counter(r["kind"] for r in records)
    assert kinds["asset"] and kinds["check_result"], kinds
    assets_by_stream: collections.Counter[str] = collections.Counter()
    finding_uids: set[str] = set()
    for record in records:
        if record["kind"] == "asset":
            event = plugin.connector_normalize_asset(record=record)
            assert_valid("asset", event)
            assert event["metadata"]["tenant_uid"] == record["org"]["uid"]
            assets_by_stream[record["stream"]] += 1
        elif record["kind"] == "check_result":
            event = plugin.connector_normalize_finding(record=record)
            assert_valid("finding", event)
            assert event["finding_info"]["uid"] not in finding_uids, "two results share one finding uid"
            finding_uids.add(event["finding_info"]["uid"])
        else:
            assert plugin.connector_normalize_asset(record=record) is None
    assert assets_by_stream["users"] == 30
    assert {"org", "groups", "apps", "policies", "policy_rules", "zones"} <= set(assets_by_stream), assets_by_stream
