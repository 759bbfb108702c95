"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for e-mail tests."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.live import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted"

    def bodies(self) -> list[tuple[list[str], str, str]]:
        """(recipients, subject, text) of each single-part message received."""
        found = []
        for rcpt, raw in self.messages:
            mail = message_from_bytes(raw)
            text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
            found.append((rcpt, str(mail["Subject"]), text))
        return found


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
