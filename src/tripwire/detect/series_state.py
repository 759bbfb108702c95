"""One monitored series (a monitor, a use case, a score source, a segment) and its detectors."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tripwire.config.monitors import DEFAULT_COOLDOWN, MonitorSpec
from tripwire.detect.burn import BurnRate
from tripwire.detect.change import SENSITIVITY_OFFSET, Change
from tripwire.detect.latency import LatencyDetector
from tripwire.detect.mean import MeanDetector, MeanParams
from tripwire.detect.rate import RateDetector, RateParams
from tripwire.detect.series import SeriesDetector
from tripwire.detect.ticket_rate import TicketRateDetector, ticket_params

SeriesKey = tuple[str, str, str, str, str]  # monitor, use case, source, segment key, value
SEGMENT_PENALTY = 1.0  # extra nats for segments: more series watched, same false-alarm budget
RATE_SIGNALS = ("negative_feedback", "safety_trigger", "ticket_topic", "error_rate")
# A metric monitor pages at this generic-detector score (~40 nats): the lowest score at which
# the normal-only series of benchmarks/series.py (tuning corpus, 485,300 rows) raise at most 1 alarm
# run per 10,000 rows. Re-measured with the multi-horizon evidence (`series_horizon`): 0.623,
# 0.02 alarm runs per 10k there, as before it, so the line stays. With each kind of evidence
# calibrated on its own and the period folded to the row: 0.610 (0.04 per 10k); 0.62 still
# keeps the budget.
METRIC_FIRE_AT = 0.62
METRIC_CALM_BELOW = 0.1  # ~3 nats: ordinary rows


def key_text(key: SeriesKey) -> str:
    return "|".join(key)


def key_from_text(text: str) -> SeriesKey:
    a, b, c, d, e = text.split("|", 4)
    return (a, b, c, d, e)


def rate_params(spec: MonitorSpec, sensitivity: str, segment: bool) -> RateParams:
    base = RateParams(kind="poisson" if spec.signal == "ticket_topic" else "bernoulli")
    offset = SENSITIVITY_OFFSET[spec.sensitivity or sensitivity]
    offset += SEGMENT_PENALTY if segment else 0.0
    return replace(
        base,
        margin=base.margin + offset,
        min_events=spec.min_events,
        min_trials=spec.min_volume,
        warmup_minutes=1440 if segment else base.warmup_minutes,
    )


@dataclass
class Series:
    """The detectors of one series. `share` tracks its part of the use case's volume, so a
    segment that is the whole traffic (one version only) does not double the alerts."""

    key: SeriesKey
    spec: MonitorSpec
    sensitivity: str
    rate: RateDetector | None = None
    mean: MeanDetector | None = None
    latency: LatencyDetector | None = None
    burn: BurnRate | None = None
    generic: SeriesDetector | None = None
    volume: float = 0.0
    metric_firing: int | None = None
    calm_minutes: int = 0
    last_minute: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_segment(self) -> bool:
        return bool(self.key[3])

    @classmethod
    def create(cls, key: SeriesKey, spec: MonitorSpec, sensitivity: str) -> Series:
        series = cls(key, spec, sensitivity)
        segment = bool(key[3])
        signal = spec.signal
        if signal == "ticket_topic":
            series.rate = TicketRateDetector(ticket_params(rate_params(spec, sensitivity, segment)))
        elif signal in RATE_SIGNALS:
            series.rate = RateDetector(rate_params(spec, sensitivity, segment))
        if signal == "error_rate" and spec.slo_target is not None and not segment:
            series.burn = BurnRate(spec.slo_target)
        if signal == "score_mean":
            offset = SENSITIVITY_OFFSET[spec.sensitivity or sensitivity]
            offset += SEGMENT_PENALTY if segment else 0.0
            means = MeanParams()
            series.mean = MeanDetector(
                replace(means, margin=means.margin + offset, min_count=spec.min_volume)
            )
        if signal == "latency_p95":
            # Two days of warm-up: the share of slow requests swings strongly with the hour, so
            # each hour's factor needs two visits before it may page.
            slow = replace(
                rate_params(spec, sensitivity, segment),
                ratios=(3.0, 6.0, 12.0),
                warmup_minutes=2880,
            )
            series.latency = LatencyDetector(slow)
        if signal == "metric":
            series.generic = SeriesDetector()
        series._cool_down()
        return series

    def cooldown(self) -> int:
        given = self.spec.cooldown_minutes
        return DEFAULT_COOLDOWN[self.spec.signal] if given is None else given

    def _cool_down(self) -> None:
        rate = self.latency.rate if self.latency is not None else self.rate
        for detector in (rate, self.mean):
            if detector is not None:
                detector.set_cooldown(self.cooldown())

    def close(
        self, minute: int, bucket: Any, parent: Series | None, parent_volume: float
    ) -> list[Change]:
        """Feed one closed window; returns the verdicts that flipped."""
        self.last_minute = minute
        if self.is_segment:
            volume = float(sum(bucket.values())) if isinstance(bucket, dict) else float(bucket[0])
            self._track(volume, parent_volume)
            if self.dominant() and not self.firing():
                # The only version in use is the total: its detector speaks for it. It still
                # learns its own windows, so when another version appears it is judged on what
                # it has shown (a noisier version, deployed after the total's baseline was
                # learned, would otherwise be judged against the older, narrower scores).
                self._shadow(minute, bucket, parent)
                return []
        self._hint(minute, parent)
        changes: list[Change] = []
        if self.rate is not None:
            n, k = bucket
            rate_fallback = parent.rate.expected(minute) if parent and parent.rate else None
            change = self.rate.update(minute, n, k, rate_fallback)
            changes += [change] if change else []
            if self.burn is not None:
                burn = self.burn.update(minute, n, k)
                changes += [burn] if burn else []
        elif self.mean is not None:
            c, s, q = bucket[:3]
            fallback = parent.mean.reference() if parent and parent.mean else None
            change = self.mean.update(minute, c, s, q, fallback, bucket[3:] or None)
            changes += [change] if change else []
        elif self.latency is not None:
            self._cool_down()  # the latency detector may have re-cut its rate
            change = self.latency.update(minute, bucket)
            changes += [change] if change else []
        elif self.generic is not None:
            changes += self._metric(minute, bucket)
        return changes

    def _hint(self, minute: int, parent: Series | None) -> None:
        """A segment whose baseline is still warming up sets its lines for its share of the
        total's volume (its own count is next to nothing when it begins)."""
        if parent is None:
            return
        pv = float(self.extra.get("pv", 0.0))
        share = min(1.0, self.volume / pv) if pv > 0 else 0.0
        if self.rate is not None and parent.rate is not None and self.latency is None:
            ready = self.rate.ready()
            own = parent.rate.baseline.weekly_trials(minute)
            self.rate.volume_hint = 0.0 if ready else own * share
        elif self.mean is not None and parent.mean is not None:
            ready = self.mean.ready()
            own = parent.mean.baseline.weekly_count(minute)
            self.mean.volume_hint = 0.0 if ready else own * share

    def _shadow(self, minute: int, bucket: Any, parent: Series | None) -> None:
        """Learn a dominant segment's window as its total does: not while the total suspects
        or fires (an incident must not be learned as normal)."""
        if parent is None or parent.firing() or parent.suspects():
            return
        if self.rate is not None and self.latency is None:
            n, k = bucket
            self.rate.baseline.learn(minute, n, k)
        elif self.mean is not None:
            c, s, q = bucket[:3]
            self.mean.shadow(minute, c, s, q, bucket[3:] or None)

    def suspects(self) -> bool:
        """A detector of this series has gathered half its line's evidence of a change."""
        rate = self.latency.rate if self.latency is not None else self.rate
        return any(d is not None and d.bank.peak() >= 0.5 for d in (rate, self.mean))

    def _track(self, volume: float, parent_volume: float) -> None:
        self.volume = 0.999 * self.volume + 0.001 * volume
        self.extra["pv"] = 0.999 * float(self.extra.get("pv", 0.0)) + 0.001 * parent_volume

    def dominant(self) -> bool:
        """A segment that carries (nearly) all of its use case's volume is the total again."""
        pv = float(self.extra.get("pv", 0.0))
        return self.is_segment and pv > 0 and self.volume >= 0.9 * pv

    def _metric(self, minute: int, bucket: Any) -> list[Change]:
        assert self.generic is not None
        count, total = bucket
        if count <= 0:
            return []
        value = total / count
        score = self.generic.score(value)
        level = self.generic.levels[self.generic.errors.index(min(self.generic.errors))]
        if self.metric_firing is None and score >= METRIC_FIRE_AT:
            self.metric_firing, self.calm_minutes = minute, 0
            return [Change("firing", minute, minute, level, value, _rel(level, value), "series")]
        if self.metric_firing is not None:
            self.calm_minutes = self.calm_minutes + 1 if score < METRIC_CALM_BELOW else 0
            if self.calm_minutes >= max(self.cooldown(), 1):
                start, self.metric_firing = self.metric_firing, None
                return [
                    Change("resolved", start, minute, level, value, _rel(level, value), "series")
                ]
        return []

    def firing(self) -> bool:
        rate = self.latency.rate if self.latency is not None else self.rate
        return (
            (rate is not None and rate.firing is not None)
            or (self.mean is not None and self.mean.firing is not None)
            or bool(self.burn and self.burn.firing)
            or self.metric_firing is not None
        )

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"v": self.volume, "x": self.extra, "lm": self.last_minute}
        for name in ("rate", "mean", "latency", "burn", "generic"):
            part = getattr(self, name)
            if part is not None:
                data[name] = part.dump()
        if self.metric_firing is not None:
            data["mf"] = self.metric_firing
        return data

    def load(self, data: dict[str, Any]) -> None:
        self.volume, self.extra = float(data["v"]), dict(data["x"])
        self.last_minute = int(data.get("lm", 0))
        for name in ("rate", "mean", "latency", "burn", "generic"):
            part = getattr(self, name)
            if part is not None and name in data:
                part.load(data[name])
        self.metric_firing = data.get("mf")


def _rel(base: float, seen: float) -> float:
    return abs(seen - base) / abs(base) if base else 0.0
