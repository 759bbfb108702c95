"""Event-time detection in `serve`: the same simulated traffic sent over HTTP (on a controlled
clock, some of it delayed by the product) and through `replay` opens the same incidents, and
events later than the allowed lateness are counted in `pipeline.late`."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tripwire.api.app import create_app
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.pipeline.follower import Follower
from tripwire.pipeline.replay import read_events
from tripwire.respond.queries import list_incidents
from tripwire.runtime.modes import Mode
from tripwire.runtime.wiring import Runtime
from tripwire.sim import Injection, Scenario, UseCase, simulate, write_jsonl
from tripwire.store.tokens import create_token

ONSET = 1440 + 120  # a safety surge after a day of healthy warm-up
HTTP_FROM = ONSET - 30  # the last two hours go over HTTP
STEP = timedelta(minutes=2)  # the product flushes every 2 minutes
LATENESS = 5
SCENARIO = Scenario(
    seed=11,
    days=(ONSET + 90) / 1440,
    outputs_per_hour=300,
    use_cases=(UseCase("chat"),),
    injections=(Injection("safety", "chat", ONSET, 10.0, duration_minutes=60),),
)


def _ts(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["ts"]).replace("Z", "+00:00"))


def _delay(event: dict[str, Any]) -> timedelta:
    """How long the product holds an event back: most arrive with the next flush, a tenth
    within the lateness, one in a hundred a quarter of an hour later (a helpdesk export)."""
    bucket = zlib.crc32(str(event["id"]).encode()) % 100
    if bucket == 0:
        return timedelta(minutes=15)
    if bucket < 10:
        return timedelta(minutes=3)
    return timedelta(0)


def _runtime(path: Path, clock: ManualClock) -> Runtime:
    far = timedelta(days=36_500)
    settings = Settings(
        database_url=f"sqlite:///{path}", workers=False, event_max_future=far, event_max_age=far
    )
    return Runtime.open(settings, TripwireConfig(), clock)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Runtime, int]]:
    tmp = tmp_path_factory.mktemp("eventtime")
    events = simulate(SCENARIO).events
    cut = SCENARIO.start + timedelta(minutes=HTTP_FROM)
    write_jsonl(events, tmp / "all.jsonl")
    write_jsonl([e for e in events if _ts(e) < cut], tmp / "warm.jsonl")
    replayed = _runtime(tmp / "replay.db", ManualClock(SCENARIO.start))
    replayed.replay(read_events(tmp / "all.jsonl"))
    clock = ManualClock(cut)
    served = _runtime(tmp / "serve.db", clock)
    served.replay(read_events(tmp / "warm.jsonl"))  # the same warm-up history
    late = _send(served, clock, [e for e in events if _ts(e) >= cut])
    yield replayed, served, late
    replayed.close()
    served.close()


def _send(runtime: Runtime, clock: ManualClock, events: list[dict[str, Any]]) -> int:
    """POST the events as the product would (each at its flush time plus its delay), stepping
    the serve pipeline between flushes; returns `pipeline.late` from /v1/stats."""
    with runtime.db.session() as session:
        _, secret = create_token(session, "product", ["ingest", "read"], clock.now())
    auth = {"Authorization": f"Bearer {secret}"}
    queue = sorted(((_ts(e) + _delay(e), i, e) for i, e in enumerate(events)), key=lambda x: x[:2])
    follower = Follower(
        runtime.db, runtime.partitioned_stages(Mode.SERVE), runtime.config, runtime.settings, clock
    )
    end = queue[-1][0] + timedelta(minutes=LATENESS + 2)
    with TestClient(create_app(runtime, background=False)) as client:
        index = 0
        while clock.now() < end:
            clock.advance(STEP)
            batch = []
            while index < len(queue) and queue[index][0] <= clock.now():
                batch.append(queue[index][2])
                index += 1
            if batch:
                answer = client.post("/v1/events", json={"events": batch}, headers=auth)
                assert answer.status_code == 202, answer.text
            while follower.step():
                pass
        stats = client.get("/v1/stats", headers=auth).json()
    follower.close()
    return int(stats["pipeline"]["late"])


def _incidents(runtime: Runtime) -> list[tuple[str, str | None, datetime]]:
    with runtime.db.read() as session:
        rows = list_incidents(session)
        return sorted((r.type, r.use_case, r.detected_at) for r in rows)


def test_http_and_replay_open_the_same_incidents(both: tuple[Runtime, Runtime, int]) -> None:
    replayed, served, _ = both
    by_replay, by_http = _incidents(replayed), _incidents(served)
    assert [(t, u) for t, u, _ in by_replay] == [(t, u) for t, u, _ in by_http]
    assert ("safety", "chat") in [(t, u) for t, u, _ in by_replay]
    for (_, _, a), (_, _, b) in zip(by_replay, by_http, strict=True):
        # serve waits for the lateness (and the product's flush) before it closes a minute
        assert abs((b - a).total_seconds()) <= (LATENESS + 2 * STEP.seconds / 60) * 60


def test_events_later_than_the_lateness_are_counted_late(
    both: tuple[Runtime, Runtime, int],
) -> None:
    _, _, late = both
    cut = SCENARIO.start + timedelta(minutes=HTTP_FROM)
    held = [e for e in simulate(SCENARIO).events if _ts(e) >= cut and _delay(e) > STEP * 3]
    outputs = sum(1 for e in held if e["type"] == "output")
    # Every event held back 15 minutes is late, and so is every score Tripwire's evaluators
    # derive from a late output (a score has its output's time); none held 3 minutes is.
    assert held
    assert len(held) <= late <= len(held) + 3 * outputs
