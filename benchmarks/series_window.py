"""Window-based score of a streaming detector, in the style of the NAB scoreboard (Lavin and
Ahmad 2015, standard profile): how an operator judges it, not how a ranking metric does.

- Each anomaly gets a labelled window centred on its onset, 10 % of the series' length divided
  by its number of anomalies wide.
- At a threshold, a row at or above it is flagged. The first flagged row in a window earns
  A_TP * sigma(y), y its position in the window (-1 at the left edge, 0 at the right), sigma the
  scaled sigmoid 2 / (1 + e^(5y)) - 1: 0.99 at the left edge, 0.85 at the onset, 0 at the right
  edge. Later flagged rows in the same window neither earn nor cost.
- Every flagged row outside the windows costs A_FP * |sigma(d)|, d its distance after the end of
  the previous window in window widths (so rows just after a window cost little and rows far
  from any window cost the full A_FP); a missed window costs A_FN.
- One threshold for the whole corpus, the one with the best total. Normalised so that never
  alarming is 0 and flagging each window's left edge and nothing else is 100.
- NAB itself leaves each file's first 15 % (at most 750 rows) unscored, a probationary period
  in which a detector may learn (`probation`). The benchmark's figure scores every row, a
  first sight of a pattern included; the NAB figure is reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

A_TP, A_FP, A_FN = 1.0, 0.11, 1.0
PROBATION_SHARE, PROBATION_CAP = 0.15, 750  # NAB's probationary period (`probation`)


def sigma(y: np.ndarray) -> np.ndarray:
    return np.where(y > 3.0, -1.0, 2.0 / (1.0 + np.exp(np.minimum(5.0 * y, 50.0))) - 1.0)


def probation(n: int) -> int:
    """Rows NAB leaves unscored at the start of a file of `n` rows."""
    return min(math.floor(PROBATION_SHARE * n), PROBATION_CAP)


def window(n: int, onset: int, anomalies: int = 1) -> tuple[int, int]:
    """[left, right) of the window centred on `onset`."""
    width = max(2, round(0.1 * n / anomalies))
    left = max(0, onset - width // 2)
    return left, min(n, left + width)


@dataclass
class Prepared:
    """One series, reduced to what any threshold needs: the running maximum of the scores over
    its window (the first flagged row is where it first reaches the threshold) and the scores
    of the rows outside it, sorted, with their cumulative FP cost."""

    run_max: np.ndarray  # empty for a normal-only series
    rewards: np.ndarray
    outside: np.ndarray  # descending
    cost: np.ndarray  # cumulative cost of the `outside` rows, same order


def prepare(scores: np.ndarray, onset: int | None, unscored: int = 0) -> Prepared:
    """`unscored`: leading rows whose flags neither earn nor cost (NAB's `probation`)."""
    n = len(scores)
    weight = np.full(n, A_FP)
    mask = np.ones(n, dtype=bool)
    mask[:unscored] = False
    run_max = rewards = np.empty(0)
    if onset is not None:
        left, right = window(n, onset)
        width = right - left
        mask[left:right] = False
        y = (np.arange(left, right) - right) / width  # -1 at the left edge .. ~0, as NAB
        rewards = A_TP * sigma(y)
        run_max = np.maximum.accumulate(scores[left:right])
        after = np.arange(right, n)
        weight[right:] = A_FP * -sigma((after - right + 1) / max(width - 1, 1))
    order = np.argsort(-scores[mask], kind="stable")
    return Prepared(run_max, rewards, scores[mask][order], np.cumsum(weight[mask][order]))


def raw_totals(series: list[Prepared], thresholds: np.ndarray) -> np.ndarray:
    """Total raw score of the corpus at each threshold."""
    total = np.zeros(len(thresholds))
    for p in series:
        flagged = np.searchsorted(-p.outside, -thresholds, side="right")
        total -= np.where(flagged > 0, p.cost[np.maximum(flagged - 1, 0)], 0.0)
        if len(p.run_max):
            first = np.searchsorted(p.run_max, thresholds, side="left")
            hit = first < len(p.run_max)
            total += np.where(hit, p.rewards[np.minimum(first, len(p.rewards) - 1)], -A_FN)
    return total


def candidates(series: list[Prepared], limit: int = 4000) -> np.ndarray:
    """Thresholds where the total can change: every window's running maxima (thinned) and the
    top of the outside scores."""
    parts = [np.unique(p.run_max) for p in series if len(p.run_max)]
    outside = np.concatenate([p.outside[:200] for p in series])
    values = np.unique(np.concatenate([*parts, outside]))
    if len(values) > limit:
        values = np.unique(np.quantile(values, np.linspace(0, 1, limit)))
    return np.concatenate([values, [np.inf]])


def normalise(raw: np.ndarray, windows: int) -> np.ndarray:
    null, perfect = -A_FN * windows, A_TP * float(sigma(np.array([-1.0]))[0]) * windows
    return 100.0 * (raw - null) / (perfect - null)


def best_threshold(series: list[Prepared]) -> tuple[float, float]:
    """(threshold, normalised score) maximising the corpus total."""
    thresholds = candidates(series)
    scores = normalise(raw_totals(series, thresholds), sum(len(p.run_max) > 0 for p in series))
    best = int(np.argmax(scores))
    return float(thresholds[best]), float(scores[best])


def score_at(series: list[Prepared], threshold: float) -> float:
    windows = sum(len(p.run_max) > 0 for p in series)
    return float(normalise(raw_totals(series, np.array([threshold])), windows)[0])
