"""A rollout judged against its own version's known level, or against the traffic it runs
beside: false alarms per stream-week and delay of two CUSUMs on one version's score mean.

    python benchmarks/two_sample.py [--share 0.5] [--drop 0.10] [--seed 1]

Scores: 40 an hour per use case with a 3:1 daily cycle, clipped Normal(0.85, 0.15) (the
simulator's); a version takes `share` of them. The one-sample CUSUM knows the healthy level
and spread (what a segment borrowing a warm baseline has); the two-sample CUSUM compares the
version's mean with the other versions' over the same minutes (blocks of at least 3 scores
each side, Gaussian evidence on the difference). Both have the designs 0.3, 0.6, 1.2 and 2.5
sd. Healthy: 400 stream-weeks; a `drop` in the version from 10:00 on day 2: 400 streams.
Compare the two at the same measured false-alarm rate (docs/detect-studies.md, "A rollout's first
hours").
"""

from __future__ import annotations

import argparse

import numpy as np
from numpy.typing import NDArray

WEEK = 10080
STREAMS = 400
SHIFTS = np.array([0.3, 0.6, 1.2, 2.5])
Array = NDArray[np.float64]


def scores(rng: np.random.Generator, counts: NDArray[np.int64], centre: float) -> Array:
    """Per cell: the sum of `counts` clipped Normal(centre, 0.15) scores."""
    values = np.clip(rng.normal(centre, 0.15, int(counts.sum())), 0, 1)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    total = np.bincount(cell, weights=values, minlength=counts.size)
    return np.asarray(total.reshape(counts.shape), dtype=np.float64)


def streams(
    rng: np.random.Generator, minutes: int, share: float, drop: float, onset: int
) -> tuple[NDArray[np.int64], Array, NDArray[np.int64], Array]:
    t = np.arange(minutes)
    rate = 40 / 60 * (1 + 0.5 * np.cos(2 * np.pi * (t % 1440 - 900) / 1440))
    n = rng.poisson(np.broadcast_to(rate, (STREAMS, minutes)))
    mine = rng.binomial(n, share)
    rest = n - mine
    before = mine * (t < onset)
    mine_sum = scores(rng, before, 0.85) + scores(rng, mine - before, 0.85 - drop)
    return mine, mine_sum, rest, scores(rng, rest, 0.85)


def cusum_runs(llr: Array, lines: list[float]) -> dict[float, tuple[Array, Array]]:
    """Per line: the first crossing minute per stream (inf if none) and crossings per stream."""
    out = {}
    for line in lines:
        s = np.zeros(llr.shape[::2])
        first = np.full(llr.shape[0], np.inf)
        count = np.zeros(llr.shape[0])
        for m in range(llr.shape[1]):
            s = np.maximum(0, s + llr[:, m, :])
            hit = (s >= line).any(1)
            first = np.where(hit & np.isinf(first), m, first)
            count += hit
            s[hit] = 0
        out[line] = (first, count)
    return out


def one_sample(mine: NDArray[np.int64], total: Array, mu: float, sd: float) -> Array:
    d = SHIFTS * sd
    gap = (mu * mine - total)[..., None]
    return np.asarray((d * gap - mine[..., None] * d**2 / 2) / sd**2, dtype=np.float64)


def two_sample(
    mine: NDArray[np.int64], mine_sum: Array, rest: NDArray[np.int64], rest_sum: Array, sd: float
) -> Array:
    d = SHIFTS * sd
    llr = np.zeros((*mine.shape, len(SHIFTS)))
    acc = np.zeros((4, mine.shape[0]))
    for m in range(mine.shape[1]):
        acc += np.stack([mine[:, m], mine_sum[:, m], rest[:, m], rest_sum[:, m]])
        ok = (acc[0] >= 3) & (acc[2] >= 3)
        if ok.any():
            diff = acc[1, ok] / acc[0, ok] - acc[3, ok] / acc[2, ok]
            var = sd**2 * (1 / acc[0, ok] + 1 / acc[2, ok])
            llr[ok, m, :] = (-diff[:, None] * d - d**2 / 2) / var[:, None]
            acc[:, ok] = 0
    return llr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--drop", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    sample = np.clip(rng.normal(0.85, 0.15, 1_000_000), 0, 1)
    mu, sd = float(sample.mean()), float(sample.std())
    onset = 1440 + 600
    healthy = streams(rng, WEEK, args.share, 0.0, WEEK)
    dropped = streams(rng, onset + 1440, args.share, args.drop, onset)
    print(f"version share {args.share}, drop {args.drop}, clipped sd {sd:.3f}")
    print("test         line | FA/stream-week | median delay (min) | alarm before onset")
    for name, lines in (
        ("one-sample", [9.0, 10.0, 11.0, 12.0, 13.0]),
        ("two-sample", [6.0, 7.0, 8.0, 9.0, 10.0]),
    ):
        runs = []
        for mine, mine_sum, rest, rest_sum in (healthy, dropped):
            llr = (
                one_sample(mine, mine_sum, mu, sd)
                if name == "one-sample"
                else two_sample(mine, mine_sum, rest, rest_sum, sd)
            )
            runs.append(cusum_runs(llr, lines))
        for line in lines:
            delay = runs[1][line][0] - onset
            caught = delay[delay >= 0]
            median = float(np.median(caught)) if caught.size else float("inf")
            print(
                f"{name} {line:6.1f} | {runs[0][line][1].mean():14.3f} | {median:18.0f} | "
                f"{float(np.mean(delay < 0)):.2f}"
            )


if __name__ == "__main__":
    main()
