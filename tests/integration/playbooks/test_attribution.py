"""Change attribution on simulated products with busy deployment logs (benchmarks/attribute.py
runs the same scenarios over many more seeds and prints the accuracy)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.attribute import load, most_recent, tripwire_ranker
from benchmarks.attribution_world import scenario

SEEDS = range(100, 110)


def test_a_prompt_change_that_degrades_its_own_segment_is_the_top_suspect(
    tmp_path: Path,
) -> None:
    hits = baseline = 0
    for seed in SEEDS:
        world = scenario(seed)
        db = load(tmp_path / f"{seed}.db", world)
        hits += tripwire_ranker(db, world)[:1] == [world.culprit]
        baseline += most_recent(db, world)[:1] == [world.culprit]
        db.dispose()
    assert hits >= 0.9 * len(SEEDS)
    assert hits > baseline


def test_a_benign_change_just_before_an_unrelated_incident_is_not_ranked_first(
    tmp_path: Path,
) -> None:
    first = 0
    for seed in SEEDS:
        world = scenario(seed, benign=True)
        db = load(tmp_path / f"{seed}.db", world)
        ranked = tripwire_ranker(db, world)
        first += ranked[:1] == [world.benign]
        db.dispose()
    assert first <= 1
