"""Soak: 2 API processes and 2 workers on one PostgreSQL database, with kill -9 of random ones
while events arrive. Every event must be stored once and go through the pipeline exactly once
(each output scored, the backlog drained), and the partitions must end up held by live workers.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.events_data import valid
from tests.pg.conftest import _libpq
from tests.serve_proc import SRC, Serve

TOKEN = "tw_soak-admin-token-0123456789abcdef0123"
BATCHES = 24
PER_BATCH = 100


def env_for(url: str, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    env.update(PYTHONPATH=str(SRC), TRIPWIRE_DATABASE_URL=url, TRIPWIRE_ADMIN_TOKEN=TOKEN)
    env["TRIPWIRE_CONFIG"] = str(config)
    return env


def worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tripwire", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def batch(n: int) -> dict[str, Any]:
    events = []
    for i in range(PER_BATCH):
        out = f"o-{n}-{i}"
        use_case = f"uc-{(n * PER_BATCH + i) % 10}"
        ts = "2026-11-20T09:00:00Z"
        events.append(valid("output", id=out, ts=ts, use_case=use_case))
    return {"events": events}


def scalar(url: str, sql: str) -> int:
    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def members(url: str) -> set[str]:
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute("SELECT holder FROM pipeline_members").fetchall()
    return {":" + str(h).split(":")[1] + ":" for (h,) in rows}


PENDING = (
    "SELECT count(*) FROM events e JOIN pipeline_partitions p ON p.part = e.part "
    "WHERE e.seq > p.position"
)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_9_of_any_process_loses_and_repeats_nothing(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "tripwire.yaml"
    config.write_text("evaluate:\n  sample_rate: 1.0\n")  # every output scored: none skipped
    env = env_for(db_url, config)
    rng = random.Random(13)
    apis = [Serve(env, "--no-workers"), Serve(env, "--no-workers")]
    workers = [worker(env), worker(env)]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        for n in range(BATCHES):
            body = batch(n)
            while True:  # a client retries on another API process when one dies under it
                api = apis[rng.randrange(2)]
                try:
                    response = httpx.post(
                        f"{api.url}/v1/events", json=body, headers=headers, timeout=30
                    )
                except httpx.HTTPError:
                    continue
                if response.status_code == 202:
                    break
                assert response.status_code >= 500, response.text
            if n % 8 == 4:  # kill -9 a random API process or worker, then restart it
                victim = rng.randrange(4)
                if victim < 2:
                    apis[victim].kill()
                    apis[victim].stop()
                    apis[victim] = Serve(env, "--no-workers")
                else:
                    workers[victim - 2].kill()
                    workers[victim - 2].wait()
                    workers[victim - 2] = worker(env)
        deadline = time.monotonic() + 120
        while scalar(db_url, PENDING) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert scalar(db_url, PENDING) == 0
        sent = BATCHES * PER_BATCH
        assert scalar(db_url, "SELECT count(*) FROM events WHERE origin = 'ingest'") == sent
        outputs_scored = scalar(
            db_url, "SELECT count(DISTINCT output_id) FROM events WHERE type = 'score'"
        )
        assert outputs_scored == sent
        live = {f":{w.pid}:" for w in workers}
        while time.monotonic() < deadline and len(members(db_url) & live) < 2:
            time.sleep(0.5)  # a worker restarted last may still be starting
        with psycopg.connect(_libpq(db_url)) as conn:
            rows = conn.execute("SELECT DISTINCT holder FROM pipeline_partitions").fetchall()
        holders = {str(h) for (h,) in rows if h is not None}
        assert holders
        assert all(any(p in h for p in live) for h in holders)
    finally:
        for api in apis:
            api.stop()
        for proc in workers:
            proc.terminate()
        codes = [proc.wait(60) for proc in workers]
    assert codes == [0, 0]  # SIGTERM drains and exits 0
