"""A page by e-mail, received by a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.integration.respond.conftest import alert, feed, make_runtime, respond_config
from tests.live import free_port
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.notify.worker import OutboxWorker


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def test_the_paged_person_gets_an_email(
    db_url: str, clock: ManualClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    data = respond_config()
    data["respond"]["channels"]["mail"] = {
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "tripwire@example.org",
    }
    data["respond"]["people"]["alice"]["notify"] = ["mail"]
    rt = make_runtime(db_url, clock, parse_config(data))
    feed(rt, alert(use_case="support\nchat"))
    worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
    assert worker.run_once()
    worker.close()
    rt.close()
    [(recipients, raw)] = inbox.messages
    assert recipients == ["alice@example.org"]
    mail = message_from_bytes(raw)
    assert mail["Subject"].startswith("PAGE [P2] Quality regression in support chat")
    assert mail["Message-ID"].endswith("@tripwire>")
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Acknowledge: http://tripwire.test/ack/" in body
