"""Detector state per monitor and use case for `/metrics` (docs/api.md): firing
(the total or any segment), the baseline and the last observed value. Read-only, from the state
the detect stage checkpoints, the hourly windows and the open alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripwire.config.monitors import MonitorsConfig, effective_monitors
from tripwire.detect.series_state import Series, key_from_text
from tripwire.store.tables.detect import DetectAlertRow, DetectorStateRow, DetectWindowRow


@dataclass
class DetectorGauge:
    """`baseline` and `observed` are in the monitor's units (a rate, a mean score)."""

    monitor: str
    use_case: str
    firing: bool = False
    baseline: float | None = None
    observed: float | None = None


def detector_gauges(session: Session, config: MonitorsConfig) -> list[DetectorGauge]:
    specs = {m.name: m for m in effective_monitors(config)}
    found: dict[tuple[str, str], DetectorGauge] = {}
    totals: dict[tuple[str, str], str] = {}
    # Keys starting with "~" are the stage's bookkeeping (open windows, late counts), not series.
    series_rows = select(DetectorStateRow).where(~DetectorStateRow.key.startswith("~"))
    for row in session.scalars(series_rows):
        key = key_from_text(row.key)
        spec = specs.get(key[0])
        if spec is None:
            continue  # a monitor removed from the config
        gauge = found.setdefault((key[0], key[1]), DetectorGauge(key[0], key[1]))
        series = Series.create(key, spec, config.sensitivity)
        try:
            series.load(dict(row.state))
        except (KeyError, TypeError, ValueError):
            continue  # state from another version: the detector starts over
        gauge.firing = gauge.firing or series.firing()
        if not key[3]:
            gauge.baseline = _baseline(series)
            totals[(key[0], key[1])] = row.key
    observed = _last_windows(session, list(totals.values()))
    for pair, text in totals.items():
        found[pair].observed = observed.get(text)
    _from_alerts(session, found)
    return sorted(found.values(), key=lambda g: (g.monitor, g.use_case))


def _baseline(series: Series) -> float | None:
    if series.rate is not None:
        return series.rate.expected(series.last_minute)
    if series.mean is not None:
        ref = series.mean.reference()
        return None if ref is None else ref.mu
    return None  # latency and metric series: the open alert says it while firing


def _last_windows(session: Session, keys: list[str]) -> dict[str, float | None]:
    if not keys:
        return {}
    last = (
        select(DetectWindowRow.key, func.max(DetectWindowRow.hour).label("hour"))
        .where(DetectWindowRow.key.in_(keys))
        .group_by(DetectWindowRow.key)
        .subquery()
    )
    rows = session.execute(
        select(DetectWindowRow.key, DetectWindowRow.value).join(
            last, (DetectWindowRow.key == last.c.key) & (DetectWindowRow.hour == last.c.hour)
        )
    )
    return {str(k): v for k, v in rows}


def _from_alerts(session: Session, found: dict[tuple[str, str], DetectorGauge]) -> None:
    """While an alert is open, its baseline and observed value are the ones that fired."""
    query = select(DetectAlertRow).where(DetectAlertRow.resolved_at.is_(None))
    latest: dict[tuple[str, str], tuple[datetime, DetectAlertRow]] = {}
    for alert in session.scalars(query):
        pair = (alert.monitor, alert.use_case or "")
        if pair not in latest or alert.detected_at > latest[pair][0]:
            latest[pair] = (alert.detected_at, alert)
    for pair, (_, alert) in latest.items():
        gauge = found.setdefault(pair, DetectorGauge(*pair))
        gauge.firing = True
        gauge.baseline = alert.baseline if alert.baseline is not None else gauge.baseline
        gauge.observed = alert.observed if alert.observed is not None else gauge.observed
