"""The affected users on PostgreSQL (the portable query) and on SQLite (its own query and
indexes) are the same: one scenario built on both, compared through the API's CSV and JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FAR_AHEAD
from tests.integration.respond import affected_scenario
from tripwire.api.app import create_app
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token


@pytest.fixture
def on_sqlite(tmp_path: Path, clock: ManualClock) -> Iterator[Runtime]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'beside.db'}", workers=False,
        event_max_future=FAR_AHEAD, event_max_age=FAR_AHEAD,
    )  # fmt: skip
    rt = Runtime.open(settings, TripwireConfig(), clock)
    yield rt
    rt.close()


def exports(runtime: Runtime) -> dict[str, tuple[str, dict[str, object]]]:
    """Each scenario incident's CSV export and its JSON counts, read through the API."""
    idents = affected_scenario.build(runtime)
    with runtime.db.session() as session:
        secret = create_token(session, "reader", ["read"], runtime.clock.now())[1]
    auth = {"Authorization": f"Bearer {secret}"}
    found = {}
    with TestClient(create_app(runtime, background=False)) as client:
        for ident in idents:
            url = f"/v1/incidents/{ident}/affected-users"
            csv = client.get(url, params={"format": "csv"}, headers=auth)
            page = client.get(url, params={"limit": 5}, headers=auth).json()
            assert csv.status_code == 200, csv.text
            counts = {k: page[k] for k in ("count", "outputs", "unattributed_outputs", "scope")}
            found[ident] = (csv.text, counts)
    return found


def test_postgresql_and_sqlite_export_the_same_affected_users(
    runtime: Runtime, on_sqlite: Runtime
) -> None:
    assert runtime.db.engine.dialect.name == "postgresql"
    on_pg = exports(runtime)
    beside = exports(on_sqlite)
    assert list(on_pg) == ["INC-1", "INC-2", "INC-3", "INC-4"]
    for ident, (csv, counts) in on_pg.items():
        assert csv.count("\n") > 5, ident  # users in every shape, not two empty files
        assert (csv, counts) == beside[ident], ident
