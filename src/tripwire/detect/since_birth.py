"""A new version judged from its first score: the likelihood ratio of all its scores so far.

A problem a version was rolled out with is there from its first score. For such a change the
likelihood ratio since the version began is the right statistic, and it needs a much lower
line than a CUSUM for the same false alarms: under a healthy stream the ratio of a fixed
alternative is a martingale of mean 1, so by Ville's inequality it ever reaches e^h with
probability at most e^-h, however long it runs. A CUSUM restarts wherever its evidence falls
to zero, and so crosses h about once per e^h / KL trials: over the few hundred scores of a
rollout its line sits ln(trials x KL) nats higher (3 nats for a 0.6-sd drop on 120 scores).
A version whose problem begins later drags this ratio down from its start; the CUSUM is there
for that. See docs/detect.md, "A rollout judged from its first score".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def birth_lines(designs: int, alpha: float, margin: float, floor: float) -> list[float]:
    """Lines for `designs` likelihood ratios that may together reach a line with probability
    `alpha` over the version's whole test (a union bound, alpha / designs each), plus the
    margin the detector's other lines carry for a reference that is not exact."""
    line = max(floor, math.log(designs / alpha) + margin)
    return [line] * designs


@dataclass
class SinceBirth:
    """The count and sum of every score since the version's first judged window (never
    restarted) and their expected sum under the reference. An exponential tilt's likelihood
    ratio depends on the scores only through their count and sum, so the ratio since the
    first score is recomputed from these under the current reference and widening: scores
    seen before a noisy version's spread was noticed are judged at its wider spread too.
    `alpha` is the false-alarm probability the engine lets the test spend (0: off). Once it
    has fired (or its time is over) it stays done: a spent test is not restarted."""

    alpha: float = 0.0
    start: int | None = None
    sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    done: bool = False

    def active(self) -> bool:
        return self.alpha > 0.0 and not self.done

    def add(self, minute: int, totals: list[float]) -> None:
        """One window's count, sum and expected sum."""
        if self.start is None:
            self.start = minute
        self.sums = [a + b for a, b in zip(self.sums, totals, strict=True)]

    def llrs(self, mu: float, lams: list[float], psis: list[float]) -> list[float]:
        """Per design (tilt `lam`, log-MGF `psi` of the reference of mean `mu`): the
        log-likelihood ratio of all the scores so far."""
        n, total = self.sums[0], self.sums[1]
        return [lam * (total - n * mu) - n * psi for lam, psi in zip(lams, psis, strict=True)]

    def stop(self) -> None:
        self.done = True

    def dump(self) -> dict[str, Any]:
        return {"a": self.alpha, "s": self.start, "n": self.sums, "d": self.done}

    def load(self, data: dict[str, Any]) -> None:
        self.alpha = float(data["a"])
        self.start = None if data["s"] is None else int(data["s"])
        self.sums = [float(x) for x in data["n"]]
        self.done = bool(data["d"])
