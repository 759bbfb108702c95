"""One HTTP POST as every webhook-style channel sends it: no redirects, a timeout, and the
answer turned into success or a DeliveryError that carries the retry decision."""

from __future__ import annotations

import email.utils
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit, urlunsplit

import httpx

from tripwire.notify.channel import DeliveryError
from tripwire.notify.guard import check_url

THROTTLED = {429, 502, 503, 504}
_local = threading.local()
_CLIENTS_PER_THREAD = 16


def _client(host: str) -> httpx.Client:
    """One client per sending thread and receiving host: building a client (its TLS context)
    costs more than a request, and connections to the same receiver are kept alive. Per host,
    because requests connect to an address, not a name (see `post`): a connection opened and
    verified for one name must not carry another name's requests."""
    clients: OrderedDict[str, httpx.Client] | None = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = OrderedDict()
    client = clients.pop(host, None)
    if client is None:
        client = httpx.Client(follow_redirects=False, headers={"user-agent": "Tripwire"})
        if len(clients) >= _CLIENTS_PER_THREAD:
            clients.popitem(last=False)[1].close()
    clients[host] = client
    return client


MAX_RETRY_AFTER = 86_400.0


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
    permanent: frozenset[int] = frozenset(),
) -> httpx.Response:
    """POST `body`; returns the 2xx response or raises DeliveryError.

    3xx is a failure (redirects are never followed: the target was checked, the redirect
    would not be); 410 disables the channel; statuses in `permanent` are not retried.
    """
    addresses = check_url(url, allow_private)
    try:
        response = _send(url, addresses, body, headers, timeout)
    except httpx.TimeoutException:
        raise DeliveryError(f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"connection failed: {type(exc).__name__}: {exc}") from None
    status = response.status_code
    if 200 <= status < 300:
        return response
    detail = f"HTTP {status}: {response.text[:200]}"
    if status == 410:
        raise DeliveryError(detail, disable=True)
    if 300 <= status < 400:
        raise DeliveryError(f"HTTP {status} redirect (redirects are not followed)")
    if status in permanent:
        raise DeliveryError(detail, permanent=True)
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    raise DeliveryError(detail, retry_after=retry_after if status in THROTTLED else None)


def _send(
    url: str, addresses: list[str], body: bytes, headers: dict[str, str], timeout: float
) -> httpx.Response:
    """POST to the addresses the guard checked, in order, never to a fresh lookup of the name:
    a name that resolves to a public address for the check and to 169.254.169.254 for the
    connection (DNS rebinding) reaches nothing. The URL's name still goes in `Host` and in
    TLS (SNI and the certificate check)."""
    if not addresses:
        return _client("").post(url, content=body, headers=headers, timeout=timeout)
    parts = urlsplit(url)
    userinfo, _, named = parts.netloc.rpartition("@")
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}

    def attempt(address: str) -> httpx.Response:
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        netloc = f"{userinfo}@{netloc}" if userinfo else netloc
        return _client(named).post(
            urlunsplit(parts._replace(netloc=netloc)),
            content=body,
            headers={**headers, "Host": named},
            timeout=timeout,
            extensions=extensions,
        )

    for address in addresses[:-1]:
        try:
            return attempt(address)
        except httpx.ConnectError:
            continue  # the next address, as a resolver-driven connect would
    return attempt(addresses[-1])


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return min(max(when.timestamp() - current, 0.0), MAX_RETRY_AFTER)
