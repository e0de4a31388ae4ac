"""The fault matrix: each fault the sandbox can inject, through the real connector run by the real host.

For every case: a clean sync goes into the store first, then the faulty one. The faulty sync must end within a
wall-clock bound, with the expected status and a message that says what happened; no check may report ``pass``
on a collection the fault kept it from reading; and the store must keep every asset and finding of the clean
sync (nothing marked gone or resolved, no known result replaced by ``unknown``). Rate-limit windows are
compressed with the sandbox's ``time_scale`` and the client's retry backoff by ten (the retry logic itself is
unchanged); the cases bounded by ``max_sync_seconds`` (at least 10 s by the config schema) are marked slow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

pytest.importorskip("okta_sandbox.generator")

from okta_sandbox.faults import Fault, Faults  # noqa: E402
from reliability_harness import (  # noqa: E402
    KEY_ENV,
    TOKEN_ENV,
    Host,
    RecordingServer,
    asset_uids,
    check_results,
    compressed_backoff,  # noqa: F401 - the fixture
    final_streams,
    oauth_stored_config,
    snapshot,
    stored_config,
    super_token,
)

from connector_okta.checks import implementations as check_implementations  # noqa: E402
from connector_okta.checks import registry as check_registry  # noqa: E402
from connector_okta.checks.engine import catalog  # noqa: E402

TIME_SCALE = 60  # a rate-limit minute lasts one second


@dataclass(frozen=True)
class Case:
    id: str
    faults: tuple[str, ...]
    status: str  # the faulty sync's expected status
    words: tuple[str, ...] = ()  # each must appear (case-insensitive) in the sync's message or errors
    streams: tuple[str, ...] = ()  # streams the fault must leave not COMPLETE (partial/failed cases)
    bound: float = 15.0  # wall-clock seconds the faulty sync may take
    users: int = 60
    config: dict[str, Any] = field(default_factory=dict)
    auth: str = "api_token"  # or "oauth": the sandbox's service app (private key JWT), given the Super Admin role


def SLOW(case: Case) -> Any:  # noqa: N802 - reads like a tag in the table
    """Bounded by max_sync_seconds (>= 10 s): deselected by default, run with ``-m slow``."""
    return pytest.param(case, id=case.id, marks=pytest.mark.slow)


CASES = [
    # rate limits: a short storm is waited out; a lasting one ends the sync at its deadline, partial
    Case("429-quota-burst", ("rate_limit:/api/v1/users:count=1",), "succeeded", bound=20),
    Case("429-quota-storm", ("rate_limit:/api/v1/users:count=all",), "partial", ("rate", "max_sync_seconds"),
         ("users",), bound=25, config={"max_sync_seconds": 10}),
    Case("429-concurrency-burst", ("concurrency:/api/v1/groups:count=2",), "succeeded", bound=20),
    SLOW(Case("429-concurrency-storm", ("concurrency:/api/v1/groups:count=all",), "partial", ("max_sync_seconds",),
         ("groups",), bound=25, config={"max_sync_seconds": 10})),
    # server errors and broken connections: bursts are retried, lasting ones make the collection incomplete
    Case("5xx-burst", ("error:/api/v1/users:count=3,status=503",), "succeeded"),
    Case("5xx-lasting", ("error:/api/v1/policies:count=all,status=500",), "partial", ("500", "policies"),
         ("policies", "policy_rules")),
    Case("reset-burst", ("reset:/api/v1/users:count=2",), "succeeded"),
    Case("reset-lasting", ("reset:/api/v1/zones:count=all",), "partial", ("zones", "connect"), ("zones",)),
    Case("read-timeout-once", ("slow:/api/v1/users:delay=1.5,count=1",), "succeeded",
         config={"request_timeout_seconds": 1}),
    SLOW(Case("read-timeout-lasting", ("slow:/api/v1/zones:delay=1.5,count=all",), "partial",
         ("did not answer within", "zones"), ("zones",), bound=25, config={"request_timeout_seconds": 1})),
    Case("trickle-slow-but-steady", ("trickle:/api/v1/users:chunk=4096,delay=0.005,count=all",), "succeeded",
         bound=20),
    SLOW(Case("trickle-past-the-deadline", ("trickle:/api/v1/users:chunk=64,delay=0.05,count=all",), "partial",
         ("max_sync_seconds",), ("users",), bound=25,
         config={"max_sync_seconds": 10, "request_timeout_seconds": 1})),
    Case("truncated-burst", ("truncate:/api/v1/users:count=2",), "succeeded"),
    Case("truncated-lasting", ("truncate:/api/v1/zones:count=all",), "partial", ("zones",), ("zones",), bound=20),
    Case("html-502-burst", ("html:/api/v1/policies:count=2",), "succeeded"),
    Case("html-200-not-json", ("html:/api/v1/policies:count=all,status=200",), "partial", ("not json", "policies"),
         ("policies",)),
    # pagination that never ends
    Case("next-equals-self", ("next_self:/api/v1/users",), "partial", ("looped", "users"), ("users",), users=250),
    Case("repeated-cursor", ("repeat_cursor:/api/v1/users:after=1",), "partial", ("looped", "users"), ("users",),
         users=450),
    Case("next-self-sub-collection", ("next_self:/api/v1/groups/*/users",), "partial", ("looped",),
         ("group_members",)),
    # credentials and permissions
    Case("token-revoked-mid-sync", ("revoke:/api/v1/users:after=1",), "partial", ("revoked", "token"), ("users",),
         users=250),
    Case("token-revoked-at-start", ("revoke:/api/v1/*:after=0",), "failed", ("revoked", "token")),
    Case("403-on-collections", ("forbidden:/api/v1/policies:count=all", "forbidden:/api/v1/apps:count=all"),
         "partial", ("permission", "policies", "apps"), ("policies", "apps", "policy_rules", "app_groups")),
    Case("403-on-a-sub-collection", ("forbidden:/api/v1/policies/*/rules:count=all",), "partial",
         ("permission",), ("policy_rules",)),
    Case("e0000015-feature", ("feature:/api/v1/behaviors:count=all",), "succeeded", streams=("behaviors",)),
    # the feature vanishes from an org whose earlier sync found failing authenticators: they stay, unresolved
    Case("e0000015-on-judged-objects", ("feature:/api/v1/authenticators:count=all",), "succeeded",
         streams=("authenticators",)),
    # OAuth: the token endpoint fails for a while, for good; the access token is revoked mid-sync
    Case("oauth-token-endpoint-5xx-burst", ("error:/oauth2/v1/token:count=2,status=503",), "succeeded",
         auth="oauth"),
    Case("oauth-token-endpoint-down", ("error:/oauth2/v1/token:count=all,status=503",), "failed",
         ("token endpoint", "try again"), bound=20, auth="oauth"),
    Case("oauth-access-token-revoked", ("revoke:/api/v1/users:after=1",), "partial", ("access token",), ("users",),
         users=250, auth="oauth"),
    # a response far larger than any page
    Case("oversized-response", ("oversized:/api/v1/zones:size=67200000",), "partial", ("limit", "zones"),
         ("zones",), bound=20),
]


pytestmark = pytest.mark.usefixtures("compressed_backoff")


def required_collections() -> dict[str, set[str]]:
    return {c["id"]: set(c.get("collections") or ()) for c in catalog()}


def assert_no_false_pass(msgs: list[dict[str, Any]], hit: set[str]) -> None:
    """No check reports ``pass`` when a collection it needs was hit by the fault, except a stream check's
    verdict on one object it did read."""
    check_implementations.load_all()
    needs = required_collections()
    read = asset_uids(msgs)
    for r in check_results(msgs):
        if r["status"] != "pass" or not needs.get(r["check_id"], set()) & hit:
            continue
        stream = check_registry.STREAM_CHECKS.get(r["check_id"], (None, None))[0]
        per_object = stream is not None and r["resource"].get("uid") in read and r["resource"].get("type") != "org"
        assert per_object, f"{r['check_id']} reports pass though {needs[r['check_id']] & hit} were hit: {r}"


def run_case(case: Case, sandbox, tmp_path, monkeypatch, extra_faults: tuple[Fault, ...] = ()) -> dict[str, Any]:
    sb = sandbox("default", users=case.users, seed=3, time_scale=TIME_SCALE)
    monkeypatch.setenv(TOKEN_ENV, super_token(sb))
    if case.auth == "oauth":
        client_id = next(iter(sb.org.oauth_clients))
        sb.org.oauth_clients[client_id].roles = ["SUPER_ADMIN"]  # reads everything: the clean sync succeeds
        monkeypatch.setenv(KEY_ENV, sb.org.oauth_private_keys[client_id])
        config = oauth_stored_config(sb, full_sync_every=1, **case.config)
    else:
        config = stored_config(sb, full_sync_every=1, **case.config)
    host = Host(tmp_path)
    try:
        iid = host.add("acme", config)
        clean, _ = host.sync(iid)
        assert clean.status == "succeeded", (clean.message, clean.errors)
        clean_streams = final_streams(host.messages)
        before = snapshot(host.store, iid)

        sb.faults = Faults.of([*case.faults, *extra_faults])
        faulty, elapsed = host.sync(iid)
        msgs = list(host.messages)
        after = snapshot(host.store, iid)
    finally:
        host.close()
    fired = sb.stats()["faults_fired"]
    assert any(fired.values()), f"the fault never fired: {fired}"

    # bounded, the right status, an actionable message
    assert elapsed < case.bound, f"{case.id}: the sync took {elapsed:.1f}s (bound {case.bound}s)"
    assert faulty.status == case.status, (faulty.status, faulty.message, faulty.errors)
    assert sum(1 for m in msgs if m["type"] == "SYNC_STATUS") == 1 and msgs[-1]["type"] == "SYNC_STATUS"
    text = " ".join([faulty.message or ""] + [e.get("message") or "" for e in faulty.errors]).lower()
    for word in case.words:
        assert word.lower() in text, f"{case.id}: {word!r} not in {text[:1500]}"
    if case.status != "succeeded":
        assert len(faulty.message or "") >= 30 and all(len(e["message"]) >= 30 for e in faulty.errors), (
            faulty.message, faulty.errors)  # a deadline stop is a WARNING, not an ERROR: the message says it

    # which streams the fault hit (compared with the clean sync, where every stream was read)
    streams = final_streams(msgs)
    hit = {n for n, s in streams.items() if s["status"] != "COMPLETE" and clean_streams[n]["status"] == "COMPLETE"}
    hit |= {n for n, s in clean_streams.items() if s["status"] == "COMPLETE" and n not in streams}
    for name in case.streams:
        assert name in hit, f"{case.id}: {name} should not be COMPLETE: {streams.get(name)}"
    if case.status == "succeeded" and not case.streams:
        assert not hit, f"{case.id}: survived, yet streams were not read completely: {hit}"
    assert_no_false_pass(msgs, hit)

    # nothing the clean sync stored is lost
    assert before.assets <= after.assets, f"assets lost: {sorted(before.assets - after.assets)[:10]}"
    assert not after.gone, f"assets marked gone: {sorted(after.gone)[:10]}"
    assert before.open_findings <= after.open_findings, (
        f"findings resolved: {sorted(before.open_findings - after.open_findings)[:10]}")
    known = ("pass", "warning", "fail")
    if case.status != "succeeded":
        for uid, f in before.findings.items():
            if f["compliance_status"] in known:
                assert after.findings[uid]["compliance_status"] in known, (uid, f, after.findings[uid])
    return {"elapsed": elapsed, "status": faulty.status, "hit": hit}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fault_is_survived_without_loss(case, sandbox, tmp_path, monkeypatch):
    run_case(case, sandbox, tmp_path, monkeypatch)


def test_next_link_on_a_foreign_host_gets_no_request_and_no_credential(sandbox, tmp_path, monkeypatch):
    """The foreign host is a real listener on another loopback address: it must see no connection at all."""
    foreign = RecordingServer("127.0.0.2")
    try:
        case = Case("foreign-next", (), "partial", ("refusing", "127.0.0.2"), ("users",), users=250)
        run_case(case, sandbox, tmp_path, monkeypatch,
                 extra_faults=(Fault("foreign_next", "/api/v1/users", host=foreign.url),))
    finally:
        foreign.stop()
    assert foreign.connections == 0 and foreign.requests == []
