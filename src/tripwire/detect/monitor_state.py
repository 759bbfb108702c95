"""What each monitored series is doing now: still learning its baseline, watching, firing, or
recovering (firing, with the recovery holding through its cool-down before the alert clears).
Read from the detector state the detect stage checkpoints (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.config.monitors import MonitorsConfig, MonitorSpec
from tripwire.detect.series_state import Series, key_from_text
from tripwire.store.tables.detect import DetectorStateRow

State = Literal["warming up", "watching", "firing", "recovering", "no data"]


@dataclass(frozen=True, slots=True)
class SeriesState:
    """One series (the total, or one segment) of a monitor on a use case."""

    source: str
    segment_key: str
    segment_value: str
    state: State
    updated_at: datetime


def _ready(series: Series) -> bool:
    if series.rate is not None:
        return series.rate.ready()
    if series.mean is not None:
        return series.mean.ready()
    if series.latency is not None:
        return series.latency.rate.ready()
    return True


def _cooling_down(series: Series) -> bool:
    """Firing, but the recovery has held: the alert clears when it holds for the cool-down."""
    rate = series.latency.rate if series.latency is not None else series.rate
    return any(
        d is not None and d.firing is not None and d.episode.calm_since is not None
        for d in (rate, series.mean)
    )


def state_of(series: Series) -> State:
    if series.firing():
        return "recovering" if _cooling_down(series) else "firing"
    return "watching" if _ready(series) else "warming up"


def monitor_states(
    session: Session, config: MonitorsConfig, spec: MonitorSpec, use_case: str
) -> list[SeriesState]:
    """Every stored series of `spec` on `use_case`, totals first."""
    prefix = f"{spec.name}|{use_case}|"
    query = select(DetectorStateRow).where(DetectorStateRow.key.startswith(prefix, autoescape=True))
    found: list[SeriesState] = []
    for row in session.scalars(query):
        key = key_from_text(row.key)
        if key[1] != use_case:
            continue  # a use case whose name starts like this one
        series = Series.create(key, spec, config.sensitivity)
        try:
            series.load(dict(row.state))
            state = state_of(series)
        except (KeyError, TypeError, ValueError):
            state = "warming up"  # a state from another version: the detector starts over
        found.append(SeriesState(key[2], key[3], key[4], state, row.updated_at))
    return sorted(found, key=lambda s: (s.segment_key != "", s.segment_key, s.segment_value))
