"""The Slack-compatible and PagerDuty channels, against a real HTTP receiver."""

from __future__ import annotations

import pytest

from tests.integration.respond.receivers import http_receiver
from tripwire.config.respond import ChannelConfig
from tripwire.config.settings import Settings
from tripwire.notify.channel import Notification
from tripwire.notify.registry import build, kinds

SETTINGS = Settings(allow_private_webhooks=True, workers=False)
INCIDENT = {
    "id": "INC-3",
    "type": "safety",
    "severity": "P0",
    "use_case": "chat",
    "url": "http://tw/incidents/INC-3",
}


def note(event: str, text: str = "x") -> Notification:
    return Notification(
        "n-1",
        event,
        "c",
        {"event": event, "text": text, "incident": INCIDENT, "ack_url": "http://tw/ack/t"},
    )


def test_every_builtin_channel_is_registered() -> None:
    assert {"slack", "webhook", "email", "pagerduty"} <= set(kinds())


def test_slack_text_is_escaped(tmp_path: object) -> None:
    with http_receiver() as receiver:
        channel = build("s", ChannelConfig(type="slack", url=receiver.url), SETTINGS)  # type: ignore[call-arg]
        channel.send(note("incident.opened", "<!channel> & <http://evil|click>"))
    text = receiver.accepted[0]["body"]["text"]
    assert text.startswith("&lt;!channel&gt; &amp; &lt;http://evil|click&gt;")
    assert "<http://tw/ack/t|Acknowledge>" in text


def test_pagerduty_forwarding_triggers_acks_and_resolves_one_dedup_key() -> None:
    with http_receiver() as receiver:
        config = ChannelConfig(type="pagerduty", routing_key="r" * 32, url=receiver.url)  # type: ignore[call-arg]
        channel = build("pd", config, SETTINGS)
        for event in (
            "incident.page",
            "incident.acknowledged",
            "incident.updated",
            "incident.resolved",
        ):
            channel.send(note(event))
    bodies = [a["body"] for a in receiver.accepted]
    assert [b["event_action"] for b in bodies] == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in bodies} == {"tripwire:INC-3"}
    assert bodies[0]["payload"]["severity"] == "critical"
    assert bodies[0]["routing_key"] == "r" * 32


def test_bad_options_are_named() -> None:
    config = ChannelConfig(type="webhook", url="http://x", secret="nope")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=r"channel 'w' \(webhook\): secret"):
        build("w", config, SETTINGS)
