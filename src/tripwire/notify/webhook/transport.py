"""Generic webhooks signed per Standard Webhooks (webhook-id / -timestamp / -signature)."""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tripwire.config.settings import Settings
from tripwire.notify.channel import Notification
from tripwire.notify.http import post
from tripwire.notify.options import parse_options
from tripwire.notify.webhook.signing import secret_bytes, sign


class WebhookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://")
    secret: str
    timeout: float = Field(15.0, gt=0, le=60)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        secret_bytes(value)
        return value


def body_of(note: Notification) -> bytes:
    data = {"type": note.event, "timestamp": note.payload.get("at"), "data": note.payload}
    return json.dumps(data, separators=(",", ":")).encode()


class WebhookChannel:
    def __init__(self, options: WebhookOptions, settings: Settings) -> None:
        self.options = options
        self.allow_private = settings.allow_private_webhooks

    def send(self, note: Notification) -> None:
        body = body_of(note)
        # The signature time is the wall clock: receivers compare it with theirs (5 min).
        stamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": note.id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(self.options.secret, note.id, stamp, body),
        }
        post(
            self.options.url,
            body,
            headers,
            timeout=self.options.timeout,
            allow_private=self.allow_private,
        )


def build(name: str, options: dict[str, Any], settings: Settings) -> WebhookChannel:
    return WebhookChannel(parse_options(WebhookOptions, options), settings)
