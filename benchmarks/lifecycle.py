"""Incident lifecycle benchmark: one right incident per problem, typed and sized at open.

Whole simulated days through `replay` (events -> detectors -> alerts -> respond -> playbooks),
one scenario per behaviour of docs/respond.md ("One problem, one incident per use case"), over
seeds:

- flapping: five one-hour quality drops an hour apart (a 9-hour regression whose alert clears
  and fires again): incidents opened (1 is right);
- retype: a quality regression whose groundedness drop fires first (hallucination at open),
  then a deeper quality drop and thumbs-down: the final type (quality_regression is right);
- safety 3x / 2x: a safety surge on a product whose filter flags 3 % of outputs: severity at
  open (P0 is right for 3x, P1 for 2x) and the P0-only legal step;
- stale: a safety burst whose incident is left open (auto-resolution off), and a new surge two
  days later: incidents opened (2 is right: the old one must not swallow the new one).

Usage: PYTHONPATH=src python benchmarks/lifecycle.py [--seeds 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import EVENT_ADAPTER
from tripwire.respond.views import detail_json
from tripwire.runtime.wiring import Runtime
from tripwire.sim import Injection, Scenario, UseCase, simulate
from tripwire.store.tables.respond import IncidentRow

DAY = 1440
CHAT = (UseCase("chat"),)
STRICT = (UseCase("chat", safety_rate=0.03),)
FAR = timedelta(days=36_500)
Incidents = list[dict[str, Any]]


def replayed(scenario: Scenario, config: dict[str, Any] | None = None) -> Incidents:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/tw.db",
            workers=False,
            event_max_future=FAR,
            event_max_age=FAR,
        )
        clock = ManualClock(datetime(2026, 11, 20, tzinfo=UTC))
        rt = Runtime.open(settings, parse_config(config or {}), clock)
        try:
            rt.replay([EVENT_ADAPTER.validate_python(e) for e in simulate(scenario).events])
            with rt.db.session() as session:
                rows = session.scalars(select(IncidentRow).order_by(IncidentRow.number))
                return [detail_json(session, row) for row in rows]
        finally:
            rt.close()


def flapping(seed: int) -> str:
    pulses = tuple(
        Injection("quality", "chat", DAY + 120 + k * 120, -0.3, duration_minutes=60)
        for k in range(5)
    )
    found = replayed(
        Scenario(seed=seed, days=1.5, outputs_per_hour=300, scored_per_hour=120,
                 use_cases=CHAT, injections=pulses)
    )  # fmt: skip
    return str(len(found))


def retype(seed: int) -> str:
    found = replayed(
        Scenario(seed=seed, days=1.4, outputs_per_hour=300, scored_per_hour=120, use_cases=CHAT,
                 injections=(Injection("groundedness", "chat", DAY + 60, -0.25),
                             Injection("quality", "chat", DAY + 80, -0.35),
                             Injection("negative_feedback", "chat", DAY + 80, 2.0)))
    )  # fmt: skip
    return ",".join(i["type"] for i in found) or "none"


def safety(size: float) -> Callable[[int], str]:
    def run(seed: int) -> str:
        found = replayed(
            Scenario(seed=seed, days=2.2, outputs_per_hour=600, use_cases=STRICT,
                     injections=(Injection("safety", "chat", DAY + 600, size),))
        )  # fmt: skip
        if not found:
            return "none"
        at_open = str(found[0]["timeline"][0]["text"]).split()[2]
        legal = any(t["title"] == "Notify legal and leadership" for t in found[0]["tasks"])
        return at_open + ("+legal" if legal else "")

    return run


def stale(seed: int) -> str:
    found = replayed(
        Scenario(seed=seed, days=3.6, outputs_per_hour=300, use_cases=CHAT,
                 injections=(Injection("safety", "chat", DAY + 300, 10.0, duration_minutes=30),
                             Injection("safety", "chat", 3 * DAY + 300, 10.0))),
        {"respond": {"auto_resolve": False}},
    )  # fmt: skip
    return str(len(found))


CASES: dict[str, tuple[Callable[[int], str], str]] = {
    "flapping 9-h regression: incidents": (flapping, "1"),
    "groundedness first, then quality: type": (retype, "quality_regression"),
    "safety 3x: severity at open": (safety(3.0), "P0+legal"),
    "safety 2x: severity at open": (safety(2.0), "P1"),
    "stale open incident + new surge: incidents": (stale, "2"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    began = time.time()
    print(f"# Incident lifecycle benchmark, seeds 1..{args.seeds}")
    for name, (case, right) in CASES.items():
        seen = [case(seed) for seed in range(1, args.seeds + 1)]
        hits = sum(s == right for s in seen)
        print(f"{name:45} right ({right}) {hits}/{len(seen)}  seen: {' '.join(seen)}")
    print(f"\nfinished in {time.time() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
