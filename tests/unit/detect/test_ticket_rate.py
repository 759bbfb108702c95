"""The ticket-topic rate rule: a Poisson CUSUM on about ten tickets a day."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tripwire.config.monitors import MonitorsConfig, builtin_monitors
from tripwire.detect.engine import TICKET_WEIGHT, Engine
from tripwire.detect.series_state import Series
from tripwire.detect.ticket_rate import TicketRateDetector, shrunk_ratio

T0 = 29_000_000  # minutes since the epoch
WEEK = 7 * 1440
PER_OUTPUT = 0.0002  # x 2,000 outputs/h = about ten tickets a day


def traffic(minute: int) -> float:
    """Outputs per minute at 2,000/h with a 3:1 daily cycle."""
    return 33.3 * (1.0 + 0.5 * math.cos(2 * math.pi * (minute % 1440) / 1440))


def feed(
    det: TicketRateDetector, rng: np.random.Generator, start: int, minutes: int, ratio: float
) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for minute in range(start, start + minutes):
        outputs = float(rng.poisson(traffic(minute)))
        tickets = float(rng.poisson(outputs * PER_OUTPUT * ratio))
        change = det.update(minute, outputs, tickets)
        if change is not None:
            out.append((change.state, change.detected_at))
    return out


def test_healthy_weeks_raise_at_most_the_budgeted_false_alarms() -> None:
    # The rule is set for 0.5 false alarms per stream-week at most (RateParams.budget); over
    # twelve healthy weeks that is 6 in expectation at the very worst.
    alarms = 0
    for seed in range(12):
        det = TicketRateDetector()
        found = feed(det, np.random.default_rng(seed), T0, WEEK, 1.0)
        alarms += sum(state == "firing" for state, _ in found)
    assert alarms <= 3


def test_a_tripled_ticket_rate_is_caught_within_a_day() -> None:
    delays = []
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        det = TicketRateDetector()
        feed(det, rng, T0, 5 * 1440, 1.0)
        onset = T0 + 5 * 1440
        found = [at for state, at in feed(det, rng, onset, 1440, 3.0) if state == "firing"]
        delays.append(found[0] - onset if found else math.inf)
    assert sum(d <= 1440 for d in delays) >= 16
    # The oracle (true rate known) needs about 7 h at this size; the old rule took 20 h.
    assert float(np.median(delays)) <= 10 * 60, delays


def test_it_does_not_fire_during_warm_up_even_on_a_spike() -> None:
    det = TicketRateDetector()
    found = feed(det, np.random.default_rng(5), T0, 600, 5.0)
    assert found == []


def test_state_survives_a_dump_and_load() -> None:
    rng = np.random.default_rng(7)
    det = TicketRateDetector()
    feed(det, rng, T0, 2 * 1440, 1.0)
    copy = TicketRateDetector()
    copy.load(det.dump())
    minute = T0 + 2 * 1440 + 30
    assert copy.expected(minute) == det.expected(minute)
    twin_rng = np.random.default_rng(8)
    a = feed(det, np.random.default_rng(8), minute, 600, 4.0)
    b = feed(copy, twin_rng, minute, 600, 4.0)
    assert a == b


def test_the_builtin_ticket_monitors_use_the_ticket_rule() -> None:
    spec = next(m for m in builtin_monitors() if m.name == "tickets-wrong-answer")
    series = Series.create((spec.name, "chat", "", "", ""), spec, "normal")
    assert isinstance(series.rate, TicketRateDetector)


def test_a_ticket_topic_gets_a_larger_share_of_its_use_case_budget_than_a_total() -> None:
    # Ticket streams are few and exact Poisson counts: the engine gives each TICKET_WEIGHT
    # times a total's share, and sets it on the ticket detector itself.
    engine = Engine(MonitorsConfig())
    engine.observe("output", "chat", {"id": "o", "model": "m", "scores": {"quality": 0.8}}, None)
    engine.observe("ticket", "chat", {"topic": "wrong_answer"}, None)
    engine.close(T0)
    engine.observe("output", "chat", {"id": "p", "model": "m", "scores": {"quality": 0.8}}, None)
    engine.observe("ticket", "chat", {"topic": "wrong_answer"}, None)
    engine.close(T0 + 1)  # every series of the use case now exists when each is apportioned
    total = engine.stream_budget("chat", segment=False)
    ticket = engine.stream_budget("chat", segment=False, ticket=True)
    assert ticket > total
    assert ticket == pytest.approx(TICKET_WEIGHT * total)
    series = next(s for k, s in engine.series.items() if k[0] == "tickets-wrong-answer")
    assert series.rate is not None
    assert series.rate.budget == pytest.approx(ticket)
    quality = next(s for k, s in engine.series.items() if k[0] == "quality-score")
    assert quality.mean is not None
    # a score mean's share is the same split, at its own (one to one) nominal conversion
    assert quality.mean.budget == pytest.approx(engine.stream_budget("chat", False, mean=True))
    assert quality.mean.budget < total


def test_the_reported_size_is_shrunk_toward_no_change() -> None:
    assert shrunk_ratio(0.0, 0.0) == 1.0
    # four tickets where 0.15 were expected: 27x raw, about 2x shrunk (below the safety rule's
    # P0 line at 2.5x and the detector's P0 hint at 5x)
    assert 1.5 < shrunk_ratio(4.0, 0.15) < 2.5
    # thirty where ten were expected: still well over double
    assert shrunk_ratio(30.0, 10.0) > 2.2
    with pytest.raises(ValueError, match="must be >= 0"):
        shrunk_ratio(-1.0, 2.0)


def _cluster_then(det: TicketRateDetector, rng: np.random.Generator, tickets: int) -> float:
    """Three healthy days, then `tickets` tickets within ten minutes: the size at alert."""
    feed(det, rng, T0, 3 * 1440, 1.0)
    start = T0 + 3 * 1440
    for minute in range(start, start + 120):
        burst = float(tickets // 10) + (1.0 if minute - start < tickets % 10 else 0.0)
        change = det.update(minute, traffic(minute), burst if minute - start < 10 else 0.0)
        if change is not None and change.state == "firing":
            return change.magnitude
    return math.nan


def test_a_tight_cluster_of_a_few_tickets_does_not_read_as_a_huge_spike() -> None:
    # Five tickets in ten minutes against ~0.07 expected: a chance cluster at ten a day, no
    # alert (a 6x design used to fire on it and its raw size, 70x, opened a P0).
    assert math.isnan(_cluster_then(TicketRateDetector(), np.random.default_rng(11), 5))
    # Six do fire, shrunk to about 2.5x: under the safety rule's P0 line (2.5x) and the
    # detector's P0 hint (5x).
    size = _cluster_then(TicketRateDetector(), np.random.default_rng(11), 6)
    assert 0.5 <= size < 1.5, size
    # A flood of forty is called within a minute or two on its first tickets, already at about
    # 3x: past the safety rule's P0 line.
    assert _cluster_then(TicketRateDetector(), np.random.default_rng(11), 40) >= 1.5


def _burst_then_spike(seed: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A healthy week, a two-hour burst of tickets (15x), 34 healthy hours, then a real 3x
    spike for a day: what the detector says during each part."""
    rng = np.random.default_rng(700 + seed)
    det = TicketRateDetector()
    feed(det, rng, T0, WEEK, 1.0)
    burst = feed(det, rng, T0 + WEEK, 120, 15.0)
    burst += feed(det, rng, T0 + WEEK + 120, 34 * 60, 1.0)
    spike = feed(det, rng, T0 + WEEK + 36 * 60, 1440, 3.0)
    return burst, spike


def test_a_ticket_burst_clears_within_a_day_and_a_half_so_the_next_spike_is_raised() -> None:
    # At ten tickets a day, "back at the baseline" against "half-way up" gathered 0.06 nats an
    # hour: a burst's alert fired for about five days, blind to any spike in between.
    fired = raised = 0
    for seed in range(10):
        burst, spike = _burst_then_spike(seed)
        if not burst:
            continue  # the burst was too small to raise this time
        fired += 1
        assert burst[0][0] == "firing", burst
        assert burst[-1][0] == "resolved", burst  # cleared before the spike began
        raised += any(state == "firing" for state, _ in spike)
    assert fired >= 6
    assert raised >= fired - 1


def test_a_real_spike_does_not_clear_while_it_lasts() -> None:
    cleared = 0
    for seed in range(12):
        rng = np.random.default_rng(300 + seed)
        det = TicketRateDetector()
        feed(det, rng, T0, WEEK, 1.0)
        found = feed(det, rng, T0 + WEEK, 1440, 3.0)
        fired = [at for state, at in found if state == "firing"]
        cleared += any(state == "resolved" and at > fired[0] for state, at in found if fired)
    assert cleared <= 1
