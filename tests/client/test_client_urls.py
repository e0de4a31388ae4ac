"""Org URL normalisation, refusal of unsafe URLs and hosts, and the well-known org check."""

from __future__ import annotations

import pytest

from connector_okta import urls
from connector_okta.client.errors import ConfigError, NetworkError, UnsafeURLError

NORMALISE = [
    ("acme.okta.com", "https://acme.okta.com"),
    ("https://acme.okta.com/", "https://acme.okta.com"),
    ("  https://acme.okta.com  ", "https://acme.okta.com"),
    ("HTTPS://ACME.OKTA.COM", "https://acme.okta.com"),
    ("https://acme-admin.okta.com/admin/dashboard", "https://acme.okta.com"),
    ("dev-01177082-admin.okta.com/admin/apps/active", "https://dev-01177082.okta.com"),
    ("acme-admin.oktapreview.com", "https://acme.oktapreview.com"),
    ("https://acme.okta-emea.com/oauth2/default", "https://acme.okta-emea.com"),
    ("acme-admin.okta-gov.com", "https://acme.okta-gov.com"),
    ("acme.okta.mil/api/v1/users?limit=5#frag", "https://acme.okta.mil"),
    ("acme-admin.trexcloud.com", "https://acme.trexcloud.com"),
    ("trial-1234567.okta.com", "https://trial-1234567.okta.com"),
    ("login.example.com", "https://login.example.com"),  # custom domain: not whitelisted away
    ("my-admin.example.com", "https://my-admin.example.com"),  # -admin only stripped on Okta domains
    ("https://acme.okta.com:443/", "https://acme.okta.com"),
    ("https://acme.okta.com:8443", "https://acme.okta.com:8443"),
    ("//acme.okta.com", "https://acme.okta.com"),
    ("<https://acme.okta.com>", "https://acme.okta.com"),
    ("acme.okta.com.", "https://acme.okta.com"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALISE)
def test_normalises_what_people_paste(raw, expected):
    assert urls.normalize_org_url(raw) == expected


def test_loopback_http_only_with_the_developer_flag():
    assert urls.normalize_org_url("http://127.0.0.1:8080/", allow_insecure_http_loopback=True) == "http://127.0.0.1:8080"
    assert urls.normalize_org_url("http://localhost:9000", allow_insecure_http_loopback=True) == "http://localhost:9000"
    assert urls.normalize_org_url("http://[::1]:9000", allow_insecure_http_loopback=True) == "http://[::1]:9000"
    with pytest.raises(UnsafeURLError):
        urls.normalize_org_url("http://127.0.0.1:8080")


REFUSE = [
    ("http://acme.okta.com", UnsafeURLError),  # plain http
    ("ftp://acme.okta.com", UnsafeURLError),
    ("javascript:alert(1)", UnsafeURLError),
    ("file:///etc/passwd", UnsafeURLError),
    ("https://user:pass@acme.okta.com", UnsafeURLError),  # userinfo
    ("https://evil.com@acme.okta.com", UnsafeURLError),
    ("https://169.254.169.254/latest/meta-data", UnsafeURLError),
    ("https://[fd00:ec2::254]", UnsafeURLError),
    ("https://10.0.0.5", UnsafeURLError),
    ("https://192.168.1.1", UnsafeURLError),
    ("https://127.0.0.1", UnsafeURLError),
    ("https://localhost", UnsafeURLError),
    ("https://0.0.0.0", UnsafeURLError),
    ("https://[::]", UnsafeURLError),
    ("https://[fe80::1]", UnsafeURLError),
    ("https://metadata.google.internal", UnsafeURLError),
    ("https://[::ffff:10.0.0.1]", UnsafeURLError),
    ("", ConfigError),
    ("   ", ConfigError),
    ("https://{yourOktaDomain}", ConfigError),
    ("https://acme .okta.com", ConfigError),
    ("https://acme.okta.com:99999", ConfigError),
    ("acme", ConfigError),
    ("https://https://acme.okta.com", ConfigError),
    ("https://acme_corp.okta.com", ConfigError),
    (None, ConfigError),
]


@pytest.mark.parametrize(("raw", "error"), REFUSE)
def test_refuses_unsafe_or_invalid_urls(raw, error):
    with pytest.raises(error) as info:
        urls.normalize_org_url(raw)
    assert info.value.kind == "config"
    assert "org_url" in info.value.message


def test_http_to_a_public_host_refused_even_with_the_flag():
    with pytest.raises(UnsafeURLError):
        urls.normalize_org_url("http://acme.okta.com", allow_insecure_http_loopback=True)


def test_private_ip_refused_even_with_the_loopback_flag():
    with pytest.raises(UnsafeURLError):
        urls.normalize_org_url("http://10.1.2.3", allow_insecure_http_loopback=True)


def _resolver(*addresses):
    def resolve(host, port, *args):
        if not addresses:
            raise OSError("no such host")
        return [(2, 1, 6, "", (a, port)) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("10.0.0.7", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.10", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "metadata"),
        ("169.254.10.10", "link-local"),
        ("fd00:ec2::254", "metadata"),
        ("fe80::1", "link-local"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),
        ("::ffff:192.168.1.1", "private"),
    ],
)
def test_dns_to_unsafe_addresses_refused(address, why):
    with pytest.raises(UnsafeURLError) as info:
        urls.check_host_addresses("https://acme.okta.com", resolver=_resolver("52.1.2.3", address))
    assert why in info.value.message
    assert "acme.okta.com" in info.value.message


def test_dns_public_addresses_accepted():
    got = urls.check_host_addresses("https://acme.okta.com", resolver=_resolver("52.1.2.3", "2600:1f18::1"))
    assert got == ["52.1.2.3", "2600:1f18::1"]


def test_dns_loopback_allowed_only_with_flag():
    assert urls.check_host_addresses("http://localhost:8000", allow_loopback=True, resolver=_resolver("127.0.0.1"))
    with pytest.raises(UnsafeURLError):
        urls.check_host_addresses("http://localhost:8000", resolver=_resolver("127.0.0.1"))


def test_dns_failure_is_a_network_error_unless_behind_a_proxy():
    with pytest.raises(NetworkError) as info:
        urls.check_host_addresses("https://nope.okta.com", resolver=_resolver())
    assert info.value.kind == "network"
    assert urls.check_host_addresses("https://nope.okta.com", resolver=_resolver(), via_proxy=True) == []


def test_dns_uses_getaddrinfo_by_default(monkeypatch):
    seen = []

    def fake(host, port, *args):
        seen.append((host, port))
        return [(2, 1, 6, "", ("10.9.9.9", port))]

    monkeypatch.setattr(urls.socket, "getaddrinfo", fake)
    with pytest.raises(UnsafeURLError):
        urls.check_host_addresses("https://corp.example.com")
    assert seen == [("corp.example.com", 443)]


def test_well_known_parsed():
    meta = urls.parse_well_known(
        {
            "id": "00o47wwoytgsDqEtz0g7",
            "pipeline": "idx",
            "_links": {"organization": {"href": "https://acme.okta.com"}, "alternate": {"href": "https://login.acme.com/"}},
        },
        "https://login.acme.com",
    )
    assert meta.url == "https://acme.okta.com"
    assert meta.alternate == "https://login.acme.com"
    assert meta.is_oie is True
    classic = urls.parse_well_known(
        {"id": "00o1", "pipeline": "v1", "_links": {"organization": {"href": "https://x.okta.com"}}}, "https://x.okta.com"
    )
    assert classic.is_oie is False and classic.alternate is None


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"hello": "world"},
        {"id": "00o1"},  # no organization link
        {"id": "", "_links": {"organization": {"href": "https://x.okta.com"}}},
        {"id": "00o1", "_links": {"organization": {"href": "http://10.0.0.1"}}},
        {"id": 5, "_links": {"organization": {"href": "https://x.okta.com"}}},
    ],
)
def test_well_known_refuses_non_okta_answers(body):
    with pytest.raises(UnsafeURLError) as info:
        urls.parse_well_known(body, "https://x.example.com")
    assert "not" in info.value.message and "Okta org" in info.value.message
