"""The org URL: normalise what people paste, refuse what is unsafe, confirm it is an Okta org.

``normalize_org_url`` is syntactic (no network): ``acme-admin.okta.com/admin/dashboard`` becomes
``https://acme.okta.com``. ``check_host_addresses`` resolves the host and refuses private, loopback (unless the
developer flag allows it), link-local, metadata and unspecified addresses, also when they hide inside an IPv6
address (IPv4-mapped / -compatible / -translated, NAT64, 6to4, Teredo). ``parse_well_known`` reads
``/.well-known/okta-organization`` and refuses an answer that is not an Okta org's.

``origin`` is strict: a URL whose authority holds anything but a host name or address and a port (``@``, a backslash,
``%``, whitespace, control or non-ASCII characters), or that Python's ``urlsplit`` and urllib3's ``parse_url``
(the parser requests connects with) read differently, has no origin, so it matches no allowed origin.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from urllib3.util import parse_url

from .client.errors import ConfigError, NetworkError, UnsafeURLError

# Okta-operated domains (reference §7); only used to map an admin host to its org host. Custom domains work too.
OKTA_DOMAINS = (
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
    "okta-miltest.com",
    "trex-govcloud.com",
    "trexcloud.com",
    "okta-dnssec.com",
)

METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
}
METADATA_HOSTS = {"metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal"}

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _legacy_ipv4(host: str) -> bool:
    """Whether ``host`` is an IPv4 address in a form ``ipaddress`` refuses but the C resolver reads as one
    (``127.1``, ``0177.0.0.1``, ``0x7f.1``, ``2130706433``): every label numeric, and ``inet_aton`` takes it."""
    if not host or not all(re.fullmatch(r"(0x[0-9a-f]*|[0-9]+)", label) for label in host.rstrip(".").split(".")):
        return False
    try:
        socket.inet_aton(host.rstrip("."))
    except OSError:
        return False
    return True


def is_loopback_host(host: str) -> bool:
    host = host.lower().strip("[]")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    ip = _ip(host)
    return bool(ip and ip.is_loopback)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64_WKP = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefixes (/48 to /96 inside it)
_IPV4_TRANSLATED = 0xFFFF0000  # ::ffff:0:a.b.c.d (RFC 2765 SIIT), the 96 bits above the IPv4 address
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def _v4(value: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(value & 0xFFFFFFFF)


def _rfc6052(n: int, prefix_len: int) -> ipaddress.IPv4Address:
    """The IPv4 address RFC 6052 embeds after a ``prefix_len``-bit prefix (bits 64-71 are skipped)."""
    bits = [(n >> (127 - i)) & 1 for i in range(128)]
    positions = [i for i in range(prefix_len, 128) if not 64 <= i < 72][:32]
    value = 0
    for i in positions:
        value = (value << 1) | bits[i]
    return ipaddress.IPv4Address(value)


def embedded_ipv4(ip: IPAddress) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, as ``(how, address)``; a router or the kernel may reach them.

    IPv4-mapped ``::ffff:a.b.c.d``, IPv4-translated ``::ffff:0:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64
    ``64:ff9b::/96`` and the local-use ``64:ff9b:1::/48`` (every RFC 6052 layout a translator may use: /48, /56, /64,
    /96; a layout that yields ``0.0.0.0/8``, which no translator sends to, is the padding of another layout), 6to4
    ``2002::/16`` and both ends of Teredo ``2001::/32``.
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    n = int(ip)
    out: list[tuple[str, ipaddress.IPv4Address]] = []
    if ip.ipv4_mapped is not None:
        out.append(("IPv4-mapped", ip.ipv4_mapped))
    elif n >> 32 == _IPV4_TRANSLATED:
        out.append(("IPv4-translated", _v4(n)))
    elif n >> 32 == 0 and n > 1:  # not :: (unspecified) nor ::1 (loopback)
        out.append(("IPv4-compatible", _v4(n)))
    if ip in _NAT64_WKP:
        out.append(("NAT64", _v4(n)))
    elif ip in _NAT64_LOCAL:
        out.append(("NAT64", _v4(n)))
        for length in (48, 56, 64):
            candidate = _rfc6052(n, length)
            if candidate not in _THIS_NETWORK:
                out.append(("NAT64", candidate))
    if ip.sixtofour is not None:
        out.append(("6to4", ip.sixtofour))
    if ip.teredo is not None:
        server, client = ip.teredo
        out.extend((("Teredo server", server), ("Teredo client", client)))
    return out


def address_problem(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why ``ip`` may not be connected to, or ``None`` when it may.

    An IPv6 address carrying an IPv4 address is judged by the IPv4 address(es) it carries: every one must be safe
    (and a translation prefix with a safe IPv4 address inside is as good as that address)."""
    embedded = embedded_ipv4(ip)
    for how, v4 in embedded:
        problem = _plain_problem(v4, allow_loopback=allow_loopback)
        if problem:
            return f"{problem} ({v4}) inside an {how} IPv6 address"
    if embedded:
        if ip.teredo is not None:
            return "a Teredo tunnel address"
        return None
    return _plain_problem(ip, allow_loopback=allow_loopback)


def _plain_problem(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global or ip.is_reserved:
        return "a reserved (non-public) address"
    return None


def normalize_org_url(raw: Any, *, allow_insecure_http_loopback: bool = False) -> str:
    """``https://host[:port]`` from what a user pasted; raises :class:`UnsafeURLError` / :class:`ConfigError`."""
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError("org_url is empty: enter your Okta org URL, e.g. https://acme.okta.com")
    text = raw.strip().strip("<>\"'").strip()
    if "{" in text or "}" in text:
        raise ConfigError(f"org_url {text!r} still holds a placeholder: use your org's domain, e.g. https://acme.okta.com")
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in text):
        raise ConfigError("org_url contains spaces or control characters: paste only the URL, e.g. https://acme.okta.com")
    if text.startswith("//"):
        text = "https:" + text
    elif not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)", text):  # "javascript:..." / "file:..." but not "host:443"
            raise UnsafeURLError(f"org_url scheme {text.split(':', 1)[0]!r} is not allowed: use https://")
        text = "https://" + text
    if text.count("://") > 1:
        raise ConfigError("org_url holds two URLs; paste only your org URL, e.g. https://acme.okta.com")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ConfigError("org_url is not a valid URL; use e.g. https://acme.okta.com") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeURLError(f"org_url scheme {scheme!r} is not allowed: Okta is reached over https://")
    if "@" in parts.netloc:
        raise UnsafeURLError("org_url must not contain a user name or password ('user@host'); remove it.")
    try:
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        raise ConfigError("org_url has an invalid port; use https://acme.okta.com") from None
    if not host:
        raise ConfigError("org_url has no host name; use e.g. https://acme.okta.com")
    try:
        host = host.encode("idna").decode("ascii").lower() if not _ip(host) else host.lower()
    except UnicodeError:
        raise ConfigError("org_url host name is not a valid domain name") from None
    loopback = is_loopback_host(host)
    if scheme == "http":
        if not (allow_insecure_http_loopback and loopback):
            raise UnsafeURLError(
                "org_url must use https:// (plain http is only allowed to a local test server on 127.0.0.1 "
                "with allow_insecure_http_loopback)"
            )
    ip = _ip(host)
    if ip is None and _legacy_ipv4(host):
        raise UnsafeURLError(f"org_url host {host!r} is an IPv4 address written in a legacy form (octal, hex or "
                             "with parts left out), which the system resolves without DNS; use your Okta org's "
                             "domain name")
    if ip is not None:
        problem = address_problem(ip, allow_loopback=allow_insecure_http_loopback)
        if problem:
            raise UnsafeURLError(f"org_url points at {problem} ({host}); use your Okta org's domain name")
    else:
        if host in METADATA_HOSTS:
            raise UnsafeURLError(f"org_url points at a cloud metadata service ({host})")
        if loopback and not allow_insecure_http_loopback:
            raise UnsafeURLError(f"org_url points at this machine ({host}); use your Okta org's domain name")
        labels = host.split(".")
        if len(labels) < 2 and not loopback:
            raise ConfigError(f"org_url host {host!r} is not a full domain name; use e.g. https://acme.okta.com")
        if not all(_LABEL.match(label) for label in labels):
            raise ConfigError(f"org_url host {host!r} is not a valid domain name; use e.g. https://acme.okta.com")
        rest = ".".join(labels[1:])
        if labels[0].endswith("-admin") and rest in OKTA_DOMAINS and len(labels[0]) > len("-admin"):
            labels[0] = labels[0][: -len("-admin")]  # the Admin Console host: the API lives on the org host
            host = ".".join(labels)
    netloc = f"[{host}]" if ip is not None and ip.version == 6 else host
    default_port = 443 if scheme == "https" else 80
    if port is not None and port != default_port:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


NO_ORIGIN = ("", "", -1)  # the origin of a URL that is refused: nothing is allowed to match it

# scheme "://" authority, where the authority is a DNS name, an IPv4 address or a bracketed IPv6 address, and a port
_STRICT_URL = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?)"
    r"(?P<rest>[/?#].*)?$",
    re.DOTALL,
)
BAD_URL_CHAR = re.compile(r"[^\x21-\x5b\x5d-\x7e]")  # all but printable ASCII without backslash (0x5c)


def url_problem(url: Any) -> str | None:
    """Why a URL (from config or from a response) has no trustworthy origin, or ``None``.

    Refused: anything but ASCII without whitespace, controls or ``\\``; an authority with a user name or
    password (``@``), percent-escapes or any character a host name or address does not have; a URL that
    Python's ``urlsplit`` and urllib3's ``parse_url`` (what requests connects to) read as different origins."""
    if not isinstance(url, str) or not url:
        return "not a URL"
    if BAD_URL_CHAR.search(url):
        return "it holds a backslash, whitespace, control or non-ASCII character"
    m = _STRICT_URL.match(url)
    if m is None:
        authority = url.split("://", 1)[1].split("/", 1)[0] if "://" in url else ""
        if "@" in authority.split("?", 1)[0].split("#", 1)[0]:
            return "it holds a user name or password ('@')"
        return "its host part is not a plain host name and port"
    try:
        split = urlsplit(url)
        split_port = split.port
        parsed = parse_url(url)
    except ValueError:  # urllib3's LocationParseError is a ValueError too
        return "it does not parse"
    scheme = split.scheme.lower()
    default = 443 if scheme == "https" else 80
    a = (scheme, (split.hostname or "").lower().rstrip("."), split_port or default)
    b = ((parsed.scheme or "").lower(), (parsed.host or "").lower().strip("[]").rstrip("."), parsed.port or default)
    if a != b or not a[1]:
        return "URL parsers disagree on its host"
    return None


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a URL, lower case, default ports filled in; :data:`NO_ORIGIN` for a URL
    :func:`url_problem` refuses (so it matches no allowed origin)."""
    if url_problem(url) is not None:
        return NO_ORIGIN
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower().rstrip("."), parts.port or (443 if scheme == "https" else 80)


def origin_url(org: tuple[str, str, int]) -> str:
    """``scheme://host[:port]`` of an origin tuple (default port left out)."""
    scheme, host, port = org
    netloc = f"[{host}]" if ":" in host else host
    if port != (443 if scheme == "https" else 80):
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def is_okta_domain(host: str) -> bool:
    """Whether ``host`` is a name under one of the Okta-operated domains."""
    host = host.lower().rstrip(".")
    return any(host.endswith("." + d) for d in OKTA_DOMAINS)


Resolver = Callable[..., list]


def check_host_addresses(
    url: str, *, allow_loopback: bool = False, resolver: Resolver | None = None, via_proxy: bool = False
) -> list[str]:
    """Resolve the URL's host and refuse it when any address is unsafe. Returns the addresses.

    Behind a proxy a host that does not resolve locally is accepted (the proxy resolves it); one that
    resolves to an unsafe address is still refused.
    """
    scheme, host, port = origin(url)
    resolver = resolver or socket.getaddrinfo
    try:
        infos = resolver(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        if via_proxy:
            return []
        raise NetworkError(
            f"cannot resolve {host} ({type(exc).__name__}); check org_url and this machine's DNS / proxy settings"
        ) from None
    addresses = []
    for info in infos:
        addr = str(info[4][0])
        ip = _ip(addr)
        if ip is None:
            continue
        problem = address_problem(ip, allow_loopback=allow_loopback)
        if problem:
            raise UnsafeURLError(
                f"{host} resolves to {problem} ({addr}); refusing to connect. Use your Okta org's public "
                "domain name."
            )
        addresses.append(addr)
    if not addresses and not via_proxy:
        raise NetworkError(f"{host} did not resolve to any address; check org_url")
    return addresses


@dataclass(frozen=True)
class OrgMetadata:
    """What ``/.well-known/okta-organization`` says."""

    id: str
    pipeline: str | None  # "idx" = Identity Engine, "v1" = Classic
    url: str  # canonical org URL (_links.organization.href)
    alternate: str | None  # the custom domain, when there is one

    @property
    def is_oie(self) -> bool | None:
        return None if self.pipeline is None else self.pipeline == "idx"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "pipeline": self.pipeline, "url": self.url, "alternate": self.alternate}


def parse_well_known(body: Any, configured_url: str, *, allow_insecure_http_loopback: bool = False) -> OrgMetadata:
    """Read the well-known org metadata; raise :class:`UnsafeURLError` when it is not an Okta org's."""
    not_okta = UnsafeURLError(
        f"{configured_url} does not answer /.well-known/okta-organization like an Okta org; check org_url "
        "(use your Okta domain, e.g. https://acme.okta.com)"
    )
    if not isinstance(body, Mapping) or not isinstance(body.get("id"), str) or not body["id"]:
        raise not_okta
    links = body.get("_links") if isinstance(body.get("_links"), Mapping) else {}

    def href(name: str) -> str | None:
        link = links.get(name)
        if isinstance(link, Mapping) and isinstance(link.get("href"), str):
            try:
                return normalize_org_url(link["href"], allow_insecure_http_loopback=allow_insecure_http_loopback)
            except ConfigError:
                return None
        return None

    canonical = href("organization")
    if canonical is None:
        raise not_okta
    pipeline = body.get("pipeline") if isinstance(body.get("pipeline"), str) else None
    return OrgMetadata(id=body["id"], pipeline=pipeline, url=canonical, alternate=href("alternate"))
