"""Reading what the detectors saw, for charts: hourly windows of each series, the baseline band,
the alert line and the alerts raised. Read-only; the detect stage writes all of it.

The hourly windows (`detect_windows`) hold the totals of each monitored series (not segments),
kept for 14 days. Every query here is bounded by a time range and served by the table's primary
key (series, hour), so a chart costs a few hundred rows whatever the volume of events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.config.monitors import MonitorSpec
from tripwire.detect.alerting import RISING
from tripwire.detect.band import SAME_HOUR_DAYS, BandPoint, Window, band
from tripwire.detect.series_state import SeriesKey, key_text
from tripwire.store.tables.detect import DetectAlertRow, DetectWindowRow

HOUR = timedelta(hours=1)
LOOKBACK = timedelta(days=SAME_HOUR_DAYS, hours=1)
MAX_ALERTS = 200


@dataclass(frozen=True, slots=True)
class AlertSpan:
    """An alert of the series: from its estimated onset until it cleared (None: still firing)."""

    started_at: datetime
    detected_at: datetime
    resolved_at: datetime | None
    segment: dict[str, str]
    baseline: float | None
    observed: float | None
    magnitude: float | None
    severity_hint: str | None


@dataclass(frozen=True, slots=True)
class SignalChart:
    """Everything a chart of one series over [start, end) needs, in the signal's own units."""

    monitor: str
    use_case: str
    source: str
    signal: str
    unit: str  # share | per_output | score | ms | value
    rising: bool
    start: datetime
    end: datetime
    observed: list[Window]
    band: list[BandPoint]
    alert_line: float | None
    alerts: list[AlertSpan] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(w.value is not None for w in self.observed)

    @property
    def latest(self) -> Window | None:
        seen = [w for w in self.observed if w.value is not None]
        return seen[-1] if seen else None


def unit_of(spec: MonitorSpec) -> str:
    return {
        "negative_feedback": "share",
        "safety_trigger": "share",
        "error_rate": "share",
        "ticket_topic": "per_output",
        "score_mean": "score",
        "latency_p95": "ms",
    }.get(spec.signal, "value")


def noise_kind(spec: MonitorSpec) -> str:
    """How the band's sampling floor is worked out (see `band.band`)."""
    if spec.signal == "ticket_topic":
        return "poisson"
    if spec.signal in ("negative_feedback", "safety_trigger", "error_rate"):
        return "bernoulli"
    return "level"


def is_rising(spec: MonitorSpec) -> bool:
    """Whether the monitor pages on a rise (rates, latency) or a drop (score means)."""
    return spec.signal in RISING or spec.signal == "metric"


def alert_line(spec: MonitorSpec, baseline: float | None) -> float | None:
    """The level at which a sustained change would page as P2 or worse (`severity.P2` away from
    the baseline, 30 % by default). The detectors fire on accumulated evidence, not on one
    level, so smaller sustained changes still page (as P3); this line is where it gets serious."""
    if baseline is None:
        return None
    step = spec.severity.P2
    return baseline * (1.0 + step) if is_rising(spec) else baseline * max(0.0, 1.0 - step)


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(minute=0, second=0, microsecond=0)
    hours, hour = [], first
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def total_key(monitor: str, use_case: str, source: str = "") -> str:
    key: SeriesKey = (monitor, use_case, source, "", "")
    return key_text(key)


def parse_total(key: str) -> tuple[str, str, str] | None:
    """(monitor, use case, source) of a total series' key, or None for a segment. Monitor names
    hold no `|`; a use case might, so the key is split from both ends."""
    monitor, _, rest = key.partition("|")
    parts = rest.rsplit("|", 3)
    if len(parts) != 4 or parts[2] or parts[3]:
        return None
    return monitor, parts[0], parts[1]


def series_since(session: Session, since: datetime) -> list[tuple[str, str, str]]:
    """(monitor, use case, source) of every total series with a window since `since`."""
    query = select(DetectWindowRow.key).where(DetectWindowRow.hour >= since).distinct()
    found = (parse_total(str(k)) for k in session.scalars(query))
    return sorted({f for f in found if f is not None})


def load_windows(
    session: Session, keys: Sequence[str], start: datetime, end: datetime
) -> dict[str, dict[datetime, Window]]:
    """The stored hours of `keys` in [start, end), by key and hour."""
    found: dict[str, dict[datetime, Window]] = {k: {} for k in keys}
    if not keys:
        return found
    query = select(
        DetectWindowRow.key, DetectWindowRow.hour, DetectWindowRow.volume, DetectWindowRow.value
    ).where(DetectWindowRow.key.in_(list(keys)), DetectWindowRow.hour >= start)
    query = query.where(DetectWindowRow.hour < end)
    for key, hour, volume, value in session.execute(query):
        found[str(key)][hour] = Window(hour, float(volume), value)
    return found


def alerts_of(
    session: Session, monitor: str, use_case: str, start: datetime, end: datetime
) -> list[AlertSpan]:
    """Alerts of the monitor on the use case (totals and segments) overlapping [start, end)."""
    query = (
        select(DetectAlertRow)
        .where(
            DetectAlertRow.monitor == monitor,
            DetectAlertRow.use_case == use_case,
            DetectAlertRow.started_at < end,
            (DetectAlertRow.resolved_at.is_(None)) | (DetectAlertRow.resolved_at >= start),
        )
        .order_by(DetectAlertRow.started_at)
        .limit(MAX_ALERTS)
    )
    return [
        AlertSpan(
            a.started_at,
            a.detected_at,
            a.resolved_at,
            dict(a.segment),
            a.baseline,
            a.observed,
            a.magnitude,
            a.severity_hint,
        )
        for a in session.scalars(query)
    ]


def chart_from(
    spec: MonitorSpec,
    use_case: str,
    source: str,
    windows: dict[datetime, Window],
    start: datetime,
    end: datetime,
    baseline: float | None = None,
) -> SignalChart:
    """A chart from windows already loaded (they should reach `LOOKBACK` before `start`).
    `baseline`: the detector's baseline when it fired (an incident's signal), else the band's
    latest middle."""
    hours = hours_between(start, end)
    observed = [windows.get(h) or Window(h, 0.0, None) for h in hours]
    points = band(windows, hours, noise_kind(spec))
    reference = baseline if baseline is not None else (points[-1].middle if points else None)
    return SignalChart(
        monitor=spec.name,
        use_case=use_case,
        source=source,
        signal=spec.signal,
        unit=unit_of(spec),
        rising=is_rising(spec),
        start=start,
        end=end,
        observed=observed,
        band=points,
        alert_line=alert_line(spec, reference),
    )


def signal_chart(
    session: Session,
    spec: MonitorSpec,
    use_case: str,
    start: datetime,
    end: datetime,
    source: str = "",
    baseline: float | None = None,
) -> SignalChart:
    """One series over [start, end) with its band, alert line and alerts."""
    key = total_key(spec.name, use_case, source)
    windows = load_windows(session, [key], start - LOOKBACK, end)[key]
    chart = chart_from(spec, use_case, source, windows, start, end, baseline)
    chart.alerts.extend(alerts_of(session, spec.name, use_case, start, end))
    return chart


def sources_of(series: Iterable[tuple[str, str, str]], monitor: str, use_case: str) -> list[str]:
    """The score sources seen for a monitor and use case (`""` for every other signal)."""
    return sorted({s for m, u, s in series if m == monitor and u == use_case})


OVERVIEW_SIGNALS = (
    "negative-feedback",
    "safety-triggers",
    "quality-score",
    "groundedness-score",
    "errors",
    "latency-p95",
)


def overview_charts(
    session: Session,
    monitors: Sequence[MonitorSpec],
    start: datetime,
    end: datetime,
    only: Sequence[str] = OVERVIEW_SIGNALS,
) -> dict[str, list[SignalChart]]:
    """Per use case seen since `start`, a chart of each of the `only` monitors it has, in one
    query for every series."""
    seen = series_since(session, start)
    wanted = [m for m in monitors if m.name in only]
    wanted.sort(key=lambda m: only.index(m.name))
    use_cases = sorted({u for _, u, _ in seen})
    picks = [
        (spec, use_case, _main_source(seen, spec.name, use_case))
        for use_case in use_cases
        for spec in wanted
        if any(m == spec.name and u == use_case for m, u, _ in seen)
    ]
    keys = [total_key(spec.name, u, s) for spec, u, s in picks]
    windows = load_windows(session, keys, start - LOOKBACK, end)
    charts: dict[str, list[SignalChart]] = {u: [] for u in use_cases}
    for (spec, use_case, source), key in zip(picks, keys, strict=True):
        charts[use_case].append(chart_from(spec, use_case, source, windows[key], start, end))
    return charts


def _main_source(seen: Sequence[tuple[str, str, str]], monitor: str, use_case: str) -> str:
    # The product's own scores when it sends them, else the first evaluator's.
    sources = sources_of(seen, monitor, use_case)
    return "product" if "product" in sources else (sources[0] if sources else "")
