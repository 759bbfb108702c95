"""Status page subscribers: e-mail through a real SMTP server (aiosmtpd) after a confirmation
link, and webhooks to a local receiver with a valid Standard Webhooks signature."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.respond.conftest import make_runtime, respond_config
from tests.smtp_inbox import Inbox
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.notify.webhook.signing import verify
from tripwire.notify.worker import OutboxWorker
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow
from tripwire.store.tokens import create_token


class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).got.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def hook() -> Iterator[tuple[type[Receiver], str]]:
    class Handler(Receiver):
        got: list[tuple[dict[str, str], bytes]] = []

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Handler, f"http://127.0.0.1:{server.server_address[1]}/status-hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def rt(db_url: str, clock: ManualClock, smtp: tuple[Inbox, int]) -> Iterator[Runtime]:
    data = respond_config()
    data["respond"]["channels"]["subscriber-mail"] = {
        "type": "email",
        "host": "127.0.0.1",
        "port": smtp[1],
        "security": "none",
        "from": "status@example.org",
    }
    data["communicate"] = {"status_page": {"subscribers": {"email_channel": "subscriber-mail"}}}
    runtime = make_runtime(db_url, clock, parse_config(data))
    yield runtime
    runtime.close()


def deliver(rt: Runtime) -> None:
    worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, rt.clock)
    while worker.run_once():
        pass
    worker.close()


def responder(rt: Runtime) -> dict[str, str]:
    with rt.db.session() as session:
        secret = create_token(session, "dee", ["respond"], rt.clock.now())[1]
    return {"Authorization": f"Bearer {secret}"}


def test_subscribers_get_every_public_update_by_email_and_signed_webhook(
    rt: Runtime, smtp: tuple[Inbox, int], hook: tuple[type[Receiver], str]
) -> None:
    inbox, _ = smtp
    receiver, url = hook
    auth = responder(rt)
    with TestClient(create_app(rt, background=False)) as client:
        asked = client.post("/status/subscribers", json={"email": "pat@example.org"})
        assert asked.status_code == 202
        made = client.post("/status/subscribers", json={"webhook_url": url})
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        assert secret.startswith("whsec_")
        again = client.post("/status/subscribers", json={"webhook_url": url})
        assert again.status_code == 409
        assert "secret" not in again.json()
        deliver(rt)
        [(rcpt, subject, text)] = inbox.bodies()
        assert rcpt == ["pat@example.org"]
        assert subject.startswith("Confirm your subscription")
        link = re.search(r"http://tripwire\.test(/status/subscribers/confirm\?token=\S+)", text)
        assert link is not None
        # Nothing before confirmation: publish once now, only the webhook hears of it.
        ident = client.post(
            "/v1/incidents",
            json={"type": "availability", "title": "p95@chat x3", "use_case": "support-chat"},
            headers=auth,
        ).json()["id"]
        first = {"title": "Slow answers in chat", "body": "Looking into it.",
                 "components": {"support-chat": "degraded_performance"}}  # fmt: skip
        published = client.post(f"/v1/incidents/{ident}/public", json=first, headers=auth)
        assert published.status_code == 201
        deliver(rt)
        assert len(inbox.messages) == 1
        assert len(receiver.got) == 1
        assert client.get(link.group(1)).status_code == 200
        for forged in ("9.forged", "1.\u00e9\u00e9", "x", "1." + "A" * 43, "9" * 150 + ".x"):
            assert client.get(f"/status/subscribers/confirm?token={forged}").status_code == 404
        later = {"status": "resolved", "body": "Fast again."}
        done = client.post(f"/v1/incidents/{ident}/public/updates", json=later, headers=auth)
        assert done.status_code == 200
        deliver(rt)
        [_, (rcpt, subject, text)] = inbox.bodies()
        assert rcpt == ["pat@example.org"]
        assert subject == "[Status] Slow answers in chat: resolved"
        assert "Fast again." in text
        assert "p95@chat" not in text  # never the internal title
        leave = re.search(r"/status/subscribers/unsubscribe\?token=(\S+)", text)
        assert leave is not None
        bodies = []
        for headers, body in receiver.got:
            assert verify(
                secret,
                headers["webhook-id"],
                int(headers["webhook-timestamp"]),
                body,
                headers["webhook-signature"],
            )
            bodies.append(json.loads(body))
        assert [b["data"]["update"]["status"] for b in bodies] == ["investigating", "resolved"]
        assert bodies[0]["data"]["incident"]["name"] == "Slow answers in chat"
        assert "subscriber" not in bodies[0]["data"]
        assert not verify(secret, "other-id", 0, body, headers["webhook-signature"])
        # Unsubscribing: the link shows a form (a GET changes nothing), the form removes.
        assert "Unsubscribe" in client.get(leave.group(0)).text
        gone = client.post("/status/subscribers/unsubscribe", data={"token": leave.group(1)})
        assert gone.status_code == 200
        webhook_leave = made.json()["unsubscribe_url"].split("token=")[1]
        client.post("/status/subscribers/unsubscribe", data={"token": webhook_leave})
        more = {"status": "resolved", "body": "Post-incident note."}
        client.post(f"/v1/incidents/{ident}/public/updates", json=more, headers=auth)
        deliver(rt)
        assert len(inbox.messages) == 2
        assert len(receiver.got) == 2


def test_subscriptions_refuse_bad_input(rt: Runtime, clock: ManualClock) -> None:
    with TestClient(create_app(rt, background=False)) as client:
        for body in (
            {"email": "not-an-address"},
            {"email": "a@b.example\r\nBcc: x@y.example"},
            {"webhook_url": "ftp://example.org/x"},
            {},
            {"email": "a@example.org", "webhook_url": "https://example.org/h"},
        ):
            r = client.post("/status/subscribers", json=body)
            assert r.status_code == 422, body
        page = client.post("/status/subscribe", data={"email": "pat@example.org"})
        assert "Check your inbox" in page.text
        # Asking again within the hour sends nothing more (no mail-bombing an address).
        client.post("/status/subscribers", json={"email": "pat@example.org"})
        clock.advance(timedelta(hours=2))
        client.post("/status/subscribers", json={"email": "pat@example.org"})
        with rt.db.read() as session:
            sent = session.scalars(select(OutboxRow.kind)).all()
        assert sent == ["statuspage.confirm", "statuspage.confirm"]
        cross = client.post(
            "/status/subscribe",
            data={"email": "pat@example.org"},
            headers={"sec-fetch-site": "cross-site"},
        )
        assert cross.status_code == 403
