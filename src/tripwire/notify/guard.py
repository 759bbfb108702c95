"""Outbound URLs: refuse loopback, private, link-local and metadata addresses (SSRF), unless
the operator allowed private webhooks (TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS)."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from tripwire.notify.channel import DeliveryError

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}
_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal")
# IPv6 prefixes that carry an IPv4 address a gateway will reach on the sender's behalf.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_ALLOW_HINT = "set TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS=true to allow it"
# The older IPv4 spellings resolvers still accept: 127.1, 2130706433, 0x7f000001, 0177.0.0.1.
_LEGACY_IPV4 = re.compile(r"[0-9a-fx.]+")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a mapped, 6to4, Teredo or NAT64 IPv6 address, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a webhook must not reach `address` (None when it is a public unicast address)."""
    if not address.is_global or address.is_multicast:
        return f"{address} is a non-public address"
    inner = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    if inner is not None and (not inner.is_global or inner.is_multicast):
        return f"{address} carries {inner}, a non-public address"
    return None


def literal_problem(url: str) -> str | None:
    """What is wrong with `url` as a webhook target without resolving it: not http(s), a
    local name, a metadata host, or an IP literal that is not public. For `config validate` and
    start-up; delivery checks again after resolving the name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url!r}"
    host = parts.hostname.rstrip(".").lower()
    if host in _METADATA_HOSTS:
        return f"{host} is a cloud metadata address; {_ALLOW_HINT}"
    if host.endswith(_LOCAL_NAMES) or host == "localhost":
        return f"{host} is a local name; {_ALLOW_HINT}"
    address = _ip_literal(host)
    if address is None:
        return None  # a name: checked when it is resolved, at delivery
    problem = address_problem(address)
    return None if problem is None else f"{problem}; {_ALLOW_HINT}"


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `host` spells, also in the legacy IPv4 forms a resolver accepts."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    if not _LEGACY_IPV4.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None  # a name made of hex letters, e.g. cafe.de


def check_url(url: str, allow_private: bool) -> list[str]:
    """The addresses `url`'s host resolves to, each one a webhook may reach, for the request to
    connect to (empty when private webhooks are allowed: connect as the URL says). Raises
    DeliveryError (permanent) when `url` is not http(s) or any address is not public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {url!r}", permanent=True)
    if allow_private:
        return []
    host = parts.hostname.rstrip(".").lower()
    if host in _METADATA_HOSTS:
        raise DeliveryError(f"{host} is a cloud metadata address", permanent=True)
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc}") from None
    checked: list[str] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        problem = address_problem(address)
        if problem is not None:
            # Why: a webhook URL is user input; without this it could read internal services or
            # the cloud metadata endpoint (169.254.169.254) from inside the network, also
            # through a NAT64 or 6to4 gateway that carries an IPv4 address inside IPv6.
            raise DeliveryError(
                f"{host} resolves to {problem}; {_ALLOW_HINT}",
                permanent=True,
            )
        if str(address) not in checked:
            checked.append(str(address))
    return checked
