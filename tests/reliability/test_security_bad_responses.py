"""Issue 15, items 4 and 5: one bad answer fails one read, never the sync, and memory stays bounded.

* A body nested 100,000 levels deep used to raise ``RecursionError``; ``X-Rate-Limit-Remaining: 1e400`` (and the
  same in ``-Reset``, ``Retry-After``, negative, NaN) used to raise ``OverflowError``: both ended the whole sync
  ``failed``. Now a bad body is a typed client error for that read (the collection INCOMPLETE with the reason,
  the sync ``partial``) and a header value outside a sane range is ignored.
* A 57 MB page of ``[{},{},...]`` (under the 64 MiB cap) grew to 2.9 GB. Now a page holding more objects than the
  ``limit`` asked for is refused (decoding stops at the first object too many), and the byte cap is proportionate
  to the page size asked for, so a huge page is refused before it is parsed.

The client-level tests use a fake org on a real socket; the end-to-end ones run the real sync against the sandbox
through a tampering reverse proxy that spoils one route's answers.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest
from okta_sandbox.generator import token_for_role
from reliability_harness import final_streams, payloads
from security_servers import Answer, FakeOrg, TamperingProxy, deep_json, json_answer, replace_header

from connector_okta import plugin
from connector_okta.client import OktaClient, ResponseError
from connector_okta.client import session as client_session
from connector_okta.client.body import MAX_DEPTH
from connector_okta.client.session import ITEM_BODY_BUDGET, PAGE_BODY_FLOOR
from connector_okta.config import load_config

USERS = [{"id": f"00u{i:017d}", "status": "ACTIVE", "profile": {"login": f"u{i}@example.com"}} for i in range(3)]


class Clock:
    """A fake clock: sleeping only moves it (a 1e400-second wait would otherwise hang the test)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return 1.7e9 + self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def org():
    server = FakeOrg()
    yield server
    server.stop()


def client_for(org: FakeOrg, **kwargs) -> OktaClient:
    return OktaClient(load_config(org.config()), **kwargs)


# ------------------------------------------------------------------------------------ item 4: bodies and headers


@pytest.mark.parametrize("levels", [100_000, 2_000, MAX_DEPTH + 1])
def test_a_deeply_nested_body_is_a_typed_error_of_that_read(org, levels):
    org.route("/api/v1/zones", lambda req: Answer(200, [("Content-Type", "application/json")], deep_json(levels)))
    with client_for(org) as client, pytest.raises(ResponseError) as info:
        list(client.paginate("/api/v1/zones"))
    assert info.value.kind == "internal" and "nested more than" in info.value.message


def test_a_body_at_the_depth_limit_is_read(org):
    org.route("/api/v1/zones", lambda req: Answer(200, [("Content-Type", "application/json")],
                                                  b"[" + deep_json(MAX_DEPTH - 1) + b"]"))
    with client_for(org) as client:
        assert len(list(client.paginate("/api/v1/zones"))) == 1


BAD_NUMBERS = ["1e400", "-1e400", "NaN", "inf", "-5", "1e30", "99999999999999999999999", "0x10", "", "1, 1e400"]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("header", ["X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Rate-Limit-Limit"])
def test_rate_limit_headers_outside_a_sane_range_are_ignored(org, header, value):
    good = [("X-Rate-Limit-Limit", "600"), ("X-Rate-Limit-Remaining", "599"), ("X-Rate-Limit-Reset", "1700000060")]
    org.route("/api/v1/users", lambda req: json_answer(USERS, headers=replace_header(good, header, value)))
    clock = Clock()
    with client_for(org, clock=clock) as client:
        for _ in range(3):
            assert sum(len(p) for p in client.paginate("/api/v1/users")) == 3
    assert sum(clock.sleeps) <= 61, clock.sleeps  # nothing stalls on a value that was not believed


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("header", ["Retry-After", "X-Rate-Limit-Reset"])
def test_a_429_with_a_hostile_wait_is_waited_out_within_bounds(org, header, value):
    calls = []

    def users(req):
        calls.append(req.path)
        if len(calls) == 1:
            return json_answer({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit"}, 429,
                               [("X-Rate-Limit-Limit", "600"), ("X-Rate-Limit-Remaining", "0"), (header, value)])
        return json_answer(USERS)

    org.route("/api/v1/users", users)
    clock = Clock()
    with client_for(org, clock=clock) as client:
        assert sum(len(p) for p in client.paginate("/api/v1/users")) == 3
    assert len(calls) == 2 and 0 < sum(clock.sleeps) <= 5 * 60 + 2, clock.sleeps


@pytest.mark.parametrize("body", [b"[NaN]", b'[{"a": Infinity}]', b'[{"a": 1e400}]', b"\xff\xfe[", b"[" * 10 + b"\x00", b'["\xed\xa0"]'])
def test_other_bodies_that_are_not_json_are_typed_errors(org, body):
    org.route("/api/v1/zones", lambda req: Answer(200, [("Content-Type", "text/plain")], body))
    with client_for(org) as client, pytest.raises(ResponseError):
        list(client.paginate("/api/v1/zones"))


def test_a_hostile_request_id_never_reaches_a_message(org):
    org.route("/api/v1/zones", lambda req: Answer(200, [("Content-Type", "application/json"),
                                                        ("X-Okta-Request-Id", "<script>" + "x" * 300)],
                                                  deep_json(5000)))
    with client_for(org) as client, pytest.raises(ResponseError) as info:
        list(client.paginate("/api/v1/zones"))
    assert "<script>" not in str(info.value) and info.value.request_id is None


# ------------------------------------------------------------------------------------ item 5: bounded memory


def page_of(n: int) -> list[dict]:
    return [{"id": f"00u{i:017d}", "status": "ACTIVE", "profile": {"login": f"u{i}@example.com"}} for i in range(n)]


def test_a_page_with_more_objects_than_the_limit_asked_for_is_refused(org):
    org.route("/api/v1/users", lambda req: json_answer(page_of(300)))
    with client_for(org) as client, pytest.raises(ResponseError) as info:
        list(client.paginate("/api/v1/users", {"limit": 200}))
    err = info.value
    assert err.kind == "internal" and "more than 200 objects" in err.message, err.message
    assert "limit=200" in org.requests[-1].path


def test_a_wrapped_page_with_too_many_objects_is_refused(org):
    org.route("/api/v1/iam/assignees/users", lambda req: json_answer({"value": page_of(101), "_links": {}}))
    with client_for(org) as client, pytest.raises(ResponseError, match="more than 100 objects"):
        list(client.paginate("/api/v1/iam/assignees/users"))


def test_a_page_of_exactly_the_limit_is_read(org):
    org.route("/api/v1/users", lambda req: json_answer(page_of(200)))
    with client_for(org) as client:
        assert sum(len(p) for p in client.paginate("/api/v1/users", {"limit": 200})) == 200


@pytest.mark.parametrize(("answered", "refused"), [(20, False), (21, True)])
def test_an_endpoint_with_a_minimum_page_size_may_answer_that_many(org, answered, refused):
    """App groups answer at least 20 objects whatever ``limit`` says (Okta: "min 20")."""
    org.route("/api/v1/apps/*/groups", lambda req: json_answer(page_of(answered)))
    with client_for(org) as client:
        pages = client.paginate("/api/v1/apps/0oa1abcdefgh/groups", {"limit": 10})
        if refused:
            with pytest.raises(ResponseError, match="more than 20 objects"):
                list(pages)
        else:
            assert sum(len(p) for p in pages) == answered


def test_endpoints_that_ignore_limit_may_answer_more(org):
    """Okta: "not all APIs respect pagination or the limit parameter" (authenticators, API tokens...): only the
    routes known to honour it are held to it (Test Connection probes every collection with limit=1)."""
    org.route("/api/v1/authenticators", lambda req: json_answer(page_of(7)))
    with client_for(org) as client:
        assert len(client.get("/api/v1/authenticators", {"limit": 1}).json) == 7


@pytest.mark.parametrize("with_length", [True, False])
def test_a_body_over_the_cap_of_its_page_size_is_refused_before_parsing(org, monkeypatch, with_length):
    cap = max(PAGE_BODY_FLOOR, 200 * ITEM_BODY_BUDGET)
    body = json.dumps(page_of(1)).encode()[:-1] + b"," + b" " * cap + b"{}]"  # valid JSON, over the cap
    org.route("/api/v1/users", lambda req: Answer(200, [("Content-Type", "application/json")], body,
                                                  content_length=with_length))
    parsed = []
    real = client_session.parse_json
    monkeypatch.setattr(client_session, "parse_json", lambda content, **kw: parsed.append(len(content)) or
                        real(content, **kw))
    with client_for(org) as client, pytest.raises(ResponseError) as info:
        list(client.paginate("/api/v1/users", {"limit": 200}))
    assert f"over the {cap}-byte limit" in info.value.message and info.value.kind == "internal"
    assert not any(n > cap for n in parsed)  # the huge body never reached the parser
    assert cap < client_session.MAX_BODY_BYTES


def test_a_page_of_millions_of_tiny_objects_costs_no_more_than_the_objects_asked_for(org):
    """2.7 MB of ``{},`` under the page's byte cap and under the values bound: the old client built 900,000 dicts
    (~65 MB); decoding now stops at the 201st object."""
    body = b"[" + b",".join([b"{}"] * 900_000) + b"]"
    org.route("/api/v1/users", lambda req: Answer(200, [("Content-Type", "application/json")], body))
    with client_for(org) as client:
        client.well_known()
        tracemalloc.start()
        try:
            with pytest.raises(ResponseError, match="more than 200 objects"):
                list(client.paginate("/api/v1/users", {"limit": 200}))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB for a {len(body) / 1e6:.1f} MB body"


def test_a_body_no_limit_governs_is_bounded_by_its_number_of_values(org):
    """Zones are read without ``limit`` (one page holds them all), so no object count applies: the report's page
    of ``{}`` (here 9 MB, 3 million of them) is refused before decoding by its number of values."""
    body = b"[" + b",".join([b"{}"] * 3_000_000) + b"]"
    org.route("/api/v1/zones", lambda req: Answer(200, [("Content-Type", "application/json")], body))
    with client_for(org) as client:
        client.well_known()
        tracemalloc.start()
        try:
            with pytest.raises(ResponseError, match="values") as info:
                list(client.paginate("/api/v1/zones"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert info.value.kind == "internal"
    assert peak < 3 * len(body), f"peak {peak / 1e6:.0f} MB for a {len(body) / 1e6:.0f} MB body"


# ------------------------------------------------------------------------------------ end to end, real sync


def _deep(req, status, headers, body):
    return status, headers, deep_json(100_000)


def _header(name: str, value: str):
    def tamper(req, status, headers, body):
        return status, replace_header(headers, name, value), body
    return tamper


def _too_many(req, status, headers, body):
    items = json.loads(body)
    return status, headers, json.dumps(items + [dict(items[0], id=f"00uEXTRA{i:012d}") for i in range(300)]).encode()


def _huge(req, status, headers, body):
    return status, headers, body[:-1] + b" " * (max(PAGE_BODY_FLOOR, 200 * ITEM_BODY_BUDGET) + 10) + b"]"


BROKEN = {  # id: (route tampered, how, expected sync status, words the stream's reason holds)
    "deep-body": ("/api/v1/zones", _deep, "partial", "nested more than"),
    "remaining-1e400": ("/api/v1/zones", _header("X-Rate-Limit-Remaining", "1e400"), "succeeded", None),
    "reset-1e400": ("/api/v1/zones", _header("X-Rate-Limit-Reset", "1e400"), "succeeded", None),
    "limit-nan": ("/api/v1/zones", _header("X-Rate-Limit-Limit", "NaN"), "succeeded", None),
    "remaining-negative": ("/api/v1/users", _header("X-Rate-Limit-Remaining", "-40"), "succeeded", None),
    "too-many-objects": ("/api/v1/users", _too_many, "partial", "more than 200 objects"),
    "huge-page": ("/api/v1/users", _huge, "partial", "byte limit"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_one_bad_answer_never_fails_the_sync(sandbox, case):
    route, how, expected, words = BROKEN[case]
    sb = sandbox("default", users=40, rate_limits=None)

    def tamper(req, status, headers, body):
        if req.route == route and status == 200:
            return how(req, status, headers, body)
        return None

    proxy = TamperingProxy(sb.url, tamper)
    try:
        cfg = {"org_url": proxy.url, "auth": {"method": "api_token", "token": token_for_role(sb.org, "SUPER_ADMIN")},
               "allow_insecure_http_loopback": True}
        msgs = list(plugin.connector_sync(config=cfg, state=None, context=None))
    finally:
        proxy.stop()
    assert proxy.tampered, "the fault never fired"
    status = payloads(msgs, "SYNC_STATUS")[-1]
    streams = final_streams(msgs)
    stream = "zones" if route.endswith("zones") else "users"
    assert status["status"] == expected, (status, [e["message"] for e in payloads(msgs, "ERROR")])
    assert not any(e["fatal"] for e in payloads(msgs, "ERROR"))
    if words:
        assert streams[stream]["status"] == "INCOMPLETE" and words in (streams[stream]["reason"] or ""), streams[stream]
        assert any(e["stream"] == stream and e["kind"] == "internal" for e in payloads(msgs, "ERROR"))
    else:
        assert streams[stream]["status"] == "COMPLETE", streams[stream]
    for other in {"groups", "apps", "zones", "users", "authenticators", "policies"} - {stream}:
        assert streams[other]["status"] == "COMPLETE", (other, streams[other])
