"""Engines and sessions for SQLite (default) and PostgreSQL through the same code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 30_000
# Execution option marking a connection whose transactions only read (see `Database.read`).
READ_ONLY = "tripwire_read_only"


def dumps_json(value: Any) -> str:
    """JSON columns' serializer: orjson (several times faster than json), json as a fallback
    for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value)


_JSON_ARGS: dict[str, Any] = {"json_serializer": dumps_json, "json_deserializer": orjson.loads}


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine with the pragmas Tripwire relies on (WAL, foreign keys, busy timeout)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_synchronous)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **_JSON_ARGS)


def _sqlite_engine(url: str, synchronous: str) -> Engine:
    if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError("sqlite synchronous must be OFF, NORMAL, FULL or EXTRA")
    _ensure_parent(url)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        **_JSON_ARGS,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (SQLAlchemy docs recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: an acknowledged batch survives power loss too, not only a crashed process.
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Why IMMEDIATE: a deferred transaction that reads, then writes after another
        # connection committed fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT
        # in WAL mode), and the busy timeout does not retry it. Taking the write lock at BEGIN
        # makes such a writer wait its turn instead. Readers stay deferred: they never block.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _ensure_parent(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


class Database:
    """One engine and its session factories; created once per process.

    `session()` is for work that may write: on SQLite its transaction takes the write lock as
    it begins, so it never fails half-way on a snapshot another writer made stale. `read()` is
    for work that only reads (pages, GET routes): it never waits for a writer.
    """

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        self.engine = make_engine(url, sqlite_synchronous=sqlite_synchronous)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(**{READ_ONLY: True})
        self.read_sessions = sessionmaker(reader, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only; on SQLite its transaction does not take the write lock
        (a write through it still works, but may fail if another writer committed first)."""
        with self.read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
