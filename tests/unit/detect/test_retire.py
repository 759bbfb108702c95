"""A firing segment whose version serves no more (rolled back, replaced) is retired: its alert
resolves with rule "retired" once the silence is too long for a version still in use."""

from __future__ import annotations

import math

from tests.unit.detect.engine_support import run
from tripwire.detect.engine import MIN_SHARE, RETIRE_ODDS, outputs_to_retire
from tripwire.detect.episode import Episode
from tripwire.sim import Injection, Scenario, UseCase, simulate

DAY = 1440


def test_the_silence_needed_is_what_a_version_of_that_share_would_break() -> None:
    half = outputs_to_retire(0.5)
    assert 0.5**half == RETIRE_ODDS or math.isclose(0.5**half, RETIRE_ODDS)
    assert outputs_to_retire(0.05) > 10 * half  # a canary needs a longer silence
    assert outputs_to_retire(0.0) == outputs_to_retire(MIN_SHARE)  # never infinite
    assert outputs_to_retire(1.0) >= 1.0


def test_retiring_ends_a_firing_episode_once_and_nothing_else() -> None:
    episode = Episode(rising=True)
    assert episode.retire(50) is None
    episode.fire(10, 20, 0.01, 0.05)
    change = episode.retire(90)
    assert change is not None
    assert (change.state, change.rule, change.started_at, change.detected_at) == (
        "resolved", "retired", 10, 90,
    )  # fmt: skip
    assert episode.firing is None
    assert episode.retire(91) is None


def _segment_errors(rollback: bool) -> list[tuple[str, str, int]]:
    surge = Injection(
        "errors", "chat", DAY + 120, 10.0, duration_minutes=240,
        segment={"prompt_version": "v2"}, segment_share=0.5, rollback=rollback,
    )  # fmt: skip
    scenario = Scenario(seed=3, days=1.6, outputs_per_hour=600, use_cases=(UseCase("chat"),),
                        injections=(surge,))  # fmt: skip
    alerts = run(simulate(scenario).events)
    start = int(scenario.start.timestamp() // 60)
    return [
        (a.state, str(a.details["rule"]), int(a.detected_at.timestamp() // 60) - start)
        for a in alerts
        if a.segment
    ]


def test_a_rolled_back_version_has_its_segment_alert_retired_soon_after() -> None:
    segment = _segment_errors(rollback=True)
    assert segment[0][0] == "firing"
    resolved = [s for s in segment if s[0] == "resolved"]
    assert [r[1] for r in resolved] == ["retired"], segment
    end = DAY + 120 + 240
    assert end <= resolved[0][2] <= end + 60  # minutes after the rollback, not days


def test_a_version_still_serving_clears_by_its_own_recovery_not_retired() -> None:
    segment = _segment_errors(rollback=False)
    assert segment[0][0] == "firing"
    assert [s[1] for s in segment if s[0] == "resolved"] == ["cusum"], segment
