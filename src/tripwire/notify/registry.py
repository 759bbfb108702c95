"""Channel plug-ins: the built-in ones by lazy import path, others through the
`tripwire.channels` entry point group (name -> a ChannelFactory)."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import cast

from tripwire.config.respond import ChannelConfig, RespondConfig
from tripwire.config.settings import Settings
from tripwire.notify.channel import Channel, ChannelFactory
from tripwire.notify.guard import literal_problem

ENTRY_POINT_GROUP = "tripwire.channels"
BUILTIN = {
    "slack": "tripwire.notify.slack.transport:build",
    "webhook": "tripwire.notify.webhook.transport:build",
    "email": "tripwire.notify.email.transport:build",
    "pagerduty": "tripwire.notify.pagerduty.transport:build",
}


def _load(path: str) -> ChannelFactory:
    module, _, attr = path.partition(":")
    return cast(ChannelFactory, getattr(importlib.import_module(module), attr))


@cache
def plugins() -> dict[str, str]:
    """Channel types from installed packages; built-in names cannot be replaced."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {name: value for name, value in found.items() if name not in BUILTIN}


def kinds() -> list[str]:
    return sorted({*BUILTIN, *plugins()})


def factory(kind: str) -> ChannelFactory:
    path = BUILTIN.get(kind) or plugins().get(kind)
    if path is None:
        raise ValueError(f"unknown channel type {kind!r}; installed: {', '.join(kinds())}")
    return _load(path)


def build(name: str, config: ChannelConfig, settings: Settings) -> Channel:
    """The channel `name` ready to send; ValueError names what is wrong with its options."""
    try:
        return factory(config.type)(name, config.options(), settings)
    except ValueError as exc:
        raise ValueError(f"channel {name!r} ({config.type}): {exc}") from None


def check_channels(config: RespondConfig, settings: Settings) -> list[str]:
    """Every problem of the configured channels, found without sending: options each plug-in
    refuses, and URLs pointing at loopback, private or metadata addresses (unless
    TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS)."""
    problems: list[str] = []
    for name, channel in config.channels.items():
        try:
            build(name, channel, settings)
        except ValueError as exc:
            problems.append(f"respond.channels.{name}: {exc}")
            continue
        url = channel.options().get("url")
        if isinstance(url, str) and not settings.allow_private_webhooks:
            problem = literal_problem(url)
            if problem is not None:
                problems.append(f"respond.channels.{name}.url: {problem}")
    return problems
