"""kill -9 in the middle of a stream of batches loses no acknowledged event."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.serve_proc import Serve, clean_env
from tripwire.store.db import Database
from tripwire.store.events import iter_by_time

TOKEN = "tw_crash-test-token-0123456789"


def batch(n: int, size: int = 200) -> list[dict[str, object]]:
    return [
        {
            "id": f"b{n}-e{i}",
            "type": "output",
            "ts": "2026-11-20T09:00:00Z",
            "use_case": "support-chat",
            "model": "m",
            "input": "question " * 20,
            "output": "answer " * 40,
        }
        for i in range(size)
    ]


def test_sigkill_mid_stream_loses_no_acknowledged_event(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    env = clean_env(db, TRIPWIRE_ADMIN_TOKEN=TOKEN)
    server = Serve(env)
    acknowledged: list[str] = []
    stop = threading.Event()
    errors: list[str] = []

    def stream() -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            n = 0
            while not stop.is_set():
                events = batch(n)
                try:
                    response = client.post("/v1/events", json={"events": events})
                except httpx.HTTPError:
                    return  # the server died mid-request: this batch was not acknowledged
                if response.status_code == 202:
                    acknowledged.extend(str(e["id"]) for e in events)
                else:
                    errors.append(response.text)
                n += 1

    sender = threading.Thread(target=stream)
    sender.start()
    try:
        deadline = time.monotonic() + 60
        while len(acknowledged) < 3000 and time.monotonic() < deadline and sender.is_alive():
            time.sleep(0.01)
        server.kill()  # while the sender is still streaming
        assert server.proc.returncode == -9
    finally:
        stop.set()
        sender.join(60)
        server.stop()
    assert errors == []
    assert len(acknowledged) >= 3000

    restarted = Serve(env)  # recovery happens on start (WAL replay, migrations)
    try:
        stats = httpx.get(
            f"{restarted.url}/v1/stats", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
        assert stats["events"].get("output", 0) >= len(acknowledged)
    finally:
        restarted.stop()
    database = Database(f"sqlite:///{db}")
    try:
        with database.session() as session:
            stored = {e.id for e in iter_by_time(session)}
    finally:
        database.dispose()
    missing = [i for i in acknowledged if i not in stored]
    assert missing == []
