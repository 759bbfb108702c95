"""Signed, expiring acknowledge links for pages and stakeholder notices: `INC-n`, the person,
an expiry, and (optionally) the channel that carried the link and the notice it answers, with an
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
    channel: str | None = None
    notice: int | None = (
        None  # a stakeholder notice: acknowledging it is not acknowledging the page
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    key = hashlib.sha256(b"tripwire-ack-link:" + secret.encode()).digest()
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def make_token(secret: str, claim: AckClaim) -> str:
    data: dict[str, object] = {
        "i": claim.incident,
        "p": claim.person,
        "e": int(claim.expires.timestamp()),
    }
    if claim.channel is not None:
        data["c"] = claim.channel
    if claim.notice is not None:
        data["n"] = claim.notice
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
        expires = datetime.fromtimestamp(data["e"], UTC)
        channel = None if data.get("c") is None else str(data["c"])
        notice = None if data.get("n") is None else int(data["n"])
        claim = AckClaim(str(data["i"]), str(data["p"]), expires, channel, notice)
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        raise BadLink("this acknowledge link is damaged") from None
    if claim.expires <= now:
        raise BadLink("this acknowledge link has expired; acknowledge in Tripwire instead")
    return claim
