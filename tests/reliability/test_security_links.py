"""Issue 15, item 2: a link read from a response never carries the credential off the org.

``http://EVIL\\@ORG/...``: Python's ``urlsplit`` reads the host ORG, requests/urllib3 connect to EVIL. A next
link or a redirect built that way used to pass the origin check and send the token to another port. Every test
here runs the connector's real HTTP stack against real listeners: the org (a fake one, or the sandbox) and an
"evil" listener on another port of the same address, which must see no connection at all."""

from __future__ import annotations

import pytest
from okta_sandbox.faults import Fault, Faults, ambiguous_host
from reliability_harness import RecordingServer, final_streams, payloads
from security_servers import TOKEN, Answer, FakeOrg, json_answer

from connector_okta import plugin
from connector_okta.client import OktaClient, UnsafeURLError
from connector_okta.client.errors import UnsafeLinkError
from connector_okta.config import load_config

USERS = [{"id": f"00u{i:017d}", "status": "ACTIVE", "profile": {"login": f"u{i}@example.com"}} for i in range(2)]


@pytest.fixture
def evil():
    server = RecordingServer("127.0.0.1")  # another port on the org's own address
    yield server
    server.stop()


@pytest.fixture
def org():
    server = FakeOrg()
    yield server
    server.stop()


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def ambiguous_links(evil_url: str, org: FakeOrg) -> list[str]:
    """Links Python's urlsplit reads as the org while another parser (urllib3, a browser) may read evil."""
    e, o = f"127.0.0.1:{port_of(evil_url)}", f"127.0.0.1:{org.port}"
    return [
        f"http://{e}\\@{o}/api/v1/users?after=x",  # the report: urllib3 connects to e
        f"http://{e}\\\\@{o}/api/v1/users?after=x",
        f"http://{e}%5C@{o}/api/v1/users?after=x",
        f"http://{e}@{o}/api/v1/users?after=x",  # user info, even when both parsers agree
        f"http://{e}\t@{o}/api/v1/users?after=x",
        f"http://{e} @{o}/api/v1/users?after=x",
        f"http://{o}\\.{e}/api/v1/users?after=x",
        f"http://{e}\uff3c@{o}/api/v1/users?after=x",
        f"\\\\{e}/api/v1/users?after=x",
        f"/\\{e}/api/v1/users?after=x",
    ]


def no_token_off_the_org(evil: RecordingServer) -> None:
    assert evil.connections == 0 and evil.requests == [], evil.requests


@pytest.mark.parametrize("index", range(10))
def test_an_ambiguous_next_link_is_refused_and_the_other_port_gets_nothing(org, evil, index):
    link = ambiguous_links(evil.url, org)[index]
    org.route("/api/v1/users", lambda req: json_answer(USERS, headers=[("Link", f'<{link}>; rel="next"')]))
    with OktaClient(load_config(org.config())) as client:
        pages = client.paginate("/api/v1/users")
        assert len(next(pages)) == 2
        with pytest.raises(UnsafeLinkError) as info:
            next(pages)
    err = info.value
    assert err.kind == "internal"  # that read fails, not the sync
    assert "refusing to follow" in err.message and TOKEN not in err.message
    no_token_off_the_org(evil)
    assert [r.route for r in org.requests].count("/api/v1/users") == 1


def test_an_ambiguous_next_link_in_a_body_wrapper_is_refused(org, evil):
    link = ambiguous_links(evil.url, org)[0]
    org.route("/api/v1/iam/assignees/users",
              lambda req: json_answer({"value": [{"id": "00u1"}], "_links": {"next": {"href": link}}}))
    with OktaClient(load_config(org.config())) as client, pytest.raises(UnsafeLinkError):
        list(client.paginate("/api/v1/iam/assignees/users"))
    no_token_off_the_org(evil)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_an_ambiguous_redirect_is_refused_and_the_other_port_gets_nothing(org, evil, status):
    location = ambiguous_links(evil.url, org)[0].replace("/api/v1/users", "/api/v1/groups")
    org.route("/api/v1/groups", lambda req: Answer(status, [("Location", location)], b""))
    with OktaClient(load_config(org.config())) as client, pytest.raises(UnsafeLinkError) as info:
        client.get("/api/v1/groups")
    assert info.value.kind == "internal" and "redirect" in info.value.message
    no_token_off_the_org(evil)


def test_a_plain_same_org_next_link_is_rebuilt_on_the_org_origin(org, evil):
    """What is requested is the org's origin + the link's path and query: a fragment, a default port spelled out or
    an upper-case host make no difference, and the request carries the token to the org only."""
    link = f"HTTP://127.0.0.1:{org.port}/api/v1/users?after=x&limit=200#frag"
    org.route("/api/v1/users", lambda req: json_answer(
        USERS if "after=" not in req.path else USERS[:1],
        headers=[] if "after=" in req.path else [("Link", f'<{link}>; rel="next"')]))
    with OktaClient(load_config(org.config())) as client:
        assert sum(len(p) for p in client.paginate("/api/v1/users")) == 3
    assert [r.path for r in org.requests if r.route == "/api/v1/users"][1] == "/api/v1/users?after=x&limit=200"
    assert all(r.headers.get("Authorization") == f"SSWS {TOKEN}" for r in org.requests if r.route != "/.well-known/okta-organization")
    no_token_off_the_org(evil)


@pytest.mark.parametrize("which", ["alternate", "organization"])
def test_the_org_metadata_cannot_name_another_host_to_receive_the_token(org, evil, which):
    """``/.well-known/okta-organization`` names the org's hosts; only the configured one or an Okta-operated domain
    may receive the credential, so a next link to the host it names is refused."""
    org.well_known_links = {which: {"href": evil.url}}
    org.route("/api/v1/users", lambda req: json_answer(
        USERS, headers=[("Link", f'<{evil.url}/api/v1/users?after=x>; rel="next"')]))
    with OktaClient(load_config(org.config())) as client:
        pages = client.paginate("/api/v1/users")
        assert len(next(pages)) == 2
        with pytest.raises(UnsafeLinkError) as info:
            next(pages)
    assert str(port_of(evil.url)) in info.value.message
    no_token_off_the_org(evil)


def test_an_absolute_url_given_to_the_client_is_judged_by_the_same_rules(org, evil):
    with OktaClient(load_config(org.config())) as client:
        for url in ambiguous_links(evil.url, org)[:8]:
            with pytest.raises(UnsafeURLError):
                client.get(url)
    no_token_off_the_org(evil)


# ------------------------------------------------------------------------------------------------ end to end


def test_a_sync_given_an_ambiguous_next_link_is_partial_and_sends_nothing_to_the_other_port(sandbox, evil):
    """The sandbox's ``foreign_next`` fault with a ``\\@`` host: users is INCOMPLETE with the reason, the other
    collections are complete, the sync is ``partial`` (not ``failed``), and the other port saw no connection."""
    sb = sandbox("default", users=250, rate_limits=None)
    host = ambiguous_host(evil.url, sb.url)  # http://127.0.0.1:EVIL\@127.0.0.1:SANDBOX, once the port is known
    assert host == f"http://127.0.0.1:{port_of(evil.url)}\\@127.0.0.1:{sb.port}"
    sb.faults = Faults.of([Fault("foreign_next", "/api/v1/users", host=host, count=None)])
    from okta_sandbox.generator import token_for_role

    cfg = {"org_url": sb.url, "auth": {"method": "api_token", "token": token_for_role(sb.org, "SUPER_ADMIN")},
           "allow_insecure_http_loopback": True}
    msgs = list(plugin.connector_sync(config=cfg, state=None, context=None))
    status = payloads(msgs, "SYNC_STATUS")[-1]
    streams = final_streams(msgs)
    assert status["status"] == "partial", status
    assert streams["users"]["status"] == "INCOMPLETE" and "refusing to follow" in streams["users"]["reason"]
    for name in ("groups", "apps", "zones", "authenticators"):
        assert streams[name]["status"] == "COMPLETE", streams[name]
    errors = payloads(msgs, "ERROR")
    assert any(e["stream"] == "users" and not e["fatal"] for e in errors)
    assert not any(e["fatal"] for e in errors)
    no_token_off_the_org(evil)


def test_own_paths_with_odd_characters_are_still_sent_to_the_org(org):
    """The strict rules judge URLs read from responses, not the connector's own org URL + path: a path holding a
    space or non-ASCII (an odd id from a body) is sent to the org, also when a 500 is retried with half the limit."""
    calls = []

    def members(req):
        calls.append(req.path)
        return json_answer({"errorCode": "E0000009", "errorSummary": "timeout"}, 500) if len(calls) == 1 else \
            json_answer([{"id": "00u1"}])

    org.route("/api/v1/groups/*/users", members)
    with OktaClient(load_config(org.config())) as client:
        assert sum(len(p) for p in client.paginate("/api/v1/groups/00g x\u00e91234/users", {"limit": 200})) == 1
    assert len(calls) == 2 and "limit=100" in calls[1] and calls[1].startswith("/api/v1/groups/00g%20x%C3%A91234/")
