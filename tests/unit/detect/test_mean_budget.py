"""Score means hold their false-alarm rate on skewed bounded scores, need more than a handful of
scores and stay quiet while their baseline warms up; the engine splits one budget per use case
across its series."""

from __future__ import annotations

import numpy as np

from tripwire.config.monitors import MonitorsConfig
from tripwire.detect.baseline import BINS
from tripwire.detect.engine import Engine
from tripwire.detect.mean import MeanDetector, MeanParams

T0 = 29_000_000
WEEK = 7 * 1440


def histogram(values: np.ndarray) -> list[float]:
    bins = np.minimum((values * BINS).astype(int), BINS - 1)
    return [float(x) for x in np.bincount(bins, minlength=BINS)]


def false_alarms(seed: int, draw: str, with_histogram: bool, weeks: int = 2) -> int:
    """Alerts on a healthy stream of about 40 scores an hour (every alert is false)."""
    rng = np.random.default_rng(seed)
    det = MeanDetector()
    fired = 0
    for minute in range(weeks * WEEK):
        size = rng.poisson(40 / 60)
        if draw == "beta":  # a judge that is mostly satisfied: mean 0.94, long tail down
            values = rng.beta(18.0, 1.2, size)
        else:
            values = np.clip(rng.normal(0.8, 0.15, size), 0, 1)
        hist = histogram(values) if with_histogram else None
        change = det.update(
            T0 + minute, float(size), float(values.sum()), float((values**2).sum()), None, hist
        )
        fired += change is not None and change.state == "firing"
    return fired


def rate(draw: str, with_histogram: bool, seeds: int = 16) -> float:
    weeks = 2
    total = sum(false_alarms(s, draw, with_histogram, weeks) for s in range(seeds))
    return total / (seeds * weeks)


def test_skewed_scores_hold_the_nominal_false_alarm_rate() -> None:
    nominal = MeanParams().budget
    tilted = rate("beta", with_histogram=True)
    gaussian = rate("beta", with_histogram=False)
    # Within the nominal rate (plus sampling slack on 32 stream-weeks) with the learned
    # histogram; the Gaussian test on the same streams spends several times its budget.
    # (The recent-spread check tames the Gaussian test somewhat too: a burst of low scores
    # widens the spread it is judged against.)
    assert tilted <= 1.5 * nominal, tilted
    assert gaussian > nominal, gaussian
    assert tilted < gaussian / 2


def test_symmetric_scores_hold_it_too() -> None:
    assert rate("normal", with_histogram=True, seeds=8) <= 1.5 * MeanParams().budget


def warm(det: MeanDetector, rng: np.random.Generator, minutes: int, start: int = T0) -> None:
    for minute in range(minutes):
        values = rng.beta(18.0, 1.2, rng.poisson(1.0))
        det.update(
            start + minute,
            float(len(values)),
            float(values.sum()),
            float((values**2).sum()),
            None,
            histogram(values),
        )


def test_a_handful_of_low_scores_raises_nothing() -> None:
    rng = np.random.default_rng(5)
    det = MeanDetector()
    warm(det, rng, 3 * 1440)
    # A version that only 15 outputs used, all scored badly, then no more scores of it.
    low = np.full(3, 0.05)
    for minute in range(5):
        change = det.update(
            T0 + 3 * 1440 + minute, 3.0, float(low.sum()), float((low**2).sum()), None, None
        )
        assert change is None
    assert det.bank.peak() >= 1.0  # the evidence is there, but not from enough scores
    for minute in range(5, 120):
        assert det.update(T0 + 3 * 1440 + minute, 0.0, 0.0, 0.0, None, None) is None


def test_no_alert_while_the_baseline_warms_up() -> None:
    rng = np.random.default_rng(6)
    det = MeanDetector()
    warm(det, rng, 10 * 60)  # 600 scores: enough by count, not by time
    assert not det.ready()
    for minute in range(6 * 60):  # then scores collapse before a day has passed
        values = np.full(2, 0.3)
        change = det.update(
            T0 + 600 + minute, 2.0, float(values.sum()), float((values**2).sum()), None, None
        )
        assert change is None
    assert det.firing is None


def test_the_budget_is_split_across_a_use_case_and_segments_get_less() -> None:
    engine = Engine(MonitorsConfig())
    out = {"id": "o", "model": "m", "model_version": "1", "prompt_version": "v1"}
    engine.observe("output", "chat", {**out, "scores": {"quality": 0.8}}, None)
    engine.observe("feedback", "chat", {"output_id": "o", "rating": "down"}, None)
    engine.close(T0)
    alone = engine.stream_budget("chat", segment=False)
    engine.observe("safety", "chat", {"output_id": "o", "triggered": False}, None)
    engine.observe(
        "score",
        "chat",
        {"output_id": "o", "name": "quality", "value": 0.9, "source": "tripwire"},
        None,
    )
    engine.close(T0 + 1)
    shared = engine.stream_budget("chat", segment=False)
    assert shared < alone  # more series, same budget
    assert engine.stream_budget("chat", segment=True) < shared
    doubled = Engine(MonitorsConfig(false_alarm_budget=2.0))
    assert doubled.stream_budget("x", segment=False) == 2 * Engine(MonitorsConfig()).stream_budget(
        "x", segment=False
    )


def alarms_after_widening(seed: int) -> int:
    """A healthy stream whose scores widen (sd 0.15 -> 0.2, same centre) after three days,
    as on a noisy prompt version: alarms in the four days after (all false)."""
    rng = np.random.default_rng(seed)
    det = MeanDetector()
    fired = 0
    for minute in range(7 * 1440):
        sd = 0.15 if minute < 3 * 1440 else 0.2
        values = np.clip(rng.normal(0.8, sd, rng.poisson(40 / 60)), 0, 1)
        change = det.update(
            T0 + minute, float(len(values)), float(values.sum()), float((values**2).sum()),
            None, histogram(values),
        )  # fmt: skip
        fired += change is not None and change.state == "firing" and minute >= 3 * 1440
    return fired


def test_wider_scores_at_the_same_centre_are_not_a_drop() -> None:
    # Judged against the old spread, four of these six streams alarmed; the reference is
    # widened to the recent spread instead.
    assert sum(alarms_after_widening(seed) for seed in range(6)) <= 1
