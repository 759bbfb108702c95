"""The detection engine: per-event O(1) counting into the open window, statistics at close.

Pure (no I/O): the stage feeds it events and ticks, persists `dump()` and turns its verdicts
into alerts. Benchmarks and tests drive it directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tripwire.config.costs import CostsConfig
from tripwire.config.monitors import MonitorsConfig, MonitorSpec, effective_monitors
from tripwire.detect.cells import Cell, CellKey, Counter, Info
from tripwire.detect.change import Change
from tripwire.detect.series_state import Series, SeriesKey, key_from_text, key_text

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SEGMENT_FIELDS = {"model": 0, "model_version": 1, "prompt_version": 2}
TOTAL_ONLY = ("ticket_topic", "metric")  # tickets and metrics carry no version
# The CUSUM lines' rule (a crossing per e^h / KL healthy trials) overstates what a rate bank
# with a floor, a margin and a cautious baseline spends: benchmarks/detect.py measures about
# 0.06 false alarms per stream-week at a nominal 0.5. The budget is converted to nominal with
# this factor.
LINE_SLACK = 16.0
# Score means spend what their lines say: the exact tilt test on a learned histogram crosses
# at its nominal rate (0.19 per stream-week measured at a nominal 0.2 on healthy Gaussian
# scores, tests/unit/detect/test_mean_budget.py), so their share is converted one to one.
# With the rates' factor a use case's four or more score streams spent most of its budget.
MEAN_SLACK = 1.0
SEGMENT_WEIGHT = 0.25  # a segment's share of the budget, relative to a total's
# A ticket topic's share, relative to a total's, on top of the split. Ticket streams are few
# (three topics, totals only) and exact Poisson counts of customers' own complaints; at ten a day
# the plain share put their line 0.7 nats above the detector's floor (benchmarks/detect.py, 30
# stream-weeks: 520 min -> 449 against the oracle's 427 at the same false-alarm rate).
TICKET_WEIGHT = 2.0
# The safety-triggers total's share, relative to a total's, within the split (a weight above one
# shrinks every other series' share, so the use case's budget is unchanged). Measured at 2 (the
# most the rate detector's own default budget, `RateParams.budget`, lets mean): safety's median
# delay 58 -> 53 min on the product's safety streams, but 2.4-5x the false safety alarms, each
# one a P0, about half the whole P0/P1 line of one false page per 20 use-case-weeks. Not adopted
# (docs/detect-studies.md, "A larger share for safety"); a policy knob for the studies.
SAFETY_WEIGHT = 1.0
SAFETY_SIGNAL = "safety_trigger"
LIVE_MINUTES = 1440  # a series unfed this long (a retired version) takes no share of the budget
# Nats off a total series' lines while another monitor of the same use case and incident type
# has just begun firing (issue 10: "a second corroborating signal lowers the bar"). Under no
# problem two monitors rarely begin together, so the pair's false-alarm rate stays about that
# of one line; ln 8 is the evidence a likelihood ratio of 8 adds. Only for `RELIEF_MINUTES`
# after the other began: a problem firing for half a day must not lower every line of its type
# for half a day (each would then raise its own chance alarm), and segments get none (they
# are many, and their total already speaks for them).
RELIEF = 2.08
RELIEF_MINUTES = 120
# A firing segment whose version serves no more outputs (rolled back, replaced) is retired:
# once its use case has served enough outputs without one of that version that, had the
# version kept its share of the traffic, the silence would have this probability or less.
# Without it the alert never clears (no window brings recovery evidence), its incident stays
# open for ever and swallows the monitor's later alerts as "the same problem continuing".
RETIRE_ODDS = 1e-6
MIN_SHARE = 0.01  # a version's share is taken as at least this (a new canary, a sliver)
# A new version's segment spends `ROLLOUT_SPEND` of its first week's share of the budget in
# its first `ROLLOUT_MINUTES` (a rollout is when a version's own problems show: the ones it
# was deployed with), the rest over the remainder of that week; from its second week on it
# spends evenly, as every other series. Per series and per week the spend is unchanged, so
# the use case's split is too. See docs/detect-studies.md, "A rollout's first hours".
ROLLOUT_MINUTES = 360
ROLLOUT_SPEND = 0.5
WEEK_MINUTES = 7 * 1440


@dataclass(frozen=True, slots=True)
class Verdict:
    """A detector's verdict on one series, ready to become an alert."""

    key: SeriesKey
    spec: MonitorSpec
    change: Change


class Engine:
    """Counts events into per-series buckets and runs the detectors when a window closes.
    `costs` prices outputs' tokens for the cost-per-hour monitor."""

    def __init__(self, config: MonitorsConfig, costs: CostsConfig | None = None) -> None:
        self.config = config
        self.monitors = effective_monitors(config)
        self.series: dict[SeriesKey, Series] = {}
        self.counter = Counter(costs)
        self.touched: set[SeriesKey] = set()
        self.segment_values: dict[tuple[str, str], set[str]] = {}
        self._plans: dict[str, list[MonitorSpec]] = {}
        self.hours: dict[SeriesKey, list[Any]] = {}
        self.finished_hours: list[tuple[SeriesKey, int, float, float | None]] = []
        # Open event-time windows by the minute they end at (see DetectStage's watermark).
        self.windows: dict[int, dict[CellKey, Cell]] = {}
        # Per use case: the units of its budget's split (`split_units`) over the CUSUM series
        # watched, totals and segments.
        self._streams: dict[str, float] = {}
        self._counted_at = -(10**9)
        # Per (use case, incident type): the series firing now and the minute each began.
        self.firing: dict[tuple[str, str], dict[SeriesKey, int]] = {}
        self.minute = 0  # the window being closed
        # Outputs served per use case (a running count), and that count at the last window
        # in which each version (use case, segment field, value) served an output.
        self.served: dict[str, float] = {}
        self.version_seen: dict[tuple[str, str, str], float] = {}

    # -- per event -------------------------------------------------------------------------

    def plan(self, use_case: str) -> list[MonitorSpec]:
        plan = self._plans.get(use_case)
        if plan is None:
            plan = [m for m in self.monitors if "*" in m.use_cases or use_case in m.use_cases]
            self._plans[use_case] = plan
        return plan

    def observe(
        self,
        etype: str,
        use_case: str | None,
        p: dict[str, Any],
        topic: str | None,
        window: int | None = None,
    ) -> None:
        """Count one event (its normalised JSON `p`) into the open window ending at `window`
        (minutes since the epoch), or into the untimed window the next `close` takes."""
        counter = self.counter
        if window is None:
            counter.observe(etype, use_case, p, topic)
            return
        untimed = counter.cells
        counter.cells = self.windows.setdefault(window, {})
        try:
            counter.observe(etype, use_case, p, topic)
        finally:
            counter.cells = untimed

    def open_cells(self) -> list[Cell]:
        """Every cell still open (the untimed window and every event-time window)."""
        cells = list(self.counter.cells.values())
        for window in self.windows.values():
            cells += window.values()
        return cells

    @property
    def pending(self) -> bool:
        return bool(self.counter.cells) or any(self.windows.values())

    def pending_use_cases(self) -> set[str]:
        found = {key[0] for key in self.counter.cells}
        for window in self.windows.values():
            found |= {key[0] for key in window}
        return found

    def _buckets(self, cells: dict[CellKey, Cell]) -> dict[SeriesKey, Any]:
        """Sum the window's cells into every monitored series (totals and segments)."""
        buckets: dict[SeriesKey, Any] = {}
        for (use_case, info), cell in cells.items():
            for spec in self.plan(use_case):
                for source, value in _values(spec, cell):
                    per_cell = info if spec.signal not in TOTAL_ONLY else None
                    for key in self._keys(spec, use_case, source, per_cell):
                        _merge(buckets, key, value)
        return buckets

    def _keys(
        self, spec: MonitorSpec, use_case: str, source: str, info: Info | None
    ) -> list[SeriesKey]:
        keys: list[SeriesKey] = [(spec.name, use_case, source, "", "")]
        if info is None:
            return keys
        for field in spec.segment_keys:
            value = info[SEGMENT_FIELDS[field]]
            if value and self._allowed(use_case, field, value):
                keys.append((spec.name, use_case, source, field, value))
        return keys

    def _allowed(self, use_case: str, field: str, value: str) -> bool:
        seen = self.segment_values.setdefault((use_case, field), set())
        if value in seen:
            return True
        if len(seen) >= self.config.max_segments:
            return False
        seen.add(value)
        return True

    # -- per window ------------------------------------------------------------------------

    def close(self, minute: int) -> list[Verdict]:
        """Close the window that ends at `minute` (minutes since the epoch). Use cases inside a
        maintenance window have their window dropped: nothing learned, nothing raised."""
        self.minute = minute
        cells = self.counter.take()
        timed = self.windows.pop(minute, None)
        if timed:
            cells = merge_cells(timed, cells) if cells else timed
        quiet = self._in_maintenance(minute, {use_case for use_case, _ in cells})
        self._count_versions(cells)
        buckets = self._buckets(cells)
        if minute - self._counted_at >= 60:
            self._recount(minute)
        verdicts: list[Verdict] = []
        # Totals first, so segments can borrow a warm baseline and compare volumes.
        for key in sorted(buckets, key=lambda k: k[3] != ""):
            if key[1] in quiet:
                continue
            series = self._series(key)
            self.touched.add(key)
            parent_key = (key[0], key[1], key[2], "", "")
            parent = self.series.get(parent_key) if key[3] else None
            parent_volume = _volume(buckets.get(parent_key)) if key[3] else 0.0
            bucket = buckets[key]
            self._apportion(series)
            if not key[3]:
                self._hour_add(key, minute, bucket)
            changes = series.close(minute, bucket, parent, parent_volume)
            self._note_firing(series)
            for change in changes:
                if change.state == "firing" and series.dominant():
                    series.extra["hidden"] = 1  # the total's detector speaks for this traffic
                    continue
                if change.state == "resolved" and series.extra.pop("hidden", None):
                    continue
                verdicts.append(Verdict(key, series.spec, change))
        return verdicts + self._retire(minute)

    def _count_versions(self, cells: dict[CellKey, Cell]) -> None:
        served = self.served
        for (use_case, _), cell in cells.items():
            if cell.outputs > 0:
                served[use_case] = served.get(use_case, 0.0) + cell.outputs
        for (use_case, info), cell in cells.items():
            if cell.outputs > 0 and info is not None:
                for field, index in SEGMENT_FIELDS.items():
                    if info[index]:
                        self.version_seen[(use_case, field, info[index])] = served[use_case]

    def _retire(self, minute: int) -> list[Verdict]:
        """Resolve the firing segments whose version has stopped serving (`RETIRE_ODDS`)."""
        verdicts: list[Verdict] = []
        for group in self.firing.values():
            for key in [k for k in group if k[3]]:
                series = self.series.get(key)
                if series is None or not series.firing():
                    group.pop(key)
                    continue
                served = self.served.get(key[1], 0.0)
                seen = self.version_seen.setdefault((key[1], key[3], key[4]), served)
                if served - seen < outputs_to_retire(series_share(series)):
                    continue
                group.pop(key)
                hidden = series.extra.pop("hidden", None)
                for change in retire(series, minute):
                    if not hidden:
                        verdicts.append(Verdict(key, series.spec, change))
        return verdicts

    def _in_maintenance(self, minute: int, use_cases: set[str]) -> set[str]:
        windows = self.config.maintenance
        if not windows:
            return set()
        when = EPOCH + timedelta(minutes=minute - 1)  # the window's own minute
        return {uc for uc in use_cases if any(w.covers(when, uc) for w in windows)}

    def _hour_add(self, key: SeriesKey, minute: int, bucket: Any) -> None:
        """Hourly aggregates of the totals, for charts: (series, hour, volume, observed value)."""
        hour = (minute - 1) // 60
        acc = self.hours.get(key)
        if acc is not None and acc[0] != hour:
            self.finished_hours.append((key, acc[0], *_summarise(acc[1])))
            acc = None
        if acc is None:
            acc = self.hours[key] = [hour, {} if isinstance(bucket, dict) else [0.0] * len(bucket)]
        merged = acc[1]
        if isinstance(bucket, dict):
            for b, c in bucket.items():
                merged[b] = merged.get(b, 0.0) + c
        else:
            for i, v in enumerate(bucket):
                merged[i] += v

    def _series(self, key: SeriesKey) -> Series:
        series = self.series.get(key)
        if series is None:
            spec = next(m for m in self.monitors if m.name == key[0])
            series = self.series[key] = Series.create(key, spec, self.config.sensitivity)
            series.extra["born"] = self.minute  # a loaded series' own `extra` replaces it
            if _budgeted(series):
                units = self._streams.get(key[1], 0.0) + split_units(series)
                self._streams[key[1]] = units
        return series

    def _recount(self, minute: int) -> None:
        """Count the series that may spend the budget: those fed in the last `LIVE_MINUTES`.
        A version nobody has used for days cannot raise a false alarm, so it takes no share
        (else a month of deploys would leave every live series a sliver of the budget)."""
        self._counted_at = minute
        streams: dict[str, float] = {}
        for key, series in self.series.items():
            if _budgeted(series) and series.last_minute >= minute - LIVE_MINUTES:
                streams[key[1]] = streams.get(key[1], 0.0) + split_units(series)
        self._streams.update(streams)

    def stream_budget(
        self,
        use_case: str,
        segment: bool,
        ticket: bool = False,
        mean: bool = False,
        safety: bool = False,
    ) -> float:
        """False alarms per week one series may spend (the CUSUM lines' nominal target): the
        use case's budget split across every series it has in `split_units` (a segment
        `SEGMENT_WEIGHT` of a total's share: a hierarchical split, a segment needs stronger
        evidence; the safety-triggers total, `safety`, `SAFETY_WEIGHT`), a ticket topic
        getting `TICKET_WEIGHT` on top; converted to the lines' nominal rate with the slack of
        the detector's family (`mean`: a score mean's)."""
        units = self._streams.get(use_case, 1.0)
        weight = _units(segment, safety) * (TICKET_WEIGHT if ticket else 1.0)
        slack = MEAN_SLACK if mean else LINE_SLACK
        weekly = self.config.false_alarm_budget * 7 / 30 * slack
        return weekly * weight / max(units, 1.0)

    def _apportion(self, series: Series) -> None:
        ticket = series.spec.signal == "ticket_topic"
        mean = series.mean is not None
        safety = series.spec.signal == SAFETY_SIGNAL
        budget = self.stream_budget(series.key[1], series.is_segment, ticket, mean, safety)
        phase = self._rollout_phase(series)
        budget *= ROLLOUT_FACTORS[phase]
        relief = RELIEF if self.corroborated(series) else 0.0
        latency = series.latency.rate if series.latency is not None else None
        for detector in (series.rate, series.mean, latency):
            if detector is not None:
                detector.budget = budget
                detector.relief = relief
                if series.extra.get("rp", 2) != phase:
                    detector.lines_at = -(10**9)  # the budget moved: new lines now
        series.extra["rp"] = phase

    def _rollout_phase(self, series: Series) -> int:
        """0 in a new version's first `ROLLOUT_MINUTES`, 1 in the rest of its first week, 2
        after (and for totals, and for series older than this rule)."""
        born = series.extra.get("born")
        if not series.is_segment or born is None:
            return 2
        return rollout_phase(self.minute - int(born))

    def corroborated(self, series: Series) -> bool:
        """Another monitor of the total series' use case and incident type began firing less
        than `RELIEF_MINUTES` ago and fires still."""
        spec, key = series.spec, series.key
        if key[3]:
            return False
        began = self.firing.get((key[1], spec.incident_type), {})
        recent = self.minute - RELIEF_MINUTES
        return any(k[0] != key[0] and since >= recent for k, since in began.items())

    def _note_firing(self, series: Series) -> None:
        group = (series.key[1], series.spec.incident_type)
        if series.firing():
            self.firing.setdefault(group, {}).setdefault(series.key, self.minute)
        elif group in self.firing:
            self.firing[group].pop(series.key, None)

    # -- state -----------------------------------------------------------------------------

    def dump(self, keys: Iterable[SeriesKey] | None = None) -> dict[str, dict[str, Any]]:
        chosen = self.series if keys is None else keys
        return {key_text(k): self.series[k].dump() for k in chosen if k in self.series}

    def load(self, states: dict[str, dict[str, Any]]) -> None:
        names = {m.name for m in self.monitors}
        for text, data in states.items():
            key = key_from_text(text)
            if key[0] not in names:
                continue  # a monitor removed from the config
            series = self._series(key)
            try:
                series.load(data)
            except (KeyError, TypeError, ValueError):
                series = self.series[key] = Series.create(key, series.spec, self.config.sensitivity)
            self._note_firing(series)
            if key[3]:
                self._allowed(key[1], key[3], key[4])


def rollout_phase(age: int) -> int:
    """A version's phase `age` minutes after its series began (see `ROLLOUT_FACTORS`)."""
    return 0 if age < ROLLOUT_MINUTES else 1 if age < WEEK_MINUTES else 2


# The budget of a version's series per phase, relative to its even share: over its first week
# (the rollout window at the first factor, the rest at the second) it spends one week's share.
ROLLOUT_FACTORS = (
    ROLLOUT_SPEND * WEEK_MINUTES / ROLLOUT_MINUTES,
    (1.0 - ROLLOUT_SPEND) * WEEK_MINUTES / (WEEK_MINUTES - ROLLOUT_MINUTES),
    1.0,
)


def series_share(series: Series) -> float:
    """The segment's share of its use case's volume (its tracked averages)."""
    parent = float(series.extra.get("pv", 0.0))
    return min(1.0, series.volume / parent) if parent > 0 else 0.0


def outputs_to_retire(share: float) -> float:
    """Outputs of the use case without one of a version holding `share` of the traffic after
    which that silence has probability `RETIRE_ODDS`: (1 - share)^n = RETIRE_ODDS."""
    share = min(max(share, MIN_SHARE), 0.99)
    return math.log(RETIRE_ODDS) / math.log(1.0 - share)


def retire(series: Series, minute: int) -> list[Change]:
    """End the series' firing episodes (Episode.retire): its version serves no more."""
    rate = series.latency.rate if series.latency is not None else series.rate
    changes = [d.retire(minute) for d in (rate, series.mean) if d is not None]
    return [c for c in changes if c is not None]


def split_units(series: Series) -> float:
    """The series' units in its use case's split of the budget (a total's share is one)."""
    return _units(series.is_segment, series.spec.signal == SAFETY_SIGNAL)


def _units(segment: bool, safety: bool) -> float:
    return SEGMENT_WEIGHT if segment else SAFETY_WEIGHT if safety else 1.0


def _budgeted(series: Series) -> bool:
    return series.rate is not None or series.mean is not None or series.latency is not None


def merge_cells(into: dict[CellKey, Cell], more: dict[CellKey, Cell]) -> dict[CellKey, Cell]:
    """Add `more`'s counts to `into` (same keys add up) and return `into`."""
    for key, cell in more.items():
        mine = into.get(key)
        if mine is None:
            into[key] = cell
            continue
        mine.outputs += cell.outputs
        mine.bad += cell.bad
        mine.feedback += cell.feedback
        mine.negative += cell.negative
        mine.checks += cell.checks
        mine.triggered += cell.triggered
        for b, c in cell.latency.items():
            mine.latency[b] = mine.latency.get(b, 0.0) + c
        for name, acc in cell.scores.items():
            _add(mine.scores, name, acc)
        for topic, c in cell.tickets.items():
            mine.tickets[topic] = mine.tickets.get(topic, 0.0) + c
        for metric, acc in cell.metrics.items():
            _add(mine.metrics, metric, acc)
    return into


def _add(into: dict[Any, list[float]], key: Any, acc: list[float]) -> None:
    mine = into.get(key)
    if mine is None:
        into[key] = list(acc)
    else:
        for i, v in enumerate(acc):
            mine[i] += v


def _volume(bucket: Any) -> float:
    if bucket is None:
        return 0.0
    if isinstance(bucket, dict):
        return float(sum(bucket.values()))
    return float(bucket[0])


def _summarise(acc: Any) -> tuple[float, float | None]:
    if isinstance(acc, dict):
        from tripwire.detect.latency import quantile

        return float(sum(acc.values())), quantile(acc, 0.95)
    volume = float(acc[0])
    if volume <= 0:
        return volume, None
    return volume, float(acc[1]) / volume


def _values(spec: MonitorSpec, cell: Cell) -> list[tuple[str, Any]]:
    """What one cell contributes to a monitor: [(score source or "", bucket)]."""
    signal = spec.signal
    if signal == "negative_feedback":
        return [("", [cell.feedback, cell.negative])] if cell.feedback else []
    if signal == "safety_trigger":
        return [("", [cell.checks, cell.triggered])] if cell.checks else []
    if signal == "error_rate":
        return [("", [cell.outputs, cell.bad])] if cell.outputs else []
    if signal == "latency_p95":
        return [("", cell.latency)] if cell.latency else []
    if signal == "ticket_topic":
        hits = cell.tickets.get(spec.topic or "", 0.0)
        return [("", [cell.outputs, hits])] if cell.outputs or hits else []
    if signal == "score_mean":
        return [(src, acc) for (name, src), acc in cell.scores.items() if name == spec.score]
    acc = cell.metrics.get(spec.metric or "")
    return [("", acc)] if acc else []


def _merge(buckets: dict[SeriesKey, Any], key: SeriesKey, value: Any) -> None:
    bucket = buckets.get(key)
    if isinstance(value, dict):
        if bucket is None:
            buckets[key] = dict(value)
            return
        for b, c in value.items():
            bucket[b] = bucket.get(b, 0.0) + c
        return
    if bucket is None:
        buckets[key] = list(value)
        return
    for i, v in enumerate(value):
        bucket[i] += v
