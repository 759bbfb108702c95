"""Monitors: every monitor per use case with its state, and one monitor's signal over a chosen
range with its alert line, past alerts, warm-up state, maintenance windows and a comparison
of versions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.config.monitors import MonitorSpec, effective_monitors
from tripwire.detect.monitor_state import monitor_states
from tripwire.detect.readings import (
    LOOKBACK,
    chart_from,
    load_windows,
    overview_charts,
    series_since,
    signal_chart,
    sources_of,
    total_key,
)
from tripwire.detect.segments import FIELDS, MAX_RANGE, SPLITTABLE, split
from tripwire.web.charts import Extra, chart_view, fmt
from tripwire.web.session import ReadViewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
RANGES = {"24h": timedelta(hours=24), "3d": timedelta(days=3), "7d": timedelta(days=7),
          "14d": timedelta(days=14)}  # fmt: skip
SEGMENT_RANGES = ("24h", "3d")


def _end(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


@router.get("/ui/monitors", response_class=HTMLResponse)
def monitors_page(request: Request, viewer: ReadViewer, use_case: str = "") -> Response:
    """Every monitor of every use case: latest value and a 24-hour sparkline."""
    runtime = runtime_of(request)
    end = _end(runtime.clock.now())
    monitors = effective_monitors(runtime.config.monitors)
    names = tuple(m.name for m in monitors)
    with runtime.db.session() as session:
        charts = overview_charts(session, monitors, end - RANGES["24h"], end, only=names)
    if use_case:
        charts = {u: c for u, c in charts.items() if u == use_case}
    rows = {
        u: [
            {"monitor": c.monitor, "source": c.source, "latest": fmt(c.latest.value, c.unit)
             if c.latest else "-", "view": chart_view(c, c.monitor, small=True),
             "firing": any(a.resolved_at is None for a in c.alerts)}
            for c in cs
        ]
        for u, cs in charts.items()
    }  # fmt: skip
    context = {
        "viewer": viewer,
        "rows": rows,
        "monitors": monitors,
        "maintenance": runtime.config.monitors.maintenance,
        "use_case": use_case,
    }
    return templates.TemplateResponse(request, "monitors.html", context)


def _spec(request: Request, name: str) -> MonitorSpec | None:
    runtime = runtime_of(request)
    return next((m for m in effective_monitors(runtime.config.monitors) if m.name == name), None)


@router.get("/ui/monitors/{name}", response_class=HTMLResponse)
def monitor_page(
    request: Request,
    name: str,
    viewer: ReadViewer,
    use_case: str = "",
    range: str = "3d",
    source: str = "",
) -> Response:
    """One monitor on one use case over the chosen range."""
    runtime = runtime_of(request)
    spec = _spec(request, name)
    if spec is None:
        return _missing(request, viewer, f"There is no monitor {name[:128]!r}.")
    span = RANGES.get(range, RANGES["3d"])
    end = _end(runtime.clock.now())
    with runtime.db.session() as session:
        seen = series_since(session, end - RANGES["14d"])
        use_cases = sorted({u for m, u, _ in seen if m == spec.name})
        use_case = use_case or (use_cases[0] if use_cases else "")
        sources = sources_of(seen, spec.name, use_case)
        source = source if source in sources else (sources[0] if sources else "")
        chart = signal_chart(session, spec, use_case, end - span, end, source)
        states = monitor_states(session, runtime.config.monitors, spec, use_case)
    context = {
        "viewer": viewer,
        "spec": spec,
        "use_case": use_case,
        "use_cases": use_cases,
        "sources": sources,
        "source": source,
        "range": range if range in RANGES else "3d",
        "ranges": RANGES,
        "chart": chart,
        "view": chart_view(chart, f"{spec.name} on {use_case}"),
        "states": states,
        "maintenance": [
            w for w in runtime.config.monitors.maintenance if w.use_case in (None, use_case)
        ],
        "splittable": spec.signal in SPLITTABLE,
        "fmt": fmt,
    }
    return templates.TemplateResponse(request, "monitor.html", context)


@router.get("/ui/monitors/{name}/versions", response_class=HTMLResponse)
def versions_page(
    request: Request,
    name: str,
    viewer: ReadViewer,
    use_case: str = "",
    field: str = "prompt_version",
    range: str = "24h",
) -> Response:
    """The signal per model or prompt version, side by side, from the stored events."""
    runtime = runtime_of(request)
    spec = _spec(request, name)
    if spec is None:
        return _missing(request, viewer, f"There is no monitor {name[:128]!r}.")
    field = field if field in FIELDS else "prompt_version"
    span = RANGES[range] if range in SEGMENT_RANGES else RANGES["24h"]
    end = _end(runtime.clock.now())
    start = end - min(span, MAX_RANGE)
    with runtime.db.session() as session:
        parts = split(session, spec, use_case, field, start, end)
        key = total_key(spec.name, use_case)
        windows = load_windows(session, [key], start - LOOKBACK, end)[key]
    chart = chart_from(spec, use_case, "", windows, start, end)
    extras = [
        Extra(f"{field} {p.value}", f"v{i}", _points(p.hours, start, end))
        for i, p in enumerate(parts)
    ]
    context = {
        "viewer": viewer,
        "spec": spec,
        "use_case": use_case,
        "field": field,
        "fields": FIELDS,
        "range": range if range in SEGMENT_RANGES else "24h",
        "ranges": SEGMENT_RANGES,
        "parts": [_summary(p, chart.unit) for p in parts],
        "view": chart_view(chart, f"{spec.name} by {field}", extras=extras),
        "splittable": spec.signal in SPLITTABLE,
    }
    return templates.TemplateResponse(request, "monitor_versions.html", context)


def _points(
    hours: dict[datetime, tuple[float, float]], start: datetime, end: datetime
) -> list[tuple[datetime, float | None]]:
    out: list[tuple[datetime, float | None]] = []
    hour = start
    while hour < end:
        got = hours.get(hour)
        out.append((hour + timedelta(minutes=30), got[1] if got else None))
        hour += timedelta(hours=1)
    return out


def _summary(part: Any, unit: str) -> dict[str, Any]:
    volume = part.volume
    total = sum(n * v for n, v in part.hours.values())
    return {
        "value": part.value,
        "volume": volume,
        "mean": fmt(total / volume if volume else None, unit),
    }


def _missing(request: Request, viewer: Any, reason: str) -> Response:
    context = {"viewer": viewer, "reason": reason}
    return templates.TemplateResponse(request, "missing.html", context, status_code=404)
