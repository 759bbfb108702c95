"""A page by e-mail, received by a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

from email import message_from_bytes

from tests.integration.respond.conftest import alert, feed, make_runtime, respond_config
from tests.smtp_inbox import Inbox
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.notify.worker import OutboxWorker


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
