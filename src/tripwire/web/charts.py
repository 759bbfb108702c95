"""Server-side SVG charts: one look on every page (templates/_chart.html draws them).

This module only turns a detector chart (`detect.readings.SignalChart`) into pixel geometry:
paths made of numbers, axis ticks with their labels, marks and spans. Every piece of text
reaches the page through Jinja2's autoescaping, and the SVG carries no `style=` attribute (the
CSP forbids inline styles): colours come from classes in tripwire.css.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tripwire.detect.readings import SignalChart

STEPS_HOURS = (1, 2, 3, 6, 12, 24, 48, 96)
UNIT_LABEL = {
    "share": "%",
    "per_output": "per 1,000 outputs",
    "score": "score (0-1)",
    "ms": "ms",
    "value": "value",
}


def fmt(value: float | None, unit: str) -> str:
    """A value as people read it in `unit`."""
    if value is None:
        return "-"
    if unit == "share":
        return f"{value * 100:.2f} %" if value < 0.1 else f"{value * 100:.1f} %"
    if unit == "per_output":
        return f"{value * 1000:.2f} per 1k"
    if unit == "score":
        return f"{value:.3f}"
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:.4g}"


def _tick_text(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value * 100:.3g}"
    if unit == "per_output":
        return f"{value * 1000:.3g}"
    if unit == "ms":
        return f"{value:,.0f}"
    return f"{value:.3g}"


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A vertical line at a moment (onset, detection, a deploy) with its label."""

    x: float
    label: str
    kind: str
    label_y: float = 12.0


@dataclass(frozen=True, slots=True)
class Span:
    """A shaded stretch of time (an alert, from onset to clear)."""

    x: float
    width: float
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    kind: str
    path: str


@dataclass
class ChartView:
    """Geometry of one chart, in SVG user units."""

    title: str
    unit_label: str
    width: int
    height: int
    left: int
    top: int
    plot_w: float
    plot_h: float
    summary: str
    band_path: str = ""
    lines: list[Line] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    alert_y: float | None = None
    alert_label: str = ""
    empty: bool = False
    small: bool = False

    @property
    def bottom(self) -> float:
        return self.top + self.plot_h

    @property
    def right(self) -> float:
        return self.left + self.plot_w


@dataclass(frozen=True, slots=True)
class Extra:
    """Another series on the same axes (a segment against the rest of the traffic)."""

    label: str
    kind: str
    points: list[tuple[datetime, float | None]]


@dataclass(frozen=True, slots=True)
class Moment:
    at: datetime
    label: str
    kind: str


class _Scale:
    def __init__(self, chart: SignalChart, view: ChartView, values: list[float]) -> None:
        self.t0, self.t1 = chart.start.timestamp(), chart.end.timestamp()
        low, high = (min(values), max(values)) if values else (0.0, 1.0)
        if chart.unit in ("share", "per_output", "ms"):
            low = 0.0
        top = high
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 0.01
        low, high = (low if low == 0.0 else low - pad), high + pad
        # Round the axis out to a step people read (0, 25, 50, 75, 100 rather than 0, 27, 54);
        # a rate never reads above 100 %.
        self.step = _nice_step(low, high)
        self.v0 = math.floor(low / self.step + 1e-9) * self.step
        self.v1 = math.ceil(high / self.step - 1e-9) * self.step
        if chart.unit == "share" and top <= 1.0:
            self.v1 = min(self.v1, 1.0)
        self.view = view

    def x(self, when: datetime) -> float:
        span = max(self.t1 - self.t0, 1.0)
        share = min(max((when.timestamp() - self.t0) / span, 0.0), 1.0)
        return round(self.view.left + share * self.view.plot_w, 1)

    def y(self, value: float) -> float:
        share = (value - self.v0) / max(self.v1 - self.v0, 1e-12)
        return round(self.view.top + (1.0 - share) * self.view.plot_h, 1)


def chart_view(
    chart: SignalChart,
    title: str,
    *,
    moments: list[Moment] | None = None,
    extras: list[Extra] | None = None,
    small: bool = False,
) -> ChartView:
    """The geometry of `chart`; `small` draws a sparkline (no axes text, same colours)."""
    width, height = (220, 44) if small else (720, 230)
    left, top = (2, 3) if small else (58, 16)
    bottom_margin, right_margin = (3, 2) if small else (34, 14)
    unit_label = UNIT_LABEL.get(chart.unit, chart.unit)
    latest = chart.latest
    summary = f"{title}: latest {fmt(latest.value if latest else None, chart.unit)}"
    view = ChartView(
        title=title,
        unit_label=unit_label,
        width=width,
        height=height,
        left=left,
        top=top,
        plot_w=width - left - right_margin,
        plot_h=height - top - bottom_margin,
        summary=summary,
        small=small,
        empty=not chart.has_data,
    )
    extras = extras or []
    scale = _Scale(chart, view, _all_values(chart, extras))
    half = timedelta(minutes=30)
    view.band_path = _band_path(chart, scale, half)
    observed = [(w.hour + half, w.value) for w in chart.observed]
    view.lines.append(Line("observed", "observed", _path(observed, scale)))
    for extra in extras:
        view.lines.append(Line(extra.label, extra.kind, _path(extra.points, scale)))
    if chart.alert_line is not None:
        view.alert_y = scale.y(chart.alert_line)
        view.alert_label = f"alert line {fmt(chart.alert_line, chart.unit)}"
    view.spans = _spans(chart, scale)
    view.marks = _marks(moments or [], scale)
    if not small:
        view.y_ticks = _y_ticks(scale, chart.unit)
        view.x_ticks = _x_ticks(chart, scale)
    return view


def _all_values(chart: SignalChart, extras: list[Extra]) -> list[float]:
    values = [w.value for w in chart.observed if w.value is not None]
    values += [p.low for p in chart.band] + [p.high for p in chart.band]
    values += [v for e in extras for _, v in e.points if v is not None]
    if chart.alert_line is not None and values:
        values.append(chart.alert_line)
    return values


def _path(points: list[tuple[datetime, float | None]], scale: _Scale) -> str:
    parts: list[str] = []
    pen_down = False
    for when, value in points:
        if value is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{scale.x(when)} {scale.y(value)}")
        pen_down = True
    return " ".join(parts)


def _band_path(chart: SignalChart, scale: _Scale, half: timedelta) -> str:
    if not chart.band:
        return ""
    upper = [f"{scale.x(p.hour + half)} {scale.y(p.high)}" for p in chart.band]
    lower = [f"{scale.x(p.hour + half)} {scale.y(p.low)}" for p in reversed(chart.band)]
    return "M" + " L".join(upper + lower) + " Z"


def _spans(chart: SignalChart, scale: _Scale) -> list[Span]:
    spans = []
    for alert in chart.alerts:
        x0 = scale.x(alert.started_at)
        x1 = scale.x(alert.resolved_at or chart.end)
        where = ", ".join(f"{k} {v}" for k, v in alert.segment.items()) or "all traffic"
        label = f"alert ({where}) from {alert.started_at:%d %b %H:%M} UTC"
        spans.append(Span(x0, max(x1 - x0, 1.5), label))
    return spans


def _marks(moments: list[Moment], scale: _Scale) -> list[Mark]:
    marks: list[Mark] = []
    for i, moment in enumerate(sorted(moments, key=lambda m: m.at)):
        label = f"{moment.label} {moment.at:%H:%M}"
        marks.append(Mark(scale.x(moment.at), label, moment.kind, 12.0 + 11.0 * (i % 3)))
    return marks


def _nice_step(low: float, high: float, most: int = 7) -> float:
    """The smallest step of 1, 2, 2.5 or 5 times a power of ten that spans [low, high] in at
    most `most` steps."""
    span = max(high - low, 1e-12)
    magnitude = math.pow(10.0, math.floor(math.log10(span / most)))
    for step in (m * magnitude for m in (1, 2, 2.5, 5, 10, 20)):
        if math.ceil(high / step - 1e-9) - math.floor(low / step + 1e-9) <= most:
            return step
    return span


def _y_ticks(scale: _Scale, unit: str) -> list[Tick]:
    ticks = []
    value = scale.v0
    while value <= scale.v1 + scale.step * 1e-6:
        ticks.append(Tick(scale.y(value), _tick_text(round(value, 12), unit)))
        value += scale.step
    return ticks


def _x_ticks(chart: SignalChart, scale: _Scale) -> list[Tick]:
    hours = (chart.end - chart.start).total_seconds() / 3600
    step = next((s for s in STEPS_HOURS if hours / s <= 8), STEPS_HOURS[-1])
    tick = chart.start.replace(minute=0, second=0, microsecond=0)
    while tick.hour % min(step, 24) or tick < chart.start:
        tick += timedelta(hours=1)
    ticks = []
    while tick <= chart.end:
        label = f"{tick:%d %b}" if tick.hour == 0 else f"{tick:%H:%M}"
        ticks.append(Tick(scale.x(tick), label))
        tick += timedelta(hours=step)
    return ticks
