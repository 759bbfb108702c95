"""Soak: 2 API processes and 2 workers on one PostgreSQL database, with kill -9 of random ones
while events and alerts arrive. Every event must be stored once and go through the pipeline
exactly once (each output scored, the backlog drained), every alert must open one incident, every
page must reach the webhook receiver under its id, and the partitions must end up held by live
workers.
"""

from __future__ import annotations

import json
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
from tests.integration.respond.conftest import SECRET
from tests.integration.respond.receivers import Receiver, http_receiver
from tests.pg.conftest import _libpq
from tests.serve_proc import SRC, Serve

TOKEN = "tw_soak-admin-token-0123456789abcdef0123"
BATCHES = 24
PER_BATCH = 100
ALERT_EVERY = 2  # batches; an Alertmanager alert of its own goes with every second batch


def env_for(url: str, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    env.update(PYTHONPATH=str(SRC), TRIPWIRE_DATABASE_URL=url, TRIPWIRE_ADMIN_TOKEN=TOKEN)
    env["TRIPWIRE_CONFIG"] = str(config)
    env["TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS"] = "true"  # the receiver is on loopback
    env["TRIPWIRE_SECRET_KEY"] = "soak-secret-key-0123456789"
    env["TRIPWIRE_PUBLIC_URL"] = "http://tripwire.test"
    return env


def config_text(hook: str) -> str:
    """Every output scored (none skipped); pages go to one webhook. JSON is YAML."""
    person = {"notify": ["hook"]}
    config = {
        "evaluate": {"sample_rate": 1.0},
        "respond": {
            "people": {"alice": person, "bob": person},
            "schedules": {
                "primary": {"rotations": [{"members": ["alice"], "start": "2026-01-05"}]},
                "secondary": {"rotations": [{"members": ["bob"], "start": "2026-01-05"}]},
            },
            "escalation_policies": {"default": {"levels": [{"targets": ["schedule:primary"]}]}},
            "roles": {"incident_commander": {"schedule": "primary"}},
            "channels": {"hook": {"type": "webhook", "url": hook, "secret": SECRET}},
            "broadcast": [],
            # An Alertmanager alert opens a P3 (a digest by default): page at once instead.
            "urgency": {"severities": {sev: {"urgency": "page"} for sev in ("P2", "P3")}},
        },
    }
    return json.dumps(config)


def alert_body(n: int) -> dict[str, Any]:
    """Alertmanager's webhook with one firing alert of its own fingerprint."""
    alert = {
        "status": "firing",
        "labels": {"alertname": f"Soak{n}"},
        "annotations": {"summary": "soak"},
        "startsAt": "2026-11-20T08:55:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom/graph",
        "fingerprint": f"soak-{n}",
    }
    return {"version": "4", "groupKey": f"soak-{n}", "status": "firing", "alerts": [alert]}


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


def post(apis: list[Serve], rng: random.Random, path: str, body: dict[str, Any]) -> None:
    """POST to a random API process; on a connection error or a 5xx (a process killed under
    the request) retry on another, as a client would. A 4xx fails the test."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    while True:
        api = apis[rng.randrange(2)]
        try:
            response = httpx.post(f"{api.url}{path}", json=body, headers=headers, timeout=30)
        except httpx.HTTPError:
            continue
        if response.status_code < 300:
            return
        assert response.status_code >= 500, response.text


def kill_one(
    apis: list[Serve], workers: list[subprocess.Popen[bytes]], victim: int, env: dict[str, str]
) -> None:
    """kill -9 API process or worker `victim` (0-1: APIs, 2-3: workers), then restart it."""
    if victim < 2:
        apis[victim].kill()
        apis[victim].stop()
        apis[victim] = Serve(env, "--no-workers")
    else:
        workers[victim - 2].kill()
        workers[victim - 2].wait()
        workers[victim - 2] = worker(env)


def wait_until(check: Any, deadline: float) -> None:
    while not check() and time.monotonic() < deadline:
        time.sleep(0.5)


UNDELIVERED = "SELECT count(*) FROM outbox WHERE channel = 'hook' AND status <> 'delivered'"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_9_of_any_process_loses_and_repeats_nothing(db_url: str, tmp_path: Path) -> None:
    with http_receiver() as receiver:
        run_soak(db_url, tmp_path, receiver)


def run_soak(db_url: str, tmp_path: Path, receiver: Receiver) -> None:
    config = tmp_path / "tripwire.yaml"
    config.write_text(config_text(f"{receiver.url}/hook"))
    env = env_for(db_url, config)
    rng = random.Random(13)
    apis = [Serve(env, "--no-workers"), Serve(env, "--no-workers")]
    workers = [worker(env), worker(env)]
    alerts = 0
    try:
        for n in range(BATCHES):
            post(apis, rng, "/v1/events", batch(n))
            if n % ALERT_EVERY == 0:
                post(apis, rng, "/v1/alerts/alertmanager", alert_body(n))
                alerts += 1
            if n % 8 == 4:  # kill -9 a random API process or worker, then restart it
                kill_one(apis, workers, rng.randrange(4), env)
        deadline = time.monotonic() + 120
        wait_until(lambda: not scalar(db_url, PENDING), deadline)
        assert scalar(db_url, PENDING) == 0
        sent = BATCHES * PER_BATCH
        assert scalar(db_url, "SELECT count(*) FROM events WHERE origin = 'ingest'") == sent
        outputs_scored = scalar(
            db_url, "SELECT count(DISTINCT output_id) FROM events WHERE type = 'score'"
        )
        assert outputs_scored == sent
        assert_incidents_and_pages(db_url, receiver, alerts, deadline)
        live = {f":{w.pid}:" for w in workers}
        wait_until(lambda: len(members(db_url) & live) >= 2, deadline)  # the last restarted
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


def assert_incidents_and_pages(
    db_url: str, receiver: Receiver, alerts: int, deadline: float
) -> None:
    """One incident per alert (a retried POST joins the incident it opened), and every page in
    the outbox arrived at the receiver under its own id, the same pages for every incident."""
    assert scalar(db_url, "SELECT count(*) FROM incidents") == alerts
    assert scalar(db_url, "SELECT count(DISTINCT dedup_key) FROM incident_signals") == alerts
    assert scalar(db_url, "SELECT count(*) FROM incident_signals") == alerts
    wait_until(lambda: not scalar(db_url, UNDELIVERED), deadline)
    assert scalar(db_url, UNDELIVERED) == 0
    with psycopg.connect(_libpq(db_url)) as conn:
        queued = conn.execute(
            "SELECT id, ordering_key FROM outbox WHERE channel = 'hook'"
        ).fetchall()
    with receiver.lock:
        arrived = [
            {k.lower(): v for k, v in a["headers"].items()}.get("webhook-id")
            for a in receiver.accepted
        ]
    assert set(arrived) == {str(i) for i, _ in queued}  # every page arrived; nothing else did
    per_incident: dict[str, int] = {}
    for _, key in queued:
        per_incident[str(key)] = per_incident.get(str(key), 0) + 1
    assert len(per_incident) == alerts
    assert len(set(per_incident.values())) == 1  # no incident paged twice
