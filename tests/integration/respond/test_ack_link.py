"""The signed acknowledge link in a page: GET only confirms, POST acknowledges."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Cast
from tests.integration.respond.conftest import alert, feed
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow


def ack_path(rt: Runtime) -> str:
    with rt.db.session() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.kind == "incident.page")).first()
        assert row is not None
        url: str = row.payload["ack_url"]
    assert url.startswith("http://tripwire.test/ack/")
    return url.removeprefix("http://tripwire.test")


def status(api: TestClient, crew: Cast) -> str:
    return str(api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()["status"])


def test_opening_the_link_does_not_acknowledge(rt: Runtime, api: TestClient, crew: Cast) -> None:
    feed(rt, alert())
    r = api.get(ack_path(rt))
    assert r.status_code == 200
    assert "<form method=post" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert status(api, crew) == "triggered"


def test_posting_the_link_acknowledges_as_the_paged_person(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    feed(rt, alert())
    r = api.post(ack_path(rt))
    assert r.status_code == 200, r.text
    body = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    assert body["status"] == "acknowledged"
    assert body["timeline"][-1]["actor"] == "alice"


def test_a_forged_or_expired_link_does_nothing(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    feed(rt, alert())
    path = ack_path(rt)
    assert api.post(path[:-3] + "xyz").status_code == 400
    clock.advance(timedelta(hours=25))
    r = api.post(path)
    assert r.status_code == 400
    assert "expired" in r.text
    assert status(api, crew) == "triggered"
