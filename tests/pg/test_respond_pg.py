"""Respond on the real PostgreSQL server: incidents, the outbox claim, exposure and metrics."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import PG_URL, T0
from tests.integration.respond.conftest import alert, feed, make_runtime, respond_config, tick
from tests.integration.respond.receivers import http_receiver
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.notify.worker import OutboxWorker
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow
from tripwire.store.tokens import create_token

pytestmark = pytest.mark.pg


def _admin_dsn() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def pg_url() -> Iterator[str]:
    try:
        admin = psycopg.connect(_admin_dsn(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no PostgreSQL server (TRIPWIRE_TEST_PG_URL)")
    name = f"tw_respond_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_escalation_paging_and_exposure_on_postgresql(pg_url: str) -> None:
    clock = ManualClock(T0)
    with http_receiver() as receiver:
        data = respond_config(receiver.url)
        rt: Runtime = make_runtime(pg_url, clock, parse_config(data))
        try:
            outputs = [
                {
                    "id": f"o{i}",
                    "type": "output",
                    "ts": isoformat_z(T0 - timedelta(minutes=i % 10)),
                    "use_case": "support-chat",
                    "model": "m",
                    "input": "q",
                    "output": "a",
                    "user_id": f"u{i % 7}",
                }
                for i in range(40)
            ]
            store_events(rt.db, parse_batch(outputs), clock)
            feed(rt, alert(magnitude=0.6))  # P2 in working hours: paged at once
            clock.advance(timedelta(minutes=5))
            tick(rt)
            worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
            while worker.run_once():
                pass
            worker.close()
            with rt.db.session() as session:
                statuses = {r.status for r in session.scalars(select(OutboxRow))}
            with rt.db.session() as session:
                token = create_token(session, "t", ["admin"], clock.now())[1]
            with TestClient(create_app(rt, background=False)) as api:
                auth = {"Authorization": f"Bearer {token}"}
                body = api.get("/v1/incidents/INC-1", headers=auth).json()
                metrics = api.get("/metrics", headers=auth)
        finally:
            rt.close()
    assert statuses == {"delivered"}
    pages = [a for a in receiver.accepted if a["body"]["type"] == "incident.page"]
    assert [a["body"]["data"]["recipient"]["person"] for a in pages] == ["alice", "bob"]
    assert body["exposed"] == {"users": 7, "outputs": 40}
    assert metrics.status_code == 200
    assert 'tripwire_incidents{status="triggered"} 1.0' in metrics.text
