"""Change attribution: top-1 and top-3 accuracy over many simulated incidents.

Usage: PYTHONPATH=src python benchmarks/attribute.py [--seeds 100]

Each culprit scenario has several recent changes (an earlier prompt change, a model update, a
data change, a global infra change close to the onset, another use case's change) and one
prompt change rolled out to part of the traffic that degrades only its own segment. Each benign
scenario has an innocent prompt change just before an incident that hits every version.
Baselines, computed on the same scenarios: the most recent change first, and the change
closest to the estimated onset first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.attribution_world import FOLLOW_UP, Scenario, scenario
from tripwire.domain.clock import ManualClock
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.respond.attribution.query import load_changes
from tripwire.respond.attribution.rank import LOOKBACK, rank_suspects
from tripwire.respond.attribution.scoring import ChangeFacts
from tripwire.store.db import Database
from tripwire.store.migrate import upgrade

Ranker = Callable[[Database, Scenario], list[str]]


def load(path: Path, world: Scenario) -> Database:
    db = Database(f"sqlite:///{path}", sqlite_synchronous="OFF")
    upgrade(db.engine)  # the schema `serve` runs on, SQLite's indexes and counts included
    store_events(db, parse_batch(world.events), ManualClock(world.incident.detected_at))
    return db


def tripwire_ranker(db: Database, world: Scenario) -> list[str]:
    """Tripwire's ranking when the incident opens."""
    with db.session() as session:
        suspects = rank_suspects(session, world.incident, world.incident.detected_at)
    return [s.change.id for s in suspects]


def tripwire_an_hour_later(db: Database, world: Scenario) -> list[str]:
    """Tripwire's ranking one hour after detection (it ranks again every 15 min for 6 h)."""
    later = world.incident.detected_at + FOLLOW_UP
    with db.session() as session:
        suspects = rank_suspects(session, world.incident, later)
    return [s.change.id for s in suspects]


def _candidates(db: Database, world: Scenario) -> list[ChangeFacts]:
    inc = world.incident
    with db.session() as session:
        return load_changes(session, inc.use_case, inc.started_at - LOOKBACK, inc.detected_at)


def most_recent(db: Database, world: Scenario) -> list[str]:
    return [c.id for c in sorted(_candidates(db, world), key=lambda c: c.ts, reverse=True)]


def closest_to_onset(db: Database, world: Scenario) -> list[str]:
    onset = world.incident.started_at
    ranked = sorted(_candidates(db, world), key=lambda c: abs((c.ts - onset).total_seconds()))
    return [c.id for c in ranked]


RANKERS: dict[str, Ranker] = {
    "tripwire, at detection": tripwire_ranker,
    "tripwire, 1 h after detection": tripwire_an_hour_later,
    "baseline: most recent change first": most_recent,
    "baseline: closest to the onset first": closest_to_onset,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    args = parser.parse_args()
    hits = {name: [0, 0, 0] for name in RANKERS}  # top-1, top-3, benign ranked first
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            for benign in (False, True):
                world = scenario(seed, benign=benign)
                db = load(Path(tmp) / f"{seed}-{benign}.db", world)
                for name, ranker in RANKERS.items():
                    ranked = ranker(db, world)
                    if benign:
                        hits[name][2] += bool(ranked) and ranked[0] == world.benign
                    else:
                        hits[name][0] += bool(ranked) and ranked[0] == world.culprit
                        hits[name][1] += world.culprit in ranked[:3]
                db.dispose()
    n = args.seeds
    print(f"change attribution over {n} culprit and {n} benign scenarios", end="")
    print(f" ({time.perf_counter() - started:.0f} s)")
    print(f"{'ranker':40} {'top-1':>7} {'top-3':>7} {'benign first':>13}")
    for name, (top1, top3, benign_first) in hits.items():
        print(f"{name:40} {top1 / n:7.1%} {top3 / n:7.1%} {benign_first / n:13.1%}")


if __name__ == "__main__":
    main()
