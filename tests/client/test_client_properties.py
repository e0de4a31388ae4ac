"""Property tests: URL normalisation and Link parsing never crash and never produce unsafe output."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from connector_okta.client.errors import OktaError
from connector_okta.client.pagination import parse_link_values
from connector_okta.urls import normalize_org_url, origin

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
okta_domain = st.sampled_from(["okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil", "example.org"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_normalise_never_crashes_on_any_text(text):
    try:
        url = normalize_org_url(text)
    except OktaError as exc:
        assert exc.kind in ("config", "network")
        return
    scheme, host, _port = origin(url)
    assert scheme == "https" and host and "@" not in url and "/" not in url[len("https://"):]


@settings(max_examples=200, deadline=None)
@given(label, okta_domain, st.booleans(), st.sampled_from(["", "/", "/admin/dashboard", "/api/v1/users?x=1"]),
       st.sampled_from(["", "https://", "HTTPS://"]))
def test_pasted_org_urls_normalise_to_the_org_host(sub, domain, admin, path, scheme):
    host = f"{sub}-admin.{domain}" if admin else f"{sub}.{domain}"
    got = normalize_org_url(f"{scheme}{host}{path}")
    expected_host = f"{sub}.{domain}" if admin and domain != "example.org" else host
    assert got == f"https://{expected_host}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=4))
def test_link_parser_never_crashes(values):
    links = parse_link_values(values)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in links.items())
