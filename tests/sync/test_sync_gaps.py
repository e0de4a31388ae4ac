"""Issue 14 in the sync: a per-parent read that fails is a gap (never an empty list), a parent is deleted only when
its own read answers 404, one request series fails alone, and a single object that is not an object is a failed
read. End to end against the sandbox (real client, real check engine)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("okta_sandbox.generator")

from okta_sandbox import Faults  # noqa: E402
from okta_sandbox.generator import generate, token_for_role  # noqa: E402

from connector_okta.sync import run_sync  # noqa: E402


def sync(sb: Any, **extra: Any) -> list[dict[str, Any]]:
    cfg = {"org_url": sb.url, "auth": {"method": "api_token", "token": token_for_role(sb.org, "SUPER_ADMIN")},
           "allow_insecure_http_loopback": True, **extra}
    return list(run_sync(cfg, None, None))


def finals(msgs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["stream_status"]["stream"]: m["stream_status"] for m in msgs
            if m["type"] == "STREAM_STATUS" and m["stream_status"]["status"] != "STARTED"}


def results(msgs: list[dict[str, Any]], check: str) -> list[dict[str, Any]]:
    return [m["record"]["data"] for m in msgs if m["type"] == "RECORD" and m["record"]["kind"] == "check_result"
            and m["record"]["data"]["check_id"] == check]


@pytest.fixture
def hardened(sandbox):
    return sandbox(org=generate("hardened", users=10, seed=2, pipeline="idx"), rate_limits=None)


def signon_policies(sb: Any) -> list[str]:
    return [p["id"] for p in sb.org.policies["OKTA_SIGN_ON"]]


def test_a_rules_read_answered_404_under_a_policy_that_exists_is_a_gap(hardened):
    pid = signon_policies(hardened)[0]
    hardened.faults = Faults.of([f"status=404:/api/v1/policies/*/rules:parents={pid}"])
    msgs = sync(hardened)
    rules = finals(msgs)["policy_rules"]
    assert rules["status"] == "INCOMPLETE" and rules["error_kind"] == "not_found"
    assert pid in rules["reason"] and "404" in rules["reason"] and "X-Okta-Request-Id" in rules["reason"]
    assert msgs[-1]["sync_status"]["status"] == "partial"  # a 404 that makes a collection incomplete
    errors = [m["error"] for m in msgs if m["type"] == "ERROR" and m["error"]["stream"] == "policy_rules"]
    assert errors and errors[0]["kind"] == "transient" and "404" in errors[0]["message"] and errors[0]["request_id"]
    mine = [r for r in results(msgs, "okta-session-idle-timeout") if r["resource"]["uid"] == pid]
    assert [r["status"] for r in mine] == ["unknown"]
    assert mine[0]["evidence"]["unread"]["status"] == 404 and mine[0]["evidence"]["unread"]["request_id"]
    # the rules of the other policies were read and judged (their checks are not blanked)
    assert {r["status"] for r in results(msgs, "okta-admin-console-mfa")} == {"pass"}
    assert {r["status"] for r in results(msgs, "okta-password-recovery-weak")} == {"pass"}
    # and the records of the rules read are all there: nothing was pre-seeded, nothing lost
    emitted = {m["record"]["data"]["id"] for m in msgs if m["type"] == "RECORD"
               and m["record"]["stream"] == "policy_rules" and m["record"]["kind"] == "asset"}
    expected = {r["id"] for p, rs in hardened.org.policy_rules.items() if p != pid for r in rs}
    assert expected <= emitted


def test_a_parent_is_deleted_only_when_its_own_read_answers_404(hardened):
    pid = signon_policies(hardened)[0]
    hardened.faults = Faults.of([f"status=404:/api/v1/policies/*:parents={pid}",
                                 f"status=404:/api/v1/policies/*/*:parents={pid}"])
    msgs = sync(hardened)
    rules = finals(msgs)["policy_rules"]
    assert rules["status"] == "COMPLETE"  # the deleted policy is no gap
    logs = [m["log"]["message"] for m in msgs if m["type"] == "LOG"]
    assert any(pid in line and "deleted during the sync" in line for line in logs)
    # dropped from judgement: no result names it
    assert not [r for c in ("okta-session-idle-timeout", "okta-session-max-lifetime")
                for r in results(msgs, c) if r["resource"].get("uid") == pid
                or r["resource"].get("parent_uid") == pid]
    assert msgs[-1]["sync_status"]["status"] == "succeeded"


def test_every_parent_failing_is_named_and_the_sync_is_partial(hardened):
    hardened.faults = Faults.of(["status=500:/api/v1/apps/*/users:count=all"])
    msgs = sync(hardened)
    users = finals(msgs)["app_users"]
    assert users["status"] == "INCOMPLETE" and users["error_kind"] == "transient"
    for app in hardened.org.apps[:3]:
        assert app["id"] in users["reason"]
    assert msgs[-1]["sync_status"]["status"] == "partial"


def test_a_refused_sub_collection_stops_asking_and_names_every_parent_it_did_not_read(hardened):
    hardened.faults = Faults.of(["forbidden:/api/v1/policies/*/rules:count=all"])
    msgs = sync(hardened)
    rules = finals(msgs)["policy_rules"]
    assert rules["status"] == "SKIPPED" and rules["error_kind"] == "permission"  # nothing read: unavailable
    asked = hardened.stats()["requests_by_path"]
    rule_reads = sum(n for p, n in asked.items() if p.endswith("/rules") and "/policies/" in p
                     and "authorizationServers" not in p)
    assert rule_reads <= 4 < sum(len(v) for v in hardened.org.policies.values())  # at most one per worker
    assert {r["status"] for r in results(msgs, "okta-session-idle-timeout")} == {"unknown"}


def test_one_policy_type_failing_leaves_the_others_judged(hardened):
    hardened.faults = Faults.of(["status=400:/api/v1/policies:query=type=PROFILE_ENROLLMENT,count=all"])
    msgs = sync(hardened)
    policies = finals(msgs)["policies"]
    assert policies["status"] == "INCOMPLETE" and "type=PROFILE_ENROLLMENT" in policies["reason"]
    assert msgs[-1]["sync_status"]["status"] == "partial"
    assert {r["status"] for r in results(msgs, "okta-password-min-length")} == {"pass"}
    assert "pass" in {r["status"] for r in results(msgs, "okta-session-idle-timeout")}
    hardened.faults = Faults.of(["status=503:/api/v1/policies:query=type=PASSWORD,count=all"])
    msgs = sync(hardened)
    assert {r["status"] for r in results(msgs, "okta-password-min-length")} == {"unknown"}
    assert "pass" in {r["status"] for r in results(msgs, "okta-session-idle-timeout")}


def test_a_policy_type_the_org_does_not_have_leaves_the_collection_complete(hardened):
    hardened.faults = Faults.of(["feature:/api/v1/policies:query=type=PROFILE_ENROLLMENT,count=all"])
    msgs = sync(hardened)
    policies = finals(msgs)["policies"]
    assert policies["status"] == "COMPLETE" and "type=PROFILE_ENROLLMENT" in policies["reason"]
    assert msgs[-1]["sync_status"]["status"] == "succeeded"


@pytest.mark.parametrize("shape", ["list", "string", "null", "text"])
def test_a_single_object_answered_with_something_else_is_a_failed_read(hardened, shape):
    hardened.faults = Faults.of([f"malformed={shape}:/api/v1/threats/configuration:count=all"])
    msgs = sync(hardened)
    threat = finals(msgs)["threat_insight"]
    assert threat["status"] in ("INCOMPLETE", "SKIPPED") and threat["error_kind"] in ("internal", "transient")
    assert msgs[-1]["sync_status"]["status"] == "partial"
    assert {r["status"] for r in results(msgs, "okta-threatinsight-mode")} == {"unknown"}


def test_a_page_with_an_element_that_is_not_an_object_is_not_complete(hardened):
    hardened.faults = Faults.of(["malformed=list:/api/v1/api-tokens:count=all"])
    msgs = sync(hardened)
    tokens = finals(msgs)["api_tokens"]
    assert tokens["status"] == "INCOMPLETE" and "not JSON objects" in tokens["reason"]
    assert "pass" not in {r["status"] for r in results(msgs, "okta-api-token-network")}
