"""A second corroborating signal lowers the bar (issue 10): lines come down by the engine's
relief while another monitor of the same use case and incident type fires, and only then."""

from __future__ import annotations

from typing import Any

from tests.unit.detect.engine_support import minute_of
from tripwire.config.monitors import MonitorsConfig
from tripwire.detect.engine import RELIEF, Engine
from tripwire.detect.rate import RELIEF_FLOOR, RateDetector, relieved
from tripwire.sim import Injection, Scenario, UseCase, simulate


def test_relief_lowers_lines_down_to_the_floor_and_never_raises_one() -> None:
    assert relieved([10.0, 6.0, 3.0], 0.0) == [10.0, 6.0, 3.0]
    assert relieved([10.0, 6.0, 3.0], RELIEF) == [10.0 - RELIEF, RELIEF_FLOOR, 3.0]


def _feed(detector: RateDetector, minutes: range, n: float, k: float) -> int | None:
    for minute in minutes:
        change = detector.update(minute, n, k)
        if change is not None and change.state == "firing":
            return minute
    return None


def test_a_relieved_detector_fires_sooner_on_the_same_rise() -> None:
    plain, helped = RateDetector(), RateDetector()
    helped.relief = RELIEF
    for detector in (plain, helped):
        assert _feed(detector, range(2 * 1440), 20.0, 0.2) is None  # 1 % healthy, two days
    rise = range(2 * 1440, 3 * 1440)
    first, second = _feed(plain, rise, 20.0, 0.6), _feed(helped, rise, 20.0, 0.6)
    assert first is not None
    assert second is not None
    assert second < first


def _engine_through(events: list[dict[str, Any]], until: int) -> Engine:
    engine = Engine(MonitorsConfig())
    current: int | None = None
    for event in events:
        minute = minute_of(event["ts"])
        if minute > until:
            break
        current = minute if current is None else current
        while minute > current:
            current += 1
            engine.close(current)
        engine.observe(event["type"], event.get("use_case"), event, None)
    return engine


def test_a_safety_monitor_that_began_firing_corroborates_the_safety_tickets_only() -> None:
    onset = 2 * 1440
    scenario = Scenario(
        seed=5, days=2.2, outputs_per_hour=800, use_cases=(UseCase("chat"),),
        injections=(Injection("safety", "chat", onset, 10.0, duration_minutes=300),),
    )  # fmt: skip
    events = simulate(scenario).events
    start = minute_of(events[0]["ts"])
    before = _engine_through(events, start + onset - 10)
    during = _engine_through(events, start + onset + 60)
    series = {key[0]: s for key, s in during.series.items() if not key[3] and not key[2]}
    assert during.corroborated(series["tickets-inappropriate"])  # same use case, safety
    assert not during.corroborated(series["safety-triggers"])  # not by itself
    assert not during.corroborated(series["errors"])  # another type
    quiet = {key[0]: s for key, s in before.series.items() if not key[3] and not key[2]}
    assert not before.corroborated(quiet["tickets-inappropriate"])
    # Still firing hours later: the relief is for a second signal near the first, not for
    # every line of the type while a long problem lasts.
    later = _engine_through(events, start + onset + 240)
    assert any(k[0] == "safety-triggers" for k in later.firing[("chat", "safety")])
    tickets = later.series[("tickets-inappropriate", "chat", "", "", "")]
    assert not later.corroborated(tickets)
