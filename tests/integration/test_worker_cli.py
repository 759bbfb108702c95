"""`tripwire worker` beside `tripwire serve --no-workers`: the API stores, the worker processes,
and SIGTERM drains the worker and exits 0."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.serve_proc import Serve, clean_env, wait_for

TOKEN = "tw_test_admin_token_for_the_worker_test"


def events(count: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"out-{i}",
            "type": "output",
            "ts": "2026-11-20T09:00:00Z",
            "use_case": "support-chat",
            "model": "m",
            "input": "How do I reset my router?",
            "output": "Hold the reset button for ten seconds.",
        }
        for i in range(count)
    ]


def pending(url: str) -> int:
    stats = httpx.get(f"{url}/v1/stats", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    return int(stats["pipeline"]["pending"])


def test_serve_without_workers_stores_and_a_worker_processes(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "tw.db", TRIPWIRE_ADMIN_TOKEN=TOKEN)
    api = Serve(env, "--no-workers")
    worker: subprocess.Popen[str] | None = None
    try:
        answer = httpx.post(
            f"{api.url}/v1/events",
            json={"events": events(50)},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status_code == 202
        time.sleep(1.5)
        assert pending(api.url) == 50, "serve --no-workers must leave the pipeline alone"
        worker = subprocess.Popen(
            [sys.executable, "-m", "tripwire", "worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert wait_for(lambda: pending(api.url) == 0), "the worker never processed the events"
        worker.terminate()  # SIGTERM
        _, err = worker.communicate(timeout=30)
        assert worker.returncode == 0, err
        assert "worker stopped" in err
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        api.stop()
