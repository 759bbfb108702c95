"""Shared fixtures: each test gets a fresh app on a fresh SQLite file, and a cast of tokens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.smtp_inbox import smtp  # noqa: F401  (a fixture every test may name)
from tripwire.api.app import create_app
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FAR_AHEAD = timedelta(days=36_500)
PG_URL = os.environ.get("TRIPWIRE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Cast:
    """Tokens for the usual characters: one per scope, plus one that has been revoked."""

    ingest: str
    read: str
    respond: str
    admin: str
    revoked: str

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tripwire.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def runtime(db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    # The tests' clock stands at T0 while live clients (the SDK, OTLP exporters) stamp events
    # with the wall clock: the future bound of the ingest window must not refuse them here.
    settings = Settings(
        database_url=db_url, workers=False, event_max_future=FAR_AHEAD, event_max_age=FAR_AHEAD
    )
    rt = Runtime.open(settings, TripwireConfig(), clock)
    yield rt
    rt.close()


@pytest.fixture
def cast(runtime: Runtime) -> Cast:
    now = runtime.clock.now()
    with runtime.db.session() as session:
        secrets = {
            scope: create_token(session, scope, [scope], now)[1]  # type: ignore[list-item]
            for scope in ("ingest", "read", "respond", "admin")
        }
        info, revoked = create_token(session, "old", ["admin"], now)
    from tripwire.store.tokens import revoke

    with runtime.db.session() as session:
        revoke(session, info.id, now)
    return Cast(revoked=revoked, **secrets)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, background=False)) as test_client:
        yield test_client
