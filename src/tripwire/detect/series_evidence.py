"""How the generic series detector turns evidence into a score.

Every part of the detector reports nats (natural-log units of how much less likely the recent
rows are under "normal" than under "anomalous"); the row's score is the strongest part, mapped
to [0,1] by `to_score`, which is continuous and strictly increasing, so rows rank by evidence
and ties at the top are as rare as equal evidence."""

from __future__ import annotations

import math

TAU = 25.0  # nats at which the score is 0.5: a Gaussian residual of about 7 sigma
Z_CAP = 1e6  # |z| beyond this is as anomalous as it gets (and z * z stays finite)
# Variance CUSUM: the log-likelihood ratio of a doubled scale, 3/8 z^2 - ln 2 per row.
VAR_GAIN = 0.375
VAR_COST = math.log(2.0)
# A row of a series without noise is missed when its residual is over this many units of the
# series' resolution (the scale's floor) and it does not repeat the value before it.
MISS_Z = 3.0


def to_score(nats: float) -> float:
    """0 for no evidence, 0.5 at TAU nats, approaching 1 without reaching it in practice."""
    if not nats > 0.0:
        return 0.0
    return nats / (nats + TAU) if math.isfinite(nats) else 1.0


def succession_nats(quiet: int, misses: int) -> float:
    """Nats of one more missed row after `quiet` rows the model predicted and then `misses`
    missed ones (Laplace's rule of succession: the next row is missed with probability
    (misses + 1) / (quiet + misses + 2)). Summed over a run, a step in a noiseless series
    gains about ln(quiet) a row, and a lone miss after a few predicted rows little."""
    return math.log((quiet + misses + 2) / (misses + 1))
