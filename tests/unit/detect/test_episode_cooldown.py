"""Alerts clear only after a sustained recovery: the cool-down of each monitor kind."""

from __future__ import annotations

from tripwire.config.monitors import DEFAULT_COOLDOWN, MonitorsConfig, effective_monitors
from tripwire.detect.episode import Episode
from tripwire.detect.monitor_state import state_of
from tripwire.detect.series_state import Series


def fired(cooldown: int) -> Episode:
    episode = Episode(rising=True, cooldown=cooldown)
    episode.fire(0, 10, 0.01, 0.05)
    return episode


def clears_at(episode: Episode, minutes: range, llr: float = 8.0) -> int | None:
    for minute in minutes:
        if episode.settle(minute, llr, 7.0, 15) is not None:
            return minute
    return None


def test_a_recovery_clears_only_after_it_held_for_the_cooldown() -> None:
    episode = fired(cooldown=15)
    assert clears_at(episode, range(40, 80)) == 55  # recovered from minute 40, +15 minutes


def test_a_relapse_restarts_the_cooldown() -> None:
    episode = fired(cooldown=15)
    for minute in range(40, 50):
        assert episode.settle(minute, 8.0, 7.0, 15) is None
    relapse = episode.settle(50, -100.0, 7.0, 15)  # evidence falls back under the line
    assert relapse is not None
    assert relapse.rule == "confirmed"
    assert clears_at(episode, range(51, 90)) == 66


def test_the_cooldown_survives_a_restart() -> None:
    episode = fired(cooldown=15)
    episode.settle(40, 8.0, 7.0, 15)
    again = Episode(rising=True, cooldown=15)
    again.load(episode.dump())
    assert again.calm_since == 40
    assert again.settle(55, 8.0, 7.0, 15) is not None


def test_cooldowns_default_per_kind_and_are_configurable() -> None:
    default = {m.name: m.cooldown_minutes for m in effective_monitors(MonitorsConfig())}
    assert default["quality-score"] == DEFAULT_COOLDOWN["score_mean"] == 30
    assert default["negative-feedback"] == 15
    config = MonitorsConfig.model_validate(
        {
            "cooldown": {"score_mean": 45},
            "items": [
                {"name": "errors", "signal": "error_rate", "incident_type": "availability",
                 "cooldown_minutes": 5},
            ],
        }
    )  # fmt: skip
    chosen = {m.name: m.cooldown_minutes for m in effective_monitors(config)}
    assert (chosen["quality-score"], chosen["errors"]) == (45, 5)


def test_a_series_whose_recovery_holds_shows_as_recovering() -> None:
    spec = next(m for m in effective_monitors(MonitorsConfig()) if m.name == "negative-feedback")
    series = Series.create(("negative-feedback", "chat", "", "", ""), spec, "normal")
    assert series.rate is not None
    series.rate.episode.fire(0, 10, 0.1, 0.3)
    assert state_of(series) == "firing"
    series.rate.episode.settle(40, 8.0, 7.0, 15)
    assert state_of(series) == "recovering"
    assert series.rate.episode.cooldown == 15
