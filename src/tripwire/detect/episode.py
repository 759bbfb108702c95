"""A change in progress, shared by the CUSUM detectors (rates and score means): what fired and
the evidence gathered that it is over.

"Recovered" is tested against "still half-way up" (the caller's log-likelihood ratio), so a
level that stays raised never clears by luck and a real recovery clears in about the time the
rise took to detect. Two guards keep one problem from flapping: `min_minutes` of firing, and a
cool-down: the evidence of recovery must hold `cooldown` minutes without interruption (any
window that falls back under the line starts the cool-down again).

The same windows also weigh the alert's own claim: their evidence for "at the level the alert
reported" against "at the baseline", summed since the alert, is the change's *support* (the
caller's `support` ratio; without one, the recovery test's evidence the other way). A real
change about as large as reported keeps adding to it; a chance excess, judged on the windows
after the one that crossed the line, does not, nor does a real but much smaller shift that
chance inflated into an alert (the windows favour the alternative only while the true level is
past half-way to the reported one). The sum is a log-likelihood ratio from a fresh start, so
on a healthy stream it ever reaches `CONFIRM` nats with probability at most e^-CONFIRM (Wald's
bound): once it does, the episode reports itself confirmed (a firing Change with rule
"confirmed"), which respond uses before a signal that rests on one stream may page at the top
severities (docs/detect.md, "Severity from evidence").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from tripwire.detect.change import Change, relative
from tripwire.detect.cusum import CusumBank

CONFIRM = math.log(20.0)  # nats of support after the alert: 1 false alarm in 20 confirms


@dataclass
class Episode:
    rising: bool
    firing: dict[str, float] | None = None
    recovery: float = 0.0
    cooldown: int = 0  # minutes; configuration, not state (see MonitorsConfig.cooldown)
    calm_since: int | None = None  # first minute of the current run of recovered windows
    support: float = 0.0  # nats for "still changed" since the alert (see the module's doc)
    confirmed: bool = False

    @property
    def seen(self) -> float:
        assert self.firing is not None
        return self.firing["seen"]

    def fire(
        self,
        start: int,
        minute: int,
        base: float,
        seen: float,
        events: float | None = None,
        confirm_in: float | None = None,
    ) -> Change:
        self.firing = {"start": start, "at": minute, "base": base, "seen": seen}
        self.recovery, self.calm_since = 0.0, None
        self.support, self.confirmed = 0.0, False
        rel = relative(base, seen, self.rising)
        return Change("firing", start, minute, base, seen, rel, "cusum", events, confirm_in)

    def grow(self, minute: int, seen: float, events: float | None = None) -> Change:
        """The firing change has grown to `seen` (its detector's test against its own level):
        the firing Change with rule "grew", detected at `minute`, onset unchanged. Recovery is
        now weighed against the new level, from the start."""
        assert self.firing is not None
        fired = self.firing
        fired["seen"] = seen
        self.recovery, self.calm_since = 0.0, None
        base = fired["base"]
        rel = relative(base, seen, self.rising)
        return Change("firing", int(fired["start"]), minute, base, seen, rel, "grew", events)

    def settle(
        self,
        minute: int,
        llr: float,
        clear_threshold: float,
        min_minutes: int,
        support: float | None = None,
    ) -> Change | None:
        """Add one window's evidence for "back at the baseline" (`llr`) and for "at the reported
        level" (`support`); the resolved Change once the first is strong enough and the episode
        has lasted long enough; the confirmed (firing) Change once the support sums to
        `CONFIRM`."""
        assert self.firing is not None
        self.recovery = max(0.0, self.recovery + llr)
        self.support += -llr if support is None else support
        fired = self.firing
        if self.recovery < clear_threshold:
            self.calm_since = None
            return self._confirmation(minute)
        if self.calm_since is None:
            self.calm_since = minute
        if minute - fired["at"] < min_minutes or minute - self.calm_since < self.cooldown:
            return self._confirmation(minute)
        self.firing, self.calm_since = None, None
        base, seen = fired["base"], fired["seen"]
        return Change(
            "resolved", int(fired["start"]), minute, base, seen, relative(base, seen, self.rising)
        )

    def retire(self, minute: int) -> Change | None:
        """End a firing episode whose series gets no more data (a version rolled back or
        retired): the resolved Change with rule "retired", or None when nothing fires. With
        no traffic nothing is exposed any more, and no window could ever gather the recovery
        evidence, so the alert would fire (and hold its incident open) for ever."""
        fired = self.firing
        if fired is None:
            return None
        self.firing, self.calm_since = None, None
        base, seen = fired["base"], fired["seen"]
        rel = relative(base, seen, self.rising)
        return Change("resolved", int(fired["start"]), minute, base, seen, rel, "retired")

    def _confirmation(self, minute: int) -> Change | None:
        """The confirmed Change, once, when the support first reaches `CONFIRM`."""
        assert self.firing is not None
        if self.confirmed or self.support < CONFIRM:
            return None
        self.confirmed = True
        fired = self.firing
        base, seen = fired["base"], fired["seen"]
        rel = relative(base, seen, self.rising)
        return Change("firing", int(fired["start"]), minute, base, seen, rel, "confirmed")

    def dump(self) -> dict[str, Any]:
        return {
            "f": self.firing,
            "r": self.recovery,
            "q": self.calm_since,
            "v": self.support,
            "k": self.confirmed,
        }

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
        # Absent in state saved before the support was kept: an episode in progress then is
        # taken as confirmed (it has paged as it did before).
        self.support = float(data.get("v", CONFIRM))
        self.confirmed = bool(data.get("k", fired is not None))


class _Hysteresis(Protocol):
    @property
    def clear_threshold(self) -> float: ...
    @property
    def min_firing_minutes(self) -> int: ...
    @property
    def budget(self) -> float: ...


class _Saved(Protocol):
    def dump(self) -> dict[str, Any]: ...
    def load(self, data: dict[str, Any]) -> None: ...


class EpisodeDetector:
    """What the CUSUM detectors share around their statistics: the bank restarts when an
    episode settles; while one fires, the `growth` bank and the totals `since` the alert (or
    its last growth) test it against its own level (docs/detect.md, "An alert that grows");
    the saved state is the baseline, both banks and the episode."""

    params: _Hysteresis
    baseline: _Saved
    bank: CusumBank
    growth: CusumBank
    since: list[float]
    episode: Episode
    budget: float | None  # the engine's share of the use case's budget, if set

    @property
    def firing(self) -> dict[str, float] | None:
        return self.episode.firing

    def set_cooldown(self, minutes: int) -> None:
        """Minutes of sustained recovery before an alert clears (per monitor kind)."""
        self.episode.cooldown = minutes

    def _settle(self, minute: int, llr: float, support: float | None = None) -> Change | None:
        p = self.params
        change = self.episode.settle(minute, llr, p.clear_threshold, p.min_firing_minutes, support)
        if change is not None and change.state == "resolved":
            self.bank.reset()
        return change

    def _budget(self) -> float:
        # The use case's share never loosens a line past the detector's own default.
        p = self.params
        return p.budget if self.budget is None else min(p.budget, self.budget)

    def _restart_growth(self) -> None:
        self.growth.reset()
        self.since = [0.0] * len(self.since)

    def retire(self, minute: int) -> Change | None:
        """End the firing episode of a series that gets no more data (Episode.retire)."""
        change = self.episode.retire(minute)
        if change is not None:
            self.bank.reset()
        return change

    def dump(self) -> dict[str, Any]:
        banks = {"c": self.bank.dump(), "g": self.growth.dump(), "gs": list(self.since)}
        return {"b": self.baseline.dump(), **banks, **self.episode.dump()}

    def load(self, data: dict[str, Any]) -> None:
        self.baseline.load(data["b"])
        self.bank.load(data["c"])
        if "g" in data:  # absent in state saved before alerts could grow
            self.growth.load(data["g"])
            self.since = [float(x) for x in data["gs"]]
        self.episode.load(data)
