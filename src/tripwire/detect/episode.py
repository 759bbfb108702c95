"""A change in progress, shared by the CUSUM detectors (rates and score means): what fired and
the evidence gathered that it is over.

"Recovered" is tested against "still half-way up" (the caller's log-likelihood ratio), so a
level that stays raised never clears by luck and a real recovery clears in about the time the
rise took to detect. Two guards keep one problem from flapping: `min_minutes` of firing, and a
cool-down: the evidence of recovery must hold `cooldown` minutes without interruption (any
window that falls back under the line starts the cool-down again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tripwire.detect.change import Change, relative
from tripwire.detect.cusum import CusumBank


@dataclass
class Episode:
    rising: bool
    firing: dict[str, float] | None = None
    recovery: float = 0.0
    cooldown: int = 0  # minutes; configuration, not state (see MonitorsConfig.cooldown)
    calm_since: int | None = None  # first minute of the current run of recovered windows

    @property
    def seen(self) -> float:
        assert self.firing is not None
        return self.firing["seen"]

    def fire(self, start: int, minute: int, base: float, seen: float) -> Change:
        self.firing = {"start": start, "at": minute, "base": base, "seen": seen}
        self.recovery, self.calm_since = 0.0, None
        return Change("firing", start, minute, base, seen, relative(base, seen, self.rising))

    def settle(
        self, minute: int, llr: float, clear_threshold: float, min_minutes: int
    ) -> Change | None:
        """Add one window's evidence for "back at the baseline"; the resolved Change once it
        is strong enough and the episode has lasted long enough."""
        assert self.firing is not None
        self.recovery = max(0.0, self.recovery + llr)
        fired = self.firing
        if self.recovery < clear_threshold:
            self.calm_since = None
            return None
        if self.calm_since is None:
            self.calm_since = minute
        if minute - fired["at"] < min_minutes or minute - self.calm_since < self.cooldown:
            return None
        self.firing, self.calm_since = None, None
        base, seen = fired["base"], fired["seen"]
        return Change(
            "resolved", int(fired["start"]), minute, base, seen, relative(base, seen, self.rising)
        )

    def dump(self) -> dict[str, Any]:
        return {"f": self.firing, "r": self.recovery, "q": self.calm_since}

    def load(self, data: dict[str, Any]) -> None:
        fired = None if data["f"] is None else dict(data["f"])
        if fired is not None:
            # State saved before episodes were shared named the levels after the statistic.
            fired.setdefault("base", fired.get("p0", fired.get("mu0", 0.0)))
            fired.setdefault("seen", fired.get("p1", fired.get("mu1", 0.0)))
        self.firing = fired
        self.recovery = float(data["r"])
        calm = data.get("q")  # absent in state saved before the cool-down
        self.calm_since = None if calm is None else int(calm)


class _Hysteresis(Protocol):
    @property
    def clear_threshold(self) -> float: ...
    @property
    def min_firing_minutes(self) -> int: ...


class _Saved(Protocol):
    def dump(self) -> dict[str, Any]: ...
    def load(self, data: dict[str, Any]) -> None: ...


class EpisodeDetector:
    """What the CUSUM detectors share around their statistics: the bank restarts when an
    episode settles, and the saved state is the baseline, the bank and the episode."""

    params: _Hysteresis
    baseline: _Saved
    bank: CusumBank
    episode: Episode

    @property
    def firing(self) -> dict[str, float] | None:
        return self.episode.firing

    def set_cooldown(self, minutes: int) -> None:
        """Minutes of sustained recovery before an alert clears (per monitor kind)."""
        self.episode.cooldown = minutes

    def _settle(self, minute: int, llr: float) -> Change | None:
        p = self.params
        change = self.episode.settle(minute, llr, p.clear_threshold, p.min_firing_minutes)
        if change is not None:
            self.bank.reset()
        return change

    def dump(self) -> dict[str, Any]:
        return {"b": self.baseline.dump(), "c": self.bank.dump(), **self.episode.dump()}

    def load(self, data: dict[str, Any]) -> None:
        self.baseline.load(data["b"])
        self.bank.load(data["c"])
        self.episode.load(data)
