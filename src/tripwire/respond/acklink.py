"""Signed, expiring acknowledge links for pages: `INC-n`, the person and an expiry, with an
HMAC-SHA256 over them keyed by TRIPWIRE_SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class AckClaim:
    incident: str
    person: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    key = hashlib.sha256(b"tripwire-ack-link:" + secret.encode()).digest()
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def make_token(secret: str, claim: AckClaim) -> str:
    data = {"i": claim.incident, "p": claim.person, "e": int(claim.expires.timestamp())}
    body = _b64(json.dumps(data, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, body)}"


class BadLink(ValueError):
    """The link is forged, damaged or expired; the message says which."""


def read_token(secret: str, token: str, now: datetime) -> AckClaim:
    body, _, mac = token.partition(".")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a link is anyone's to forge.
    expected = _mac(secret, body).encode()
    if not body or not mac or not hmac.compare_digest(mac.encode("utf-8"), expected):
        raise BadLink("this acknowledge link is not valid")
    try:
        data = json.loads(_unb64(body))
        claim = AckClaim(str(data["i"]), str(data["p"]), datetime.fromtimestamp(data["e"], UTC))
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        raise BadLink("this acknowledge link is damaged") from None
    if claim.expires <= now:
        raise BadLink("this acknowledge link has expired; acknowledge in Tripwire instead")
    return claim
