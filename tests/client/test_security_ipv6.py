"""Issue 15, item 15: an unsafe IPv4 address hidden inside an IPv6 address is refused like the IPv4 address.

IPv4-mapped ``::ffff:a.b.c.d``, IPv4-translated ``::ffff:0:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64
``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4 ``2002::/16`` and Teredo ``2001::/32`` all carry an IPv4 address a
translator, a tunnel or the kernel may deliver to; each is unwrapped and the IPv4 address judged."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector_okta import urls
from connector_okta.client import UnsafeURLError

UNSAFE_V4 = ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "169.254.10.10",
             "100.64.0.1", "100.100.100.200", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.45"]
SAFE_V4 = ["8.8.8.8", "34.211.10.42", "52.84.1.10", "1.1.1.1"]


def embeddings(v4: str) -> dict[str, str]:
    """Every IPv6 form that carries ``v4``."""
    n = int(ipaddress.IPv4Address(v4))
    hi, lo = n >> 16, n & 0xFFFF
    teredo_client = n ^ 0xFFFFFFFF  # Teredo stores the client address inverted
    return {
        "mapped": f"::ffff:{v4}",
        "translated": f"::ffff:0:{v4}",
        "compatible": f"::{v4}",
        "nat64": f"64:ff9b::{v4}",
        "nat64-local-96": f"64:ff9b:1::{v4}",
        "nat64-local-48": str(ipaddress.IPv6Address((0x0064FF9B0001 << 80) | (hi << 64) | (lo << 40))),
        "6to4": f"2002:{hi:x}:{lo:x}::1",
        "teredo-server": f"2001:0:{hi:x}:{lo:x}::1",
        "teredo-client": f"2001:0:4136:e378:8000:63bf:{teredo_client >> 16:x}:{teredo_client & 0xFFFF:x}",
    }


CASES = [(v4, form, addr) for v4 in UNSAFE_V4 for form, addr in embeddings(v4).items()]


@pytest.mark.parametrize(("v4", "form", "address"), CASES, ids=[f"{f}-{v}" for v, f, _ in CASES])
def test_an_unsafe_ipv4_inside_an_ipv6_address_is_refused(v4, form, address):
    ip = ipaddress.ip_address(address)
    if address != "::0.0.0.0":  # that one is :: itself, refused as unspecified
        assert ipaddress.IPv4Address(v4) in [e for _, e in urls.embedded_ipv4(ip)], (form, address)
    problem = urls.address_problem(ip, allow_loopback=False)
    assert problem is not None, (form, address)


@pytest.mark.parametrize(("v4", "form", "address"), CASES[::10])  # 10 is coprime to the 9 forms: each is used
def test_a_name_resolving_to_such_an_address_gets_no_request(v4, form, address):
    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    with pytest.raises(UnsafeURLError, match="refusing to connect"):
        urls.check_host_addresses("https://acme.okta.com", resolver=resolver)


@pytest.mark.parametrize("form", list(embeddings("127.0.0.1")))
def test_an_org_url_naming_such_an_address_is_refused(form):
    address = embeddings("127.0.0.1")[form]
    with pytest.raises(UnsafeURLError):
        urls.normalize_org_url(f"https://[{address}]")


@pytest.mark.parametrize("v4", SAFE_V4)
@pytest.mark.parametrize("form", ["mapped", "nat64", "nat64-local-96", "6to4"])
def test_a_public_ipv4_behind_a_translation_prefix_is_allowed(v4, form):
    """NAT64 (DNS64) networks resolve every IPv4-only name, Okta's too, into 64:ff9b::/96: that keeps working."""
    assert urls.address_problem(ipaddress.ip_address(embeddings(v4)[form]), allow_loopback=False) is None


def test_teredo_is_refused_even_with_public_ends():
    assert urls.address_problem(ipaddress.ip_address(embeddings("8.8.8.8")["teredo-server"]),
                                allow_loopback=False) is not None


def test_loopback_inside_ipv6_follows_the_developer_flag_only_where_the_kernel_would_deliver_it():
    mapped = ipaddress.ip_address("::ffff:127.0.0.1")
    assert urls.address_problem(mapped, allow_loopback=True) is None
    assert urls.address_problem(mapped, allow_loopback=False) is not None


_unsafe_nets = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
    "240.0.0.0/4")]


@st.composite
def unsafe_v4(draw) -> str:
    net = draw(st.sampled_from(_unsafe_nets))
    return str(net[draw(st.integers(0, net.num_addresses - 1))])


@settings(max_examples=300, deadline=None)
@given(unsafe_v4(), st.sampled_from(sorted(embeddings("1.1.1.1"))))
def test_property_no_embedding_of_a_non_public_ipv4_passes(v4, form):
    address = ipaddress.ip_address(embeddings(v4)[form])
    assert urls.address_problem(address, allow_loopback=False) is not None, (v4, form, address)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**128 - 1))
def test_property_any_ipv6_address_accepted_carries_only_public_ipv4(n):
    ip = ipaddress.IPv6Address(n)
    if urls.address_problem(ip, allow_loopback=False) is None:
        for _, v4 in urls.embedded_ipv4(ip):
            assert v4.is_global and not v4.is_multicast, (ip, v4)
