"""Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat): a `text` message."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tripwire.config.settings import Settings
from tripwire.notify.channel import Notification
from tripwire.notify.http import post
from tripwire.notify.options import parse_options


class SlackOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://")
    timeout: float = Field(15.0, gt=0, le=60)


def escape(text: str) -> str:
    """Slack mrkdwn control characters; hostile text must not become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(payload: dict[str, Any]) -> dict[str, Any]:
    text = escape(str(payload.get("text", "")))
    link = payload.get("ack_url")
    if link:
        text += f"\n<{escape(str(link))}|Acknowledge>"
    url = payload.get("incident", {}).get("url")
    if url:
        text += f"  <{escape(str(url))}|Open incident>"
    return {"text": text}


class SlackChannel:
    def __init__(self, options: SlackOptions, settings: Settings) -> None:
        self.options = options
        self.allow_private = settings.allow_private_webhooks

    def send(self, note: Notification) -> None:
        body = json.dumps(render(note.payload)).encode()
        post(
            self.options.url,
            body,
            {"content-type": "application/json"},
            timeout=self.options.timeout,
            allow_private=self.allow_private,
            permanent=frozenset({400, 403, 404}),
        )


def build(name: str, options: dict[str, Any], settings: Settings) -> SlackChannel:
    return SlackChannel(parse_options(SlackOptions, options), settings)
