"""What a channel is: something that sends one notification or raises DeliveryError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tripwire.config.settings import Settings


@dataclass(frozen=True, slots=True)
class Notification:
    """One message leaving through one channel. `id` is stable across retries: receivers use it
    to drop repeats (Standard Webhooks `webhook-id`, e-mail Message-ID, PagerDuty dedup)."""

    id: str
    event: str
    channel: str
    payload: dict[str, Any]
    attempt: int = 1


class DeliveryError(Exception):
    """Sending failed. `permanent`: retrying cannot help; `disable`: stop using the channel
    (410 Gone); `retry_after`: seconds the receiver asked us to wait."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        disable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or disable
        self.disable = disable
        self.retry_after = retry_after


class Channel(Protocol):
    """A configured channel; `send` returns on success and raises DeliveryError otherwise."""

    def send(self, note: Notification) -> None: ...


ChannelFactory = Callable[[str, dict[str, Any], Settings], Channel]
"""Builds a channel from its name, its options in tripwire.yaml and the settings; raises
ValueError with a readable message when the options are wrong."""
