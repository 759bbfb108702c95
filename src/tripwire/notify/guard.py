"""Outbound URLs: refuse loopback, private, link-local and metadata addresses (SSRF), unless
the operator allowed private webhooks (TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from tripwire.notify.channel import DeliveryError

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


def check_url(url: str, allow_private: bool) -> None:
    """Raise DeliveryError (permanent) when `url` is not http(s) or resolves to an address a
    webhook must not reach. The check resolves the name as the request will."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {url!r}", permanent=True)
    if allow_private:
        return
    host = parts.hostname.rstrip(".").lower()
    if host in _METADATA_HOSTS:
        raise DeliveryError(f"{host} is a cloud metadata address", permanent=True)
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            # Why: a webhook URL is user input; without this it could read internal services or
            # the cloud metadata endpoint (169.254.169.254) from inside the network.
            raise DeliveryError(
                f"{host} resolves to {address}, a non-public address; set "
                "TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS=true to allow it",
                permanent=True,
            )
