"""Webhooks to status-page subscribers: one reserved channel whose receiver and secret come
with each notification (the subscriber's URL; a secret derived from the installation key)."""

from __future__ import annotations

import json
import time

from tripwire.config.settings import Settings
from tripwire.notify.channel import DeliveryError, Notification
from tripwire.notify.http import post
from tripwire.notify.webhook.signing import derive_secret, sign

CHANNEL = "statuspage-subscribers"
TIMEOUT = 15.0


def subscriber_secret(key: bytes, subscriber_id: int, url: str) -> str:
    """The signing secret of one webhook subscriber (given to them when they subscribe)."""
    return derive_secret(key, f"statuspage-subscriber:{subscriber_id}:{url}")


class SubscriberWebhookChannel:
    def __init__(self, settings: Settings) -> None:
        key = settings.secret_key
        self.key = key.get_secret_value().encode() if key is not None else None
        self.allow_private = settings.allow_private_webhooks

    def send(self, note: Notification) -> None:
        target = note.payload.get("subscriber") or {}
        url, ident = target.get("url"), target.get("id")
        if self.key is None or not isinstance(url, str) or not isinstance(ident, int):
            raise DeliveryError("no subscriber URL or installation key", permanent=True)
        data = {k: v for k, v in note.payload.items() if k != "subscriber"}
        body = json.dumps(
            {"type": note.event, "timestamp": data.get("at"), "data": data}, separators=(",", ":")
        ).encode()
        stamp = int(time.time())  # receivers compare the signature time with their wall clock
        secret = subscriber_secret(self.key, ident, url)
        headers = {
            "content-type": "application/json",
            "webhook-id": note.id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(secret, note.id, stamp, body),
        }
        try:
            post(url, body, headers, timeout=TIMEOUT, allow_private=self.allow_private)
        except DeliveryError as exc:
            if exc.disable:  # 410 from one subscriber must not stop the others
                raise DeliveryError(str(exc), permanent=True) from None
            raise
