"""The affected-users query on SQLite (the indexes of migration 0123 and the query that reads
them) finds the same users and counts as the portable query PostgreSQL runs, on a built
scenario of every incident shape; the export carries them; the migration goes down and up."""

from __future__ import annotations

import csv
import io

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.conftest import Cast
from tests.integration.respond import affected_scenario
from tripwire.config.communicate import AffectedUsersConfig
from tripwire.respond import affected_sqlite
from tripwire.respond.affected import (
    AffectedScope,
    affected_totals,
    affected_users,
    portable_totals,
    portable_users,
    scope_of,
)
from tripwire.respond.queries import get_incident
from tripwire.runtime.wiring import Runtime
from tripwire.store import affected_index
from tripwire.store.migrate import alembic_config, upgrade


def scopes(runtime: Runtime, idents: list[str]) -> dict[str, AffectedScope]:
    with runtime.db.read() as session:
        found = {ident: get_incident(session, ident) for ident in idents}
        now = runtime.clock.now()
        return {
            ident: scope_of(session, row, now, AffectedUsersConfig())
            for ident, row in found.items()
            if row is not None
        }


def test_each_incident_shape_has_the_users_of_the_portable_query(runtime: Runtime) -> None:
    idents = affected_scenario.build(runtime)
    found = scopes(runtime, idents)
    assert [s.flag for s in found.values()] == ["safety", "low_score", "all", "all"]
    assert [bool(s.segments) for s in found.values()] == [True, False, True, False]
    with runtime.db.read() as session:
        for ident, scope in found.items():
            expected = portable_totals(session, scope)
            assert expected.users > 5, ident  # the scenario reaches users in every shape
            assert expected.unattributed_outputs > 0, ident
            assert affected_totals(session, scope) == expected, ident
            every = portable_users(session, scope, limit=10_000)
            assert affected_users(session, scope, limit=10_000) == every, ident
            assert len(every) == expected.users
            assert sum(u.outputs for u in every) == expected.outputs - expected.unattributed_outputs


def test_pages_after_a_cursor_match_the_portable_query(runtime: Runtime) -> None:
    found = scopes(runtime, affected_scenario.build(runtime))
    with runtime.db.read() as session:
        for scope in found.values():
            every = portable_users(session, scope, limit=10_000)
            for cursor in (every[0].user_id, every[len(every) // 2].user_id, "user-1", "zzz"):
                mine = affected_users(session, scope, after=cursor, limit=7)
                assert mine == portable_users(session, scope, after=cursor, limit=7)


def test_a_flagged_scope_counts_fewer_outputs_than_its_window(runtime: Runtime) -> None:
    """The flags matter: the safety incident's segment holds more outputs than it affects."""
    chat = scopes(runtime, affected_scenario.build(runtime))["INC-1"]
    every_output = AffectedScope(chat.use_case, chat.start, chat.end, chat.segments)
    with runtime.db.read() as session:
        flagged, window = affected_totals(session, chat), affected_totals(session, every_output)
    assert 0 < flagged.outputs < window.outputs


def test_the_export_lists_every_affected_user(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    idents = affected_scenario.build(runtime)
    found = scopes(runtime, idents)
    for ident in idents:
        url = f"/v1/incidents/{ident}/affected-users?format=csv"
        r = client.get(url, headers=cast.auth("read"))
        assert r.status_code == 200
        rows = [(u["user_id"], int(u["outputs"])) for u in csv.DictReader(io.StringIO(r.text))]
        with runtime.db.read() as session:
            expected = portable_users(session, found[ident], limit=10_000)
        quoted = {"=sum(1)": "'=sum(1)"}  # a formula-like id is quoted in the CSV
        assert rows == [(quoted.get(u.user_id, u.user_id), u.outputs) for u in expected]


def test_the_query_reads_the_new_indexes(runtime: Runtime) -> None:
    found = scopes(runtime, affected_scenario.build(runtime))
    with runtime.db.read() as session:
        plans = {i: " | ".join(affected_sqlite.query_plan(session, s)) for i, s in found.items()}
    assert f"USING INDEX {affected_index.OUTPUTS} (use_case=? AND ts>? AND ts<?)" in plans["INC-4"]
    assert f"USING INDEX {affected_index.TRIGGERED_CHECKS}" in plans["INC-1"]
    assert f"USING INDEX {affected_index.SCORES}" in plans["INC-2"]
    assert "(id=?)" in plans["INC-1"]  # the outputs the evidence names are fetched by id


def index_names(runtime: Runtime) -> set[str]:
    with runtime.db.read() as session:
        rows = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        return {str(name) for (name,) in rows}


def test_the_migration_goes_down_and_up_on_sqlite(runtime: Runtime) -> None:
    idents = affected_scenario.build(runtime)
    before = scopes(runtime, idents)
    with runtime.db.read() as session:
        counted = {i: affected_totals(session, s) for i, s in before.items()}
    assert set(affected_index.INDEXES) <= index_names(runtime)
    config = alembic_config()
    for down_to in ("0122", "0110"):
        with runtime.db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, down_to)
        assert not set(affected_index.INDEXES) & index_names(runtime)
        with runtime.db.read() as session, pytest.raises(OperationalError, match="no such index"):
            affected_totals(session, before["INC-4"])  # a clear error, not a silent slow path
        upgrade(runtime.db.engine)
        assert set(affected_index.INDEXES) <= index_names(runtime)
    with runtime.db.read() as session:
        assert {i: affected_totals(session, s) for i, s in before.items()} == counted
