"""Study harness for the score-mean detector (issue 10): drives `MeanDetector` directly over
simulated score streams shaped like `benchmarks/product.py`'s (clipped N(0.85, 0.15) scores, 40
an hour on average with its 3:1 daily cycle and lighter weekends), much faster than a product run.

Two measurements, both at the budget the engine gives a score total of a product use case:

- healthy streams: false alarms per stream-week. At the real lines they are too rare to count
  in a few hundred weeks, so the detector is also run with every line `--drop` nats lower and
  the count is scaled by e^-drop (a CUSUM's crossings of a line h fall as e^-h: the excursions
  of a log-likelihood ratio above its line are exponential with rate 1);
- drops of -0.05 and -0.1 (steps and 2-hour ramps, 12 hours, onsets uniform over the day and
  week): delay from onset to the first alarm, beside `benchmarks/product.py`'s oracle (a CUSUM
  that knows the clipped level and size, its line bootstrapped for 0.25/6 false alarms per
  week).

`python benchmarks/score_study.py [--null-weeks N] [--drops N] [--seed S] [--segment]`
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import replace

import numpy as np

from benchmarks.product import BUDGET, SIGNALS, cusum_first, oracle_level, oracle_line, oracle_llr
from tripwire.detect.baseline import BINS
from tripwire.detect.mean import MeanDetector, MeanParams
from tripwire.sim.profile import daily_shape

WEEK = 7 * 1440
T0 = 29_000_000 - (29_000_000 % WEEK)  # a week boundary, so minute-of-week lines up
LEVEL, SD = 0.85, 0.15  # the simulator's groundedness (quality: 0.8, same spread)
PER_HOUR = 40.0
TOTAL_BUDGET = 0.019  # a score total's share in a product use case (docs/detect.md)
SEGMENT_BUDGET = TOTAL_BUDGET * 0.25
SEGMENT_MARGIN = 1.0


def volumes(weeks: int, share: float = 1.0) -> np.ndarray:
    """Expected scores per minute over `weeks` weeks (from Monday 00:00)."""
    minutes = np.arange(weeks * WEEK, dtype=np.int64)
    return PER_HOUR / 60.0 * share * daily_shape(minutes % WEEK, 3.0, 0.6)


def draw(
    rng: np.random.Generator, expected: np.ndarray, shift: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Scores per minute: Poisson counts, N(level + shift, sd) clipped to [0, 1] (the shift
    moves the draw before clipping, as the simulator does)."""
    counts = rng.poisson(expected)
    mean = LEVEL + np.repeat(shift, counts)
    values = np.clip(rng.normal(mean, SD), 0.0, 1.0)
    return counts, np.split(values, np.cumsum(counts)[:-1])


def histogram(values: np.ndarray) -> list[float]:
    bins = np.minimum((values * BINS).astype(int), BINS - 1)
    return [float(x) for x in np.bincount(bins, minlength=BINS)]


def detector(budget: float, margin: float, lower: float) -> MeanDetector:
    params = MeanParams()
    det = MeanDetector(replace(params, margin=params.margin + margin - lower))
    det.budget = budget
    return det


def feed(det: MeanDetector, counts: np.ndarray, values: list[np.ndarray], start: int) -> list[int]:
    """Feed minutes from `start` on; the minutes (index) at which an alert began."""
    fired = []
    for i, (c, v) in enumerate(zip(counts.tolist(), values, strict=True)):
        if c == 0:
            det.update(T0 + start + i, 0.0, 0.0, 0.0, None, None)
            continue
        change = det.update(
            T0 + start + i, float(c), float(v.sum()), float((v * v).sum()), None, histogram(v)
        )
        if change is not None and change.raised:  # confirmations and growths are repeats
            fired.append(start + i)
    return fired


def null_rate(weeks: int, seed: int, budget: float, margin: float, lower: float) -> float:
    """False alarms per stream-week at the real lines, extrapolated from lines `lower` nats
    down. Each stream: a warm-up week (not counted) then `weeks` weeks."""
    rng = np.random.default_rng(seed)
    det = detector(budget, margin, lower)
    expected = volumes(weeks + 1)
    counts, values = draw(rng, expected, np.zeros(len(expected)))
    fired = feed(det, counts, values, 0)
    counted = [m for m in fired if m >= WEEK]
    return len(counted) * math.exp(-lower) / weeks


def incident(
    seed: int, size: float, ramp: bool, budget: float, margin: float, share: float
) -> tuple[float, float]:
    """(ours, oracle) minutes from onset to alarm for one drop (inf: missed within 12 h + 1 h)."""
    rng = np.random.default_rng([seed, 7])
    onset = WEEK + int(rng.integers(0, WEEK - 1440))
    end = onset + 720
    expected = volumes(2, share)[: end + 60]
    frac = np.clip((np.arange(len(expected)) - onset + 1) / (120 if ramp else 1), 0, 1)
    shift = np.where((np.arange(len(expected)) >= onset) & (np.arange(len(expected)) < end),
                     size * frac, 0.0)  # fmt: skip
    counts, values = draw(rng, expected, shift)
    det = detector(budget, margin, 0.0)
    fired = [m for m in feed(det, counts, values, 0) if onset - 15 <= m <= end + 60]
    ours = float(fired[0] - onset + 1) if fired else math.inf
    level, sd, csize = oracle_level("groundedness", LEVEL, SD, size)
    n = counts.astype(np.float64)
    k = np.array([float(v.sum()) for v in values])
    h = oracle_line(
        "groundedness",
        n[:WEEK],
        np.full(WEEK, level),
        csize,
        sd,
        BUDGET / len(SIGNALS),
        seed,
    )
    llr = oracle_llr("groundedness", n[onset:end], k[onset:end], np.full(end - onset, level),
                     csize, sd)  # fmt: skip
    hit = cusum_first(llr, h)
    return ours, math.inf if hit is None else float(hit + 1)


def summary(name: str, pairs: list[tuple[float, float]]) -> str:
    ours = [p[0] for p in pairs]
    oracle = [p[1] for p in pairs]

    def med(x: list[float]) -> float:
        return statistics.median(x)

    def rec(x: list[float]) -> float:
        return sum(v < math.inf for v in x) / len(x)

    return (
        f"{name:<22} n={len(pairs):3d}  ours median {med(ours):6.0f} recall {rec(ours):.2f} | "
        f"oracle median {med(oracle):6.0f} recall {rec(oracle):.2f} | "
        f"ratio {med(ours) / med(oracle):.2f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--null-weeks", type=int, default=0, help="healthy stream-weeks per seed")
    ap.add_argument("--null-seeds", type=int, default=4)
    ap.add_argument("--lower", type=float, default=3.0)
    ap.add_argument("--drops", type=int, default=0, help="incidents per size and shape")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--segment", action="store_true", help="a half-traffic segment")
    args = ap.parse_args()
    budget = SEGMENT_BUDGET if args.segment else TOTAL_BUDGET
    margin = SEGMENT_MARGIN if args.segment else 0.0
    share = 0.5 if args.segment else 1.0
    t = time.time()
    if args.null_weeks:
        rates = [
            null_rate(args.null_weeks, args.seed * 1000 + s, budget, margin, args.lower)
            for s in range(args.null_seeds)
        ]
        total = sum(rates) / len(rates)
        print(
            f"healthy: {args.null_seeds * args.null_weeks} stream-weeks, lines {args.lower} nats "
            f"down: {total * math.exp(args.lower):.3f}/week there, "
            f"{total:.4f}/week extrapolated (budget {budget:.4f})  [{time.time() - t:.0f} s]"
        )
    if args.drops:
        allp: list[tuple[float, float]] = []
        for size in (-0.05, -0.1):
            for ramp in (False, True):
                pairs = [
                    incident(args.seed * 1000 + i, size, ramp, budget, margin, share)
                    for i in range(args.drops)
                ]
                allp += pairs
                print(summary(f"{size} {'ramp' if ramp else 'step'}", pairs), flush=True)
        print(summary("all", allp), f"[{time.time() - t:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
