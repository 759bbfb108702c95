"""Score means, SLO burn rate and latency p95."""

from __future__ import annotations

import numpy as np

from tripwire.detect.burn import BurnRate
from tripwire.detect.latency import LatencyDetector, latency_bin
from tripwire.detect.mean import MeanDetector

T0 = 29_000_000


def feed_scores(
    det: MeanDetector,
    rng: np.random.Generator,
    minutes: int,
    start: int,
    per_minute: float,
    mean: float,
) -> list[str]:
    out = []
    for i in range(minutes):
        values = np.clip(rng.normal(mean, 0.15, rng.poisson(per_minute)), 0, 1)
        change = det.update(
            start + i, float(len(values)), float(values.sum()), float((values**2).sum())
        )
        if change is not None:
            out.append(change.state)
    return out


def test_a_score_drop_is_caught_and_a_steady_score_is_not() -> None:
    rng = np.random.default_rng(1)
    det = MeanDetector()
    assert feed_scores(det, rng, 3 * 1440, T0, 0.7, 0.8) == []
    assert feed_scores(det, rng, 12 * 60, T0 + 3 * 1440, 0.7, 0.7)[:1] == ["firing"]


def test_an_evaluator_gap_raises_nothing() -> None:
    rng = np.random.default_rng(2)
    det = MeanDetector()
    feed_scores(det, rng, 2 * 1440, T0, 0.7, 0.8)
    # nothing for 6 hours, then scores as before
    assert feed_scores(det, rng, 360, T0 + 2 * 1440, 0.0, 0.8) == []
    assert feed_scores(det, rng, 720, T0 + 2 * 1440 + 360, 0.7, 0.8) == []


def test_burn_rate_pages_within_minutes_on_an_outage_and_clears() -> None:
    burn = BurnRate(0.99)
    changes = []
    for m in range(120):
        bad = 0.5 if 60 <= m < 90 else 0.002
        change = burn.update(T0 + m, 100.0, 100.0 * bad)
        if change is not None:
            changes.append((change.state, m))
    state, at = changes[0]
    assert state == "firing"
    assert 60 < at <= 70  # budget burning 50x: the 6 h / 30 min pair trips within minutes
    assert changes[1][0] == "resolved"


def test_burn_rate_ignores_a_healthy_service() -> None:
    burn = BurnRate(0.99)
    assert all(burn.update(T0 + m, 100.0, 0.3) is None for m in range(2000))


def hist(rng: np.random.Generator, n: int, median: float) -> dict[int, float]:
    out: dict[int, float] = {}
    for value in median * np.exp(rng.normal(0, 0.35, n)):
        b = latency_bin(float(value))
        out[b] = out.get(b, 0.0) + 1.0
    return out


def test_latency_doubling_is_caught_and_reported_in_milliseconds() -> None:
    rng = np.random.default_rng(3)
    det = LatencyDetector()
    fired = [det.update(T0 + m, hist(rng, 20, 1000.0)) for m in range(3 * 1440)]
    assert not any(fired)
    found = None
    for m in range(120):
        found = det.update(T0 + 3 * 1440 + m, hist(rng, 20, 2000.0))
        if found:
            break
    assert found is not None
    assert found.state == "firing"
    assert found.observed > 1.5 * found.baseline > 1000


def test_burn_rate_ignores_a_couple_of_errors_among_the_first_requests() -> None:
    burn = BurnRate(0.99)
    # Night-time start of a replay: 3 requests a minute, two of the first few fail.
    changes = [burn.update(T0 + m, 3.0, 1.0 if m in (1, 2) else 0.0) for m in range(60)]
    assert [c for c in changes if c is not None] == []


def test_a_latency_rise_that_holds_is_confirmed_as_such() -> None:
    """The p95 monitor's confirmation keeps its rule: respond lifts the hold of a small
    availability change on it (respond.severity.confirm_below). Re-wrapped as a plain firing
    change, it would be a second alarm and the incident would stay held for ever."""
    rng = np.random.default_rng(3)
    det = LatencyDetector()
    for m in range(3 * 1440):
        det.update(T0 + m, hist(rng, 20, 1000.0))
    changes = []
    for m in range(240):
        change = det.update(T0 + 3 * 1440 + m, hist(rng, 20, 1300.0))
        if change is not None:
            changes.append((change.state, change.rule))
    assert changes[:2] == [("firing", "cusum"), ("firing", "confirmed")], changes
