"""The groups a policy or a policy rule targets (``conditions.people.groups.include``) and exempts (``.exclude``)
become relationship records, so the Asset View shows whom each policy governs (issue 5: "a policy's rules and the
groups or apps it applies to")."""

from __future__ import annotations

from collections import Counter

from connector_okta import plugin
from connector_okta.collect import edge, records_for
from connector_okta.resources import BY_NAME

ORG = {"uid": "00o1", "name": "acme.okta.com"}


def _records(*args, **kw) -> list[dict]:
    return [m["record"] for m in records_for(*args, **kw)]


def _policy(**people: list) -> dict:
    return {"id": "00pP", "type": "PASSWORD", "name": "p", "conditions": {"people": {"groups": people}}}


def test_one_edge_per_included_and_excluded_group_deduplicated():
    recs = _records(BY_NAME["policies"], _policy(include=["00gA", "00gB", "00gA"], exclude=["00gC"]), ORG)
    assert [r["kind"] for r in recs] == ["asset", "relationship", "relationship", "relationship"]
    got = {(r["data"]["relation"], r["data"]["from"]["uid"], r["data"]["to"]["uid"]) for r in recs[1:]}
    assert got == {("applies_to", "00pP", "00gA"), ("applies_to", "00pP", "00gB"), ("excludes", "00pP", "00gC")}
    assert all(r["data"]["from"]["type"] == "policy" and r["data"]["to"]["type"] == "group" for r in recs[1:])


def test_policies_without_group_conditions_or_with_odd_values_give_only_the_asset():
    for obj in ({"id": "00pP", "type": "ACCESS_POLICY"}, _policy(include="00gA"), _policy(include=[None, 3, ""])):
        assert [r["kind"] for r in _records(BY_NAME["policies"], obj, ORG)] == ["asset"]


def test_rule_edges_keep_rule_of_first():
    rule = {"id": "0prR", "name": "r", "conditions": {"people": {"groups": {"include": ["00gA"]}}}}
    recs = _records(BY_NAME["policy_rules"], rule, ORG, parent_id="00pP")
    rels = [(r["data"]["relation"], r["data"]["to"]["uid"]) for r in recs if r["kind"] == "relationship"]
    assert rels == [("rule_of", "00pP"), ("applies_to", "00gA")]
    assert edge(BY_NAME["policy_rules"], rule, "00pP")["relation"] == "rule_of"


def test_sandbox_sync_emits_the_policy_group_edges(sandbox, sandbox_config):
    from okta_sandbox.generator import token_for_role

    sb = sandbox("weak", users=30, rate_limits=None)
    cfg = sandbox_config(sb)
    cfg["auth"] = {"method": "api_token", "token": token_for_role(sb.org, "SUPER_ADMIN")}
    msgs = list(plugin.connector_sync(config=cfg, state=None, context=None))
    edges = Counter((r["record"]["stream"], r["record"]["data"]["relation"]) for r in msgs
                    if r["type"] == "RECORD" and r["record"]["kind"] == "relationship")
    expected = sum(len(set((p.get("conditions") or {}).get("people", {}).get("groups", {}).get("include") or []))
                   for ps in sb.org.policies.values() for p in ps)
    assert expected and edges[("policies", "applies_to")] == expected
    assert msgs[-1]["sync_status"]["status"] == "succeeded"
