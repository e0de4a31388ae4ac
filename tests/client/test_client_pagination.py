"""Pagination: Link headers verbatim (one or several lines), body links on /iam/*, loop and stop rules."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from client_support import ORG, base_config, well_known_body

from connector_okta.client import ResponseError, UnsafeURLError
from connector_okta.client.pagination import body_items, cursor_of, parse_link_values, same_url


def link(url: str, rel: str) -> str:
    return f'<{url}>; rel="{rel}"'


def page_headers(self_url: str, next_url: str | None = None) -> dict[str, str]:
    values = [link(self_url, "self")] + ([link(next_url, "next")] if next_url else [])
    return {"Link": ", ".join(values)}


def items(prefix: str, n: int) -> list[dict]:
    return [{"id": f"{prefix}{i}"} for i in range(n)]


# ------------------------------------------------------------------ the Link parser


def test_parse_link_handles_commas_inside_urls_and_odd_formatting():
    value = (
        '<https://acme.okta.com/api/v1/users?filter=status+eq+"A",status+eq+"B"&limit=2>; rel="self", '
        "<https://acme.okta.com/api/v1/users?after=00u2%3D%3D&limit=2>;rel=next"
    )
    links = parse_link_values([value])
    assert links["self"].endswith('status+eq+"B"&limit=2')
    assert links["next"] == "https://acme.okta.com/api/v1/users?after=00u2%3D%3D&limit=2"


def test_parse_link_several_header_lines_and_multi_rel():
    links = parse_link_values(
        ['<https://x/a?after=1>; rel="next"', '<https://x/a>; type="text"; rel="self prev"', ""]
    )
    assert links == {"next": "https://x/a?after=1", "self": "https://x/a", "prev": "https://x/a"}


def test_cursor_and_same_url_helpers():
    assert cursor_of("https://x/api?after=abc%3D&limit=5") == "abc="
    assert cursor_of("https://x/api?limit=5") is None
    assert same_url("https://X/api/v1/users/?limit=2&after=a", "https://x/api/v1/users?after=a&limit=2")
    assert not same_url("https://x/api?after=a", "https://x/api?after=b")


def test_body_items_wrapper_detection():
    assert body_items([{"a": 1}]) == ([{"a": 1}], None)
    assert body_items({"value": [1], "_links": {}}) == ([1], "value")
    assert body_items({"roles": [1], "_links": {}}) == ([1], "roles")
    assert body_items({"resource-sets": [1], "_links": {}}) == ([1], "resource-sets")
    assert body_items({"assignees": [1], "_links": {"self": {}}}) == ([1], "assignees")
    assert body_items({"a": [1], "b": [2]}) == (None, None)
    assert body_items({"id": "x"}) == (None, None)


# ------------------------------------------------------------------ following pages


def test_follows_link_next_verbatim_until_no_next(okta, make_client):
    p1 = f"{ORG}/api/v1/users?limit=200"
    p2 = f"{ORG}/api/v1/users?after=00u2%3D%3D&limit=200"  # an encoded cursor must be sent as is
    p3 = f"{ORG}/api/v1/users?after=00u4&limit=200"
    okta.get(p1, json=items("a", 2), headers=page_headers(p1, p2), complete_qs=True)
    okta.get(p2, json=items("b", 2), headers=page_headers(p2, p3), complete_qs=True)
    okta.get(p3, json=items("c", 1), headers=page_headers(p3), complete_qs=True)
    client = make_client()
    pages = list(client.paginate("/api/v1/users"))
    assert [len(p) for p in pages] == [2, 2, 1]
    urls = [r.url for r in okta.request_history if "/api/v1/users" in r.url]
    assert urls == [p1, p2, p3]
    stats = client.stats()
    assert stats["requests_by_endpoint"]["/api/v1/users"] == 3
    assert stats["requests_by_bucket"]["users"] == 3


def test_paginate_is_lazy(okta, make_client):
    p1 = f"{ORG}/api/v1/groups?limit=200"
    p2 = f"{ORG}/api/v1/groups?after=g2&limit=200"
    okta.get(p1, json=items("g", 2), headers=page_headers(p1, p2))
    okta.get(p2, json=items("h", 2), headers=page_headers(p2))
    pages = make_client().paginate("/api/v1/groups")
    first = next(pages)
    assert len(first) == 2
    assert not any("after=g2" in r.url for r in okta.request_history)  # page 2 not read yet
    assert len(next(pages)) == 2


def test_keeps_the_callers_limit_and_params(okta, make_client):
    okta.get(f"{ORG}/api/v1/apps", json=items("a", 1))
    list(make_client().paginate("/api/v1/apps", {"limit": 7, "filter": 'status eq "ACTIVE"'}))
    qs = parse_qs(urlsplit(okta.request_history[-1].url).query)
    assert qs["limit"] == ["7"] and qs["filter"] == ['status eq "ACTIVE"']


def test_largest_page_size_for_known_endpoints(okta, make_client):
    okta.get(f"{ORG}/api/v1/apps/0oa1abcdEFGH2345ijkl/users", json=[])
    list(make_client().paginate("/api/v1/apps/0oa1abcdEFGH2345ijkl/users"))
    assert parse_qs(urlsplit(okta.request_history[-1].url).query)["limit"] == ["500"]


def test_relative_next_link_resolved_on_the_org(okta, make_client):
    p1 = f"{ORG}/api/v1/zones?limit=200"
    okta.get(p1, json=items("z", 1), headers={"Link": '</api/v1/zones?after=z1&limit=200>; rel="next"'})
    okta.get(f"{ORG}/api/v1/zones?after=z1&limit=200", json=items("y", 1))
    assert len(list(make_client().paginate("/api/v1/zones"))) == 2


def test_stops_when_next_equals_self(okta, make_client):
    p1 = f"{ORG}/api/v1/groups?limit=200"
    p2 = f"{ORG}/api/v1/groups?after=g2&limit=200"
    okta.get(p1, json=items("a", 2), headers=page_headers(p1, p2))
    okta.get(p2, json=items("b", 2), headers=page_headers(p2, p2))  # the OKTA-633507 bug: next == self
    client = make_client()
    pages = list(client.paginate("/api/v1/groups"))
    assert len(pages) == 2
    assert len([r for r in okta.request_history if "/groups" in r.url]) == 2
    assert client.stats()["pagination_stops"][0]["reason"] == "next link equals self"


def test_stops_on_a_repeated_cursor(okta, make_client):
    p1 = f"{ORG}/api/v1/groups?limit=200"
    p2 = f"{ORG}/api/v1/groups?after=X&limit=200"
    p3 = f"{ORG}/api/v1/groups?after=Y&limit=200"
    okta.get(p1, json=items("a", 1), headers=page_headers(p1, p2), complete_qs=True)
    okta.get(p2, json=items("b", 1), headers=page_headers(p2, p3), complete_qs=True)
    okta.get(p3, json=items("c", 1), headers=page_headers(p3, f"{ORG}/api/v1/groups?limit=200&after=X"), complete_qs=True)
    client = make_client()
    assert len(list(client.paginate("/api/v1/groups"))) == 3
    assert len([r for r in okta.request_history if "/groups" in r.url]) == 3
    assert client.stats()["pagination_stops"]


def test_stops_on_a_loop_back_to_an_earlier_page_without_cursor(okta, make_client):
    p1 = f"{ORG}/api/v1/eventHooks"
    p2 = f"{ORG}/api/v1/eventHooks?page=2"
    okta.get(p1, json=items("a", 1), headers=page_headers(p1, p2), complete_qs=True)
    okta.get(p2, json=items("b", 1), headers={"Link": link(p1, "next")}, complete_qs=True)
    assert len(list(make_client().paginate("/api/v1/eventHooks"))) == 2


def test_stops_on_an_empty_page_even_with_a_next_link(okta, make_client):
    p1 = f"{ORG}/api/v1/logs?limit=1000"
    p2 = f"{ORG}/api/v1/logs?after=1&limit=1000"
    okta.get(p1, json=items("e", 3), headers=page_headers(p1, p2))
    okta.get(p2, json=[], headers=page_headers(p2, f"{ORG}/api/v1/logs?after=2&limit=1000"))
    assert [len(p) for p in make_client().paginate("/api/v1/logs")] == [3]
    assert not any("after=2" in r.url for r in okta.request_history)


def test_max_pages_raises_instead_of_truncating_silently(okta, make_client):
    for i in range(3):
        url = f"{ORG}/api/v1/groups?after=c{i}&limit=200" if i else f"{ORG}/api/v1/groups?limit=200"
        okta.get(url, json=items(str(i), 1), headers=page_headers(url, f"{ORG}/api/v1/groups?after=c{i + 1}&limit=200"),
                 complete_qs=True)
    pages = make_client().paginate("/api/v1/groups", max_pages=2)
    assert len(next(pages)) == 1
    assert len(next(pages)) == 1
    with pytest.raises(ResponseError) as info:
        next(pages)
    assert "incomplete" in info.value.message


def test_foreign_next_host_is_refused_not_followed(okta, make_client):
    p1 = f"{ORG}/api/v1/users?limit=200"
    okta.get(p1, json=items("a", 2), headers=page_headers(p1, "https://evil.example.com/api/v1/users?after=x"))
    evil = okta.get("https://evil.example.com/api/v1/users", json=[])
    pages = make_client().paginate("/api/v1/users")
    assert len(next(pages)) == 2
    with pytest.raises(UnsafeURLError) as info:
        next(pages)
    assert "evil.example.com" in info.value.message and info.value.kind == "internal"  # only that read fails (issue 15)
    assert evil.call_count == 0


def test_http_downgrade_of_next_link_is_refused(okta, make_client):
    p1 = f"{ORG}/api/v1/users?limit=200"
    okta.get(p1, json=items("a", 1), headers=page_headers(p1, "http://acme.okta.com/api/v1/users?after=x"))
    with pytest.raises(UnsafeURLError):
        list(make_client().paginate("/api/v1/users"))


def test_next_on_the_canonical_host_allowed_for_a_custom_domain(okta, make_client):
    custom = "https://login.acme.com"
    okta.get(f"{custom}/.well-known/okta-organization", json=well_known_body(ORG, alternate=custom))
    okta.get(f"{custom}/api/v1/users?limit=200", json=items("a", 1),
             headers={"Link": link(f"{ORG}/api/v1/users?after=z&limit=200", "next")})
    okta.get(f"{ORG}/api/v1/users?after=z&limit=200", json=items("b", 1))
    client = make_client(base_config(org_url=custom))
    assert len(list(client.paginate("/api/v1/users"))) == 2


@pytest.mark.parametrize("key", ["value", "roles", "resource-sets"])
def test_iam_body_links_and_wrapper_keys(okta, make_client, key):
    path = {"value": "/api/v1/iam/assignees/users", "roles": "/api/v1/iam/roles", "resource-sets": "/api/v1/iam/resource-sets"}[key]
    n1 = f"{ORG}{path}?after=p2"
    okta.get(f"{ORG}{path}", [
        {"json": {key: items("r", 2), "_links": {"self": {"href": f"{ORG}{path}"}, "next": {"href": n1}}}},
    ])
    okta.get(n1, json={key: items("s", 1), "_links": {"self": {"href": n1}}}, complete_qs=True)
    pages = list(make_client().paginate(path))
    assert [len(p) for p in pages] == [2, 1]
    assert pages[1][0]["id"] == "s0"


def test_a_500_on_a_list_is_retried_once_with_a_smaller_limit(okta, make_client, clock):
    okta.get(f"{ORG}/api/v1/groups?limit=200", status_code=500, json={"errorCode": "E0000009"}, complete_qs=True)
    okta.get(f"{ORG}/api/v1/groups?limit=100", json=items("g", 2), complete_qs=True)
    client = make_client()
    assert [len(p) for p in client.paginate("/api/v1/groups")] == [2]
    limits = [parse_qs(urlsplit(r.url).query).get("limit") for r in okta.request_history if "/groups" in r.url]
    assert limits == [["200"], ["100"]]
    assert client.stats()["retries"] >= 1


def test_non_list_body_is_an_error(okta, make_client):
    okta.get(f"{ORG}/api/v1/groups", json={"id": "just-one"})
    with pytest.raises(ResponseError):
        list(make_client().paginate("/api/v1/groups"))


# ------------------------------------------------------------------ several Link header lines on the wire


class _TwoLinkLines(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path.startswith("/.well-known/okta-organization"):
            body = well_known_body(host)
            links = []
        elif "after=p2" in self.path:
            body, links = items("b", 1), [f'<{host}{self.path}>; rel="self"']
        else:
            body = items("a", 2)
            links = [f'<{host}{self.path}>; rel="self"', f'<{host}/api/v1/users?after=p2&limit=200>; rel="next"']
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        for value in links:
            self.send_header("Link", value)  # one header line per link, as Okta sends them
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_several_link_header_lines_from_a_real_server(make_client):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TwoLinkLines)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = make_client(base_config(org_url=url, allow_insecure_http_loopback=True), resolver=None)
        pages = list(client.paginate("/api/v1/users"))
        assert [len(p) for p in pages] == [2, 1]
    finally:
        server.shutdown()
        server.server_close()


def test_unparseable_next_link_is_refused(okta, make_client):
    okta.get(f"{ORG}/api/v1/users?limit=200", json=items("a", 1), headers={"Link": '<https://[oops/api?after=1>; rel="next"'})
    with pytest.raises(UnsafeURLError):
        list(make_client().paginate("/api/v1/users"))
