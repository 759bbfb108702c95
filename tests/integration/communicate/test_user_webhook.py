"""A user message through a signed webhook to the product's own messaging: one request per
user, signed with HMAC-SHA256 (Standard Webhooks), retried after a failure, states visible."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.integration.communicate.test_affected_users import open_incident, token, traffic
from tests.integration.respond.conftest import SECRET, make_runtime, respond_config
from tests.integration.respond.receivers import Receiver, http_receiver
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.notify.webhook.signing import verify
from tripwire.notify.worker import OutboxWorker
from tripwire.runtime.wiring import Runtime


@pytest.fixture
def product() -> Iterator[Receiver]:
    with http_receiver(["fail"]) as receiver:  # the first request fails once
        yield receiver


@pytest.fixture
def rt(db_url: str, clock: ManualClock, product: Receiver) -> Iterator[Runtime]:
    data = respond_config()
    data["respond"]["people"]["dee"] = {"notify": []}
    data["respond"]["roles"]["communications_lead"] = {"person": "dee"}
    data["respond"]["channels"]["product"] = {
        "type": "webhook", "url": product.url, "secret": SECRET,
    }  # fmt: skip
    data["communicate"] = {"user_messages": {"channel": "product"}}
    runtime = make_runtime(db_url, clock, parse_config(data))
    yield runtime
    runtime.close()


def test_each_user_gets_a_signed_request_and_a_failure_is_retried(
    rt: Runtime, product: Receiver, clock: ManualClock
) -> None:
    traffic(rt)
    open_incident(rt)
    ops, lead = token(rt, "ops", ["respond"]), token(rt, "dee", ["respond"])
    with TestClient(create_app(rt, background=False)) as api:
        made = api.post("/v1/incidents/INC-1/communications", json={}, headers=ops).json()
        url = f"/v1/incidents/INC-1/communications/{made['id']}"
        assert api.post(url + "/approve", headers=lead).status_code == 200
        assert api.post(url + "/send", headers=ops).json()["recipients"] == 4
        worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
        worker.run_once()
        states = api.get(url, headers=ops).json()["recipient_states"]
        retrying = [r for r in states if r["error"]]
        assert len(retrying) == 1
        assert retrying[0]["state"] == "queued"
        clock.advance(timedelta(minutes=10))
        while worker.run_once():
            pass
        worker.close()
        states = api.get(url, headers=ops).json()["recipient_states"]
        assert {r["state"] for r in states} == {"sent"}
        assert max(r["attempts"] for r in states) == 2
    users = sorted(a["body"]["data"]["recipient"]["user_id"] for a in product.accepted)
    assert users == sorted(["ann", "bob", "bad address", "cat"])
    for request in product.accepted:
        h = request["headers"]
        assert verify(
            SECRET, h["webhook-id"], int(h["webhook-timestamp"]), request["raw"],
            h["webhook-signature"],
        )  # fmt: skip
        assert request["body"]["type"] == "user.message"
        assert request["body"]["data"]["incident_id"] == "INC-1"
