"""The PostgreSQL suite: the storage and API tests again, each on its own fresh database.

The server is `TRIPWIRE_TEST_PG_URL` (default: local, trust auth, database `test`). Without a
server the tests skip, except under CI=true, where they fail: CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.pg)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """A URL whose database can create the per-test databases: TRIPWIRE_TEST_PG_URL, or the
    same server's `postgres` database when that one does not exist (a fresh server)."""
    message = ""
    for url in (PG_URL, make_url(PG_URL).set(database="postgres").render_as_string(False)):
        try:
            with psycopg.connect(_libpq(url), connect_timeout=5):
                return url
        except psycopg.Error as exc:
            message += f"\n  {url}: {exc}"
    message = f"PostgreSQL does not answer:{message}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "\n(CI=true: the pg tests must run, not skip)")
    pytest.skip(message)


@pytest.fixture
def db_url(pg_server: str) -> Iterator[str]:
    """A database of its own for this test, dropped afterwards."""
    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(pg_server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
