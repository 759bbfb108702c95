"""A firing rate alert grows when its stream surges past the alert's own level (detect/rate.py):
a graver problem behind an alert that has not cleared is heard, a steady one is not re-raised."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.detect.test_rate import changes as run
from tripwire.detect.change import Change
from tripwire.detect.rate import RateDetector, RateParams
from tripwire.detect.ticket_rate import TicketRateDetector, ticket_params

T0 = 29_000_000
DAY = 1440


def firing_at(p_healthy: float, p_alert: float, seed: int) -> tuple[RateDetector, int, Change]:
    """A detector warmed on `p_healthy` whose alert fired on a rise to `p_alert`."""
    rng = np.random.default_rng(seed)
    det = RateDetector()
    assert run(det, rng, 2 * DAY, T0, 20.0, p_healthy) == []
    changes = run(det, rng, 6 * 60, T0 + 2 * DAY, 20.0, p_alert)
    assert changes
    assert changes[0].state == "firing"
    return det, T0 + 2 * DAY + 6 * 60, changes[0]


def test_a_tenfold_surge_behind_a_firing_alert_grows_it() -> None:
    det, now, fired = firing_at(0.01, 0.03, seed=11)
    changes = run(det, np.random.default_rng(12), 120, now, 20.0, 0.10)
    grew = [c for c in changes if c.rule == "grew"]
    assert len(grew) == 1, changes
    [change] = grew
    assert change.state == "firing"
    assert change.detected_at - now <= 30  # 40 events an hour against 12: minutes, not hours
    assert change.started_at == fired.started_at  # the same alert, its onset kept
    assert change.observed > 2.0 * fired.observed
    assert change.magnitude > fired.magnitude
    assert det.episode.seen == change.observed  # recovery now weighs the new level


@pytest.mark.parametrize("seed", range(6))
def test_a_steady_problem_does_not_grow(seed: int) -> None:
    """A tripled rate held for a day: the alert fires (and confirms) once, never grows."""
    det, now, _ = firing_at(0.02, 0.06, seed=100 + seed)
    changes = run(det, np.random.default_rng(200 + seed), DAY, now, 20.0, 0.06)
    assert [c.rule for c in changes if c.rule == "grew"] == []
    assert det.firing is not None


def test_a_grown_alert_still_clears_when_the_rate_recovers() -> None:
    det, now, _ = firing_at(0.01, 0.03, seed=13)
    run(det, np.random.default_rng(14), 120, now, 20.0, 0.10)
    after = run(det, np.random.default_rng(15), 6 * 60, now + 120, 20.0, 0.01)
    assert [c.state for c in after] == ["resolved"]
    assert det.firing is None


def test_a_ticket_alert_grows_too() -> None:
    rng = np.random.default_rng(16)
    det = TicketRateDetector(ticket_params(RateParams()))
    # Ten tickets a day over 300 outputs a minute: a Poisson count per output.
    assert run(det, rng, 3 * DAY, T0, 300.0, 10 / (300 * DAY)) == []
    fired = run(det, rng, DAY, T0 + 3 * DAY, 300.0, 40 / (300 * DAY))
    assert fired
    assert fired[0].state == "firing"
    later = run(det, rng, DAY, T0 + 4 * DAY, 300.0, 400 / (300 * DAY))
    assert any(c.rule == "grew" for c in later), later


def test_a_rate_past_one_half_has_no_room_to_grow_and_says_nothing_odd() -> None:
    """An error rate of 60 % (a provider down): a Bernoulli rate cannot double, so no growth
    test runs, and the alert keeps firing without an error."""
    det, now, _ = firing_at(0.05, 0.6, seed=17)
    changes = run(det, np.random.default_rng(18), 120, now, 20.0, 0.95)
    assert [c.rule for c in changes if c.rule == "grew"] == []
    assert det.firing is not None


def test_the_growth_evidence_survives_a_restart_and_older_state_loads() -> None:
    det, now, _ = firing_at(0.01, 0.03, seed=19)
    run(det, np.random.default_rng(20), 5, now, 20.0, 0.10)
    copy = RateDetector()
    copy.load(det.dump())
    assert copy.dump() == det.dump()
    older = {k: v for k, v in det.dump().items() if k != "g"}  # saved before alerts could grow
    again = RateDetector()
    again.load(older)
    assert again.growth.s == [0.0, 0.0, 0.0]
    assert again.firing == det.firing


def test_tickets_in_a_minute_without_outputs_do_not_break_the_growth_test() -> None:
    """A ticket queue counts tickets per output, and a minute can carry tickets but no
    outputs (a helpdesk export): the growth test must not divide by zero."""
    rng = np.random.default_rng(21)
    det = TicketRateDetector(ticket_params(RateParams()))
    run(det, rng, 3 * DAY, T0, 300.0, 10 / (300 * DAY))
    fired = run(det, rng, DAY, T0 + 3 * DAY, 300.0, 40 / (300 * DAY))
    assert fired
    now = T0 + 5 * DAY
    det._restart_growth()  # as at a fresh alert: nothing shown since
    for i in range(10):
        det.update(now + i, 0.0, 3.0)
    assert det.firing is not None
