"""Chart axes read like a person would draw them: round steps, and a rate never above 100 %."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from tripwire.detect.band import Window
from tripwire.detect.readings import SignalChart
from tripwire.web.charts import _nice_step, chart_view

START = datetime(2026, 11, 20, tzinfo=UTC)


def chart(values: list[float], unit: str) -> SignalChart:
    hours = [START + timedelta(hours=h) for h in range(len(values))]
    return SignalChart(
        monitor="m", use_case="u", source="", signal="s", unit=unit, rising=True,
        start=START, end=hours[-1] + timedelta(hours=1),
        observed=[Window(h, 100.0, v) for h, v in zip(hours, values, strict=True)],
        band=[], alert_line=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("low", "high", "step"),
    [(0.0, 1.08, 0.2), (0.0, 3062.0, 500.0), (0.7, 0.86, 0.025), (0.0, 0.0123, 0.002)],
)
def test_steps_are_round_and_few(low: float, high: float, step: float) -> None:
    got = _nice_step(low, high)
    assert got == pytest.approx(step)
    assert math.ceil(high / got - 1e-9) - math.floor(low / got + 1e-9) <= 7


def test_a_rate_axis_stops_at_100_percent() -> None:
    view = chart_view(chart([0.35, 0.62, 0.85, 0.99], "share"), "negative feedback")
    labels = [t.label for t in view.y_ticks]
    assert labels == ["0", "20", "40", "60", "80", "100"]


def test_a_latency_axis_starts_at_zero_on_round_steps() -> None:
    view = chart_view(chart([2300.0, 2450.0, 5200.0], "ms"), "latency p95")
    labels = [t.label for t in view.y_ticks]
    assert labels[0] == "0"
    assert labels[-1] == "6,000"
    assert len(labels) <= 8
