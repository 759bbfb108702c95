"""A score mean's lines: set for the scores a stream really gets in a week, and its budget spent
where a nat of line costs the most time (the small designs a realistic drop needs), not split
evenly across designs of which the large ones cross far less often than their share."""

from __future__ import annotations

import math

import numpy as np

from tripwire.detect.baseline import MeanBaseline
from tripwire.detect.mean import MeanParams, design_lines, design_spend
from tripwire.detect.rate import lines as even_lines

WEEK = 7 * 1440
T0 = 29_000_000


def test_weekly_count_is_the_scores_of_a_week_when_most_minutes_have_none() -> None:
    # 40 scores an hour: about half the minutes carry none, and the baseline learns only the
    # ones that do. Decayed per window learned, its count read as twice the week's scores
    # (11,100 against 6,720 after two weeks), and every line sat 0.5-0.7 nats too high.
    rng = np.random.default_rng(3)
    base = MeanBaseline()
    for minute in range(2 * WEEK):
        n = int(rng.poisson(40 / 60))
        if n:
            base.learn(T0 + minute, float(n), 0.8 * n, 0.7 * n)
    assert abs(base.weekly_count(T0 + 2 * WEEK) / 6720 - 1.0) < 0.1


def test_weekly_count_survives_a_restart_from_older_state() -> None:
    base = MeanBaseline()
    for minute in range(0, 3000, 2):
        base.learn(T0 + minute, 1.0, 0.8, 0.7)
    saved = base.dump()
    saved.pop("v", None)  # state saved before the volume was kept
    again = MeanBaseline()
    again.load(saved)
    assert again.weekly_count(T0 + 3000) > 0
    again.load(base.dump())
    assert math.isclose(again.weekly_count(T0 + 3000), base.weekly_count(T0 + 3000))


def test_the_budget_goes_to_the_small_designs_and_is_spent_in_full() -> None:
    p = MeanParams()
    weekly, budget = 6720.0, 0.019
    mine = design_lines(weekly, budget, p.shifts, p.threshold, p.margin)
    even = even_lines(weekly, budget, [c * c / 2 for c in p.shifts], p.threshold, p.margin)
    # The 0.3-sd design (a -0.05 drop of scores with sd 0.13) is what realistic drops need:
    # each of its nats costs about 17 scores, against a third of a score for the 2.5-sd one.
    assert mine[0] < even[0] - 0.7
    # The large designs barely move (their lines in scores at their own size: under one more).
    for c, h, h_even in zip(p.shifts, mine, even, strict=True):
        assert (h - h_even) / (c * c / 2) < 1.0, (c, h, h_even)
    # What the lines are predicted to spend adds up to the budget.
    spent = sum(design_spend(weekly, c, h - p.margin) for c, h in zip(p.shifts, mine, strict=True))
    assert math.isclose(spent, budget, rel_tol=1e-6)
