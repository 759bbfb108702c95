"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "whsec_"


def secret_bytes(secret: str) -> bytes:
    """The key inside a `whsec_<base64>` secret; ValueError when it is not one."""
    if not secret.startswith(PREFIX):
        raise ValueError("secret must start with whsec_ followed by base64")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except ValueError:
        raise ValueError("secret must be whsec_ followed by base64") from None
    if len(key) < 24:
        raise ValueError("secret must hold at least 24 random bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when any signature in the space-separated `header` matches (constant time)."""
    expected = sign(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, part) for part in header.split())


def derive_secret(key: bytes, label: str) -> str:
    """A `whsec_` secret derived from the installation key, so per-receiver secrets (status
    page subscribers) are never stored: whoever holds `key` and `label` can recompute it."""
    digest = hmac.new(key, label.encode(), hashlib.sha256).digest()
    return PREFIX + base64.b64encode(digest).decode()
