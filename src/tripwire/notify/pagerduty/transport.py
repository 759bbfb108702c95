"""Forwarding to PagerDuty Events API v2: pages trigger, acks acknowledge, resolutions resolve,
all under one dedup_key per incident."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tripwire.config.settings import Settings
from tripwire.notify.channel import Notification
from tripwire.notify.http import post
from tripwire.notify.options import parse_options

ACTIONS = {
    "incident.opened": "trigger",
    "incident.page": "trigger",
    "incident.severity_changed": "trigger",
    "incident.acknowledged": "acknowledge",
    "incident.resolved": "resolve",
    "incident.closed": "resolve",
}
SEVERITY = {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}


class PagerDutyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    routing_key: str = Field(min_length=1, max_length=64)
    url: str = Field("https://events.pagerduty.com/v2/enqueue", pattern=r"^https?://")
    timeout: float = Field(15.0, gt=0, le=60)


def event_of(options: PagerDutyOptions, note: Notification) -> dict[str, Any] | None:
    """The Events v2 body for `note`, or None when PagerDuty has no matching action."""
    action = ACTIONS.get(note.event)
    if action is None:
        return None
    incident = note.payload.get("incident", {})
    body: dict[str, Any] = {
        "routing_key": options.routing_key,
        "event_action": action,
        "dedup_key": f"tripwire:{incident.get('id')}",
    }
    if action == "trigger":
        body["payload"] = {
            "summary": str(note.payload.get("text", ""))[:1024],
            "source": "tripwire",
            "severity": SEVERITY.get(str(incident.get("severity")), "error"),
            "component": incident.get("use_case"),
            "class": incident.get("type"),
            "custom_details": incident,
        }
        if incident.get("url"):
            body["links"] = [{"href": incident["url"], "text": "Tripwire incident"}]
    return body


class PagerDutyChannel:
    def __init__(self, options: PagerDutyOptions, settings: Settings) -> None:
        self.options = options
        self.allow_private = settings.allow_private_webhooks

    def send(self, note: Notification) -> None:
        event = event_of(self.options, note)
        if event is None:
            return
        post(
            self.options.url,
            json.dumps(event).encode(),
            {"content-type": "application/json"},
            timeout=self.options.timeout,
            allow_private=self.allow_private,
            permanent=frozenset({400}),
        )


def build(name: str, options: dict[str, Any], settings: Settings) -> PagerDutyChannel:
    return PagerDutyChannel(parse_options(PagerDutyOptions, options), settings)
