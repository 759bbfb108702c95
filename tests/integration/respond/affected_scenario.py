"""A built scenario for the affected-users query: four incidents, one per use case and shape.

Seeded traffic around the incidents' window (onset 30 minutes before T0, now T0): outputs with
and without a user id, of two models and prompt versions, some with inline scores; score events
of the flagging names and another, low and high; safety checks triggered or not; evidence that
arrives within the hour after the window (it counts) or later (it does not); outputs before the
onset and after now (outside the window). Built through the real ingest and respond paths, so
SQLite and PostgreSQL store the same rows.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from tests.conftest import T0
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.respond.signals import ingest_alert
from tripwire.runtime.wiring import Runtime

ONSET = T0 - timedelta(minutes=30)
USERS = [f"user-{n:02d}" for n in range(40)] + ["Ann", "ann", "=sum(1)", "émile"]
OUTPUTS_PER_USE_CASE = 240
# use case -> (incident type, segment of its signal); INC-1 to INC-4 in this order.
INCIDENTS: dict[str, tuple[str, dict[str, str]]] = {
    "chat": ("safety", {"prompt_version": "p2"}),
    "summary": ("hallucination", {}),
    "search": ("quality_regression", {"model": "m1"}),
    "notes": ("availability", {}),
}


def _output(rng: random.Random, use_case: str, n: int) -> list[dict[str, Any]]:
    """One output between 40 minutes before the onset and 20 after now, and its evidence."""
    ts = ONSET + timedelta(seconds=rng.uniform(-600, 3000))
    oid = f"{use_case}-o{n}"
    out: dict[str, Any] = {
        "id": oid, "type": "output", "ts": isoformat_z(ts), "use_case": use_case,
        "model": rng.choice(["m1", "m2"]), "model_version": "2026-10",
        "prompt_version": rng.choice(["p1", "p2"]),
    }  # fmt: skip
    if rng.random() < 0.85:
        out["user_id"] = rng.choice(USERS)
    if rng.random() < 0.3:
        out["scores"] = {"safety": round(rng.random(), 2), "groundedness": round(rng.random(), 2)}
    return [out, *_evidence(rng, use_case, oid, ts)]


def _evidence(rng: random.Random, use_case: str, oid: str, at: Any) -> list[dict[str, Any]]:
    # Mostly right after the output; sometimes 30 or 90 minutes later (past the window's end
    # for the late outputs: within the hour it counts, after it it does not).
    ts = isoformat_z(at + timedelta(minutes=rng.choice([0, 0, 0, 30, 90])))
    common = {"ts": ts, "use_case": use_case, "output_id": oid}
    events: list[dict[str, Any]] = []
    if rng.random() < 0.7:
        events.append({"id": f"{oid}-s", "type": "safety", "filter": "moderation",
                       "triggered": rng.random() < 0.2, **common})  # fmt: skip
    for name in ("safety", "groundedness", "fluency"):
        if rng.random() < 0.4:
            events.append({"id": f"{oid}-{name}", "type": "score", "name": name,
                           "value": round(rng.random(), 2), **common})  # fmt: skip
    return events


def store_traffic(rt: Runtime, seed: int = 3) -> None:
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for use_case in INCIDENTS:
        for n in range(OUTPUTS_PER_USE_CASE):
            events += _output(rng, use_case, n)
    report = store_events(rt.db, parse_batch(events), rt.clock)
    assert report.accepted == len(events), report


def open_incidents(rt: Runtime) -> list[str]:
    """One incident per use case, opened at T0 for a signal that started at the onset."""
    idents = []
    for use_case, (kind, segment) in INCIDENTS.items():
        alert = Alert(
            dedup_key=f"scenario:{use_case}", state="firing", incident_type=kind,  # type: ignore[arg-type]
            use_case=use_case, monitor="scenario", metric="scenario_rate", started_at=ONSET,
            detected_at=T0, baseline=0.1, observed=0.5, magnitude=4.0, segment=segment,
        )  # fmt: skip
        with rt.db.session() as session:
            incident = ingest_alert(rt.incidents(session), alert)
            assert incident is not None
            idents.append(f"INC-{incident.number}")
    return idents


def build(rt: Runtime) -> list[str]:
    store_traffic(rt)
    return open_incidents(rt)
