"""The NAB-style window score of benchmarks/series.py: its anchors and its trade-offs."""

from __future__ import annotations

import numpy as np
from benchmarks import series_window as sw


def corpus(alarm_at: list[int | None], false_rows: int = 0) -> list[sw.Prepared]:
    """Series of 1,000 rows with an anomaly at row 500, scored 1 where alarmed, else 0."""
    out = []
    for at in alarm_at:
        s = np.zeros(1000)
        if at is not None:
            s[at] = 1.0
        s[:false_rows] = 1.0
        out.append(sw.prepare(s, 500))
    return out


def test_never_alarming_is_0_and_the_left_edge_is_100() -> None:
    left, _ = sw.window(1000, 500)
    assert sw.score_at(corpus([None, None]), 0.5) == 0.0
    assert abs(sw.score_at(corpus([left, left]), 0.5) - 100.0) < 1e-9


def test_earlier_is_better_and_false_rows_cost() -> None:
    at_onset = sw.score_at(corpus([500]), 0.5)
    later = sw.score_at(corpus([530]), 0.5)
    assert 90 < at_onset < 95
    assert later < at_onset
    assert sw.score_at(corpus([500], false_rows=10), 0.5) < at_onset - 40


def test_one_threshold_is_chosen_for_the_corpus() -> None:
    thr, best = sw.best_threshold(corpus([500, 500]))
    assert thr <= 1.0
    assert abs(best - sw.score_at(corpus([500, 500]), 0.5)) < 1e-9


def test_nab_probation_leaves_the_first_rows_unscored() -> None:
    """NAB's probationary period: the first 15 % of a file, at most 750 rows."""
    assert sw.probation(1000) == 150
    assert sw.probation(20000) == 750
    early = np.zeros(1000)
    early[[100, 500]] = 1.0  # a flag in the first 150 rows, and one at the onset
    scored, unscored = sw.prepare(early, 500), sw.prepare(early, 500, sw.probation(1000))
    assert sw.score_at([unscored], 0.5) == sw.score_at(corpus([500]), 0.5)
    assert sw.score_at([scored], 0.5) < sw.score_at([unscored], 0.5)
