"""The ingest reference: the least a FastAPI server can do to store a batch of events durably.

    PYTHONPATH=src python benchmarks/bare_ingest_server.py DB_PATH PORT

`POST /v1/events` parses the body with `json.loads`, serialises each event back once for its
payload column and writes the batch with one sqlite3 `executemany` and one commit, into the
same schema (Tripwire's migrations) with the same pragmas (WAL, synchronous FULL). No
validation, no authentication, no pipeline: `benchmarks/ingest.py` runs it beside
`tripwire serve` in the same run, so Tripwire's figure is read as a share of this one.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

_INSERT = (
    "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, payload, part) "
    "VALUES (?, ?, ?, ?, ?, ?, 'ingest', ?, 0) ON CONFLICT (id) DO NOTHING"
)


def create_app(path: str) -> FastAPI:
    """The reference app over the SQLite file at `path` (already migrated)."""
    app = FastAPI()
    local = threading.local()  # one connection per server thread, as a session pool gives

    def connection() -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            local.conn = conn
        return conn

    def store(body: bytes) -> int:
        events = json.loads(body)["events"]
        now = datetime.now(UTC).isoformat(sep=" ", timespec="microseconds")[:26]
        rows = [
            (e["id"], e["type"], e["ts"], e.get("use_case"), e.get("output_id"), now, json.dumps(e))
            for e in events
        ]
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_INSERT, rows)
            stored = conn.total_changes
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return stored

    @app.post("/v1/events")
    async def post_events(request: Request) -> JSONResponse:
        body = await request.body()
        await run_in_threadpool(store, body)
        return JSONResponse({"accepted": True}, status_code=202)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    path, port = sys.argv[1], int(sys.argv[2])
    from tripwire.store.db import Database
    from tripwire.store.migrate import upgrade

    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.dispose()
    uvicorn.run(
        create_app(path), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
