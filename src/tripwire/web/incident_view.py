"""What the incident page shows, gathered from the read-only queries of each stage.

Only presentation here: which window a chart covers, how the timeline is grouped, how a page of
outputs is addressed. Every number comes from detect, respond, flags and the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.monitors import MonitorSpec, effective_monitors
from tripwire.config.respond import ROLES
from tripwire.detect.readings import signal_chart, unit_of
from tripwire.domain.clock import isoformat_z
from tripwire.domain.events import parse_rfc3339
from tripwire.domain.incidents import INCIDENT_TYPES, SEVERITIES
from tripwire.flags.service import kill_switches
from tripwire.learn.changes import eval_gate_of
from tripwire.respond.attribution.query import load_change, load_changes
from tripwire.respond.views import detail_json
from tripwire.store import playbooks as playbook_store
from tripwire.store.output_search import OutputFilter, OutputPage, search_outputs
from tripwire.store.tables.respond import IncidentRow, SignalRow
from tripwire.web.charts import ChartView, Moment, chart_view, fmt

HOUR = timedelta(hours=1)
MIN_LEAD, MAX_LEAD = timedelta(hours=6), timedelta(hours=24)
MAX_SPAN = timedelta(hours=96)
OUTPUTS_PER_PAGE = 10
STAGES = ("investigating", "identified", "monitoring", "resolved")
GROUPS: dict[str, tuple[str, ...]] = {
    "status": ("opened", "acknowledged", "mitigated", "resolved", "closed", "review_done"),
    "people": ("note", "update", "role", "severity_changed", "task", "type_changed"),
    "signals": ("signal", "signal_resolved", "suspects"),
    "paging": ("page", "page_failed", "escalated"),
    "playbook": (
        "playbook", "playbook_step", "rollback", "kill_switch", "flag_change", "flag_flip",
        "deadline", "deadline_met", "deadline_missed", "task_overdue", "evidence", "eval_case",
    ),
}  # fmt: skip


def group_of(kind: str) -> str:
    return next((g for g, kinds in GROUPS.items() if kind in kinds), "other")


@dataclass(frozen=True, slots=True)
class SignalView:
    signal: dict[str, Any]
    chart: ChartView | None
    baseline: str
    observed: str


def chart_window(incident: IncidentRow, now: datetime) -> tuple[datetime, datetime]:
    """The incident's window plus a lead-in: at least 6 h (24 h at most) before the onset, and
    a few hours past the detection or the resolution, never past now."""
    onset, detected = incident.started_at, incident.detected_at
    lead = min(max(2 * (detected - onset), MIN_LEAD), MAX_LEAD)
    start = (onset - lead).replace(minute=0, second=0, microsecond=0)
    last = incident.resolved_at or now
    end = max(last + 2 * HOUR, detected + 3 * HOUR)
    end = min(end, now + HOUR, start + MAX_SPAN)
    return start, end.replace(minute=0, second=0, microsecond=0) + HOUR


def signal_views(
    session: Session, config: TripwireConfig, incident: IncidentRow, signals: list[SignalRow],
    now: datetime,
) -> list[SignalView]:  # fmt: skip
    specs = {m.name: m for m in effective_monitors(config.monitors)}
    start, end = chart_window(incident, now)
    changes = load_changes(session, incident.use_case, start, end)
    change_moments = [Moment(c.ts, f"{c.kind} {c.version}", "change") for c in changes[:5]]
    views = []
    for s in signals:
        spec = specs.get(s.monitor)
        chart = None
        if spec is not None and s.source == "detector" and incident.use_case:
            chart = _chart(session, spec, incident.use_case, s, start, end, change_moments)
        unit = "value" if spec is None else unit_of(spec)
        views.append(
            SignalView(_signal_json(s), chart, fmt(s.baseline, unit), fmt(s.observed, unit))
        )
    return views


def _chart(
    session: Session, spec: MonitorSpec, use_case: str, s: SignalRow, start: datetime,
    end: datetime, changes: list[Moment],
) -> ChartView:  # fmt: skip
    source = str((s.details or {}).get("score_source") or "")
    data = signal_chart(session, spec, use_case, start, end, source, s.baseline)
    moments = [
        Moment(s.started_at, "onset", "onset"),
        Moment(s.detected_at, "detected", "detected"),
    ]
    moments += [Moment(at, "grew", "detected") for at in _grew_at(s)]
    if s.resolved_at is not None:
        moments.append(Moment(s.resolved_at, "cleared", "resolved"))
    where = ", ".join(f"{k} {v}" for k, v in (s.segment or {}).items())
    title = f"{s.metric}" + (f" ({where})" if where else "")
    return chart_view(data, title, moments=moments + changes)


def _signal_json(s: SignalRow) -> dict[str, Any]:
    return {
        "monitor": s.monitor,
        "metric": s.metric,
        "segment": dict(s.segment or {}),
        "state": s.state,
        "source": s.source,
        "magnitude": s.magnitude,
        "started_at": s.started_at,
        "detected_at": s.detected_at,
        "resolved_at": s.resolved_at,
        "grew_at": _grew_at(s),
    }


def _grew_at(s: SignalRow) -> list[datetime]:
    """When the signal's detector saw it grow past its own level while firing (detect/rate.py);
    a malformed entry is skipped, not shown."""
    out = []
    for text in (s.details or {}).get("grew_at") or []:
        try:
            out.append(parse_rfc3339(str(text)))
        except ValueError:
            continue
    return out


def suspects_view(session: Session, suspects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ranked suspects with their deployment-log entry (and whether it can be rolled back)."""
    out = []
    for s in suspects:
        change = load_change(session, str(s.get("change_id", "")))
        out.append(
            {
                **s,
                "ts": change.ts if change else None,
                "version": change.version if change else None,
                "previous_version": change.previous_version if change else None,
                "rollback": change.rollback if change else None,
                "eval_gate": eval_gate_of(session, str(s.get("change_id", ""))) if change else None,
            }
        )
    return out


def outputs_filter(incident: IncidentRow, signals: list[SignalRow], now: datetime) -> OutputFilter:
    """The outputs the incident touched: its use case from the onset, in the segment that
    fired when only one segment did."""
    segments = [dict(s.segment or {}) for s in signals if s.segment]
    segment = segments[0] if len(segments) == 1 else {}
    return OutputFilter(
        since=incident.started_at,
        until=(incident.resolved_at or now) + timedelta(seconds=1),
        use_case=incident.use_case,
        model_version=segment.get("model_version"),
        prompt_version=segment.get("prompt_version"),
    )


def outputs_page(
    session: Session, f: OutputFilter, cursor: str | None
) -> tuple[OutputPage, str | None]:
    page = search_outputs(session, f, OUTPUTS_PER_PAGE, parse_cursor(cursor))
    return page, make_cursor(page.next_cursor)


def make_cursor(value: tuple[datetime, int] | None) -> str | None:
    return None if value is None else f"{isoformat_z(value[0])}~{value[1]}"


def parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    """A cursor this UI gave out; anything else starts from the newest."""
    if not value:
        return None
    at, _, seq = value.partition("~")
    # A sequence number is a 64-bit integer: a bigger one would overflow the bound parameter.
    if not (seq.isascii() and seq.isdigit()) or len(seq) > 18:
        return None
    try:
        return parse_rfc3339(at), int(seq)
    except ValueError:
        return None


def playbook_view(session: Session, detail: dict[str, Any]) -> dict[str, Any]:
    """The playbook as a checklist: manual steps are the incident's tasks (owner = the role's
    holder), automatic ones show what they did."""
    steps = playbook_store.steps_of(session, detail["id"])
    auto = [
        {"step": s.step_id, "state": s.state, "text": str((s.result or {}).get("text", ""))}
        for s in steps
        if s.mode == "auto"
    ]
    due = {s.task_id: s.state for s in steps if s.task_id}
    tasks = [
        {**t, "owner": t["assignee"] or detail["roles"].get(t["role"] or "", None),
         "deadline_state": due.get(str(t["id"]))}
        for t in detail["tasks"]
    ]  # fmt: skip
    return {"auto": auto, "tasks": tasks}


def timeline_view(detail: dict[str, Any], only: str) -> dict[str, Any]:
    """Entries newest first, grouped by day, filtered to one group (`all` for every one)."""
    counts: dict[str, int] = dict.fromkeys((*GROUPS, "other"), 0)
    days: dict[str, list[dict[str, Any]]] = {}
    for entry in reversed(detail["timeline"]):
        group = group_of(entry["kind"])
        counts[group] += 1
        if only not in ("all", group):
            continue
        days.setdefault(entry["at"][:10], []).append({**entry, "group": group})
    return {"days": days, "counts": counts, "only": only}


def page_context(
    session: Session,
    config: TripwireConfig,
    incident: IncidentRow,
    signals: list[SignalRow],
    now: datetime,
    query: dict[str, str],
) -> dict[str, Any]:
    detail = detail_json(session, incident)
    f = outputs_filter(incident, signals, now)
    outputs, next_cursor = outputs_page(session, f, query.get("outputs_before"))
    return {
        "i": detail,
        "signals": signal_views(session, config, incident, signals, now),
        "suspects": suspects_view(session, detail["suspects"]),
        "outputs": outputs.outputs,
        "outputs_next": next_cursor,
        "outputs_filter": f,
        "playbook": playbook_view(session, detail),
        "timeline": timeline_view(detail, query.get("timeline", "all")),
        "switches": kill_switches(session, incident.use_case),
        "roles": ROLES,
        "people": sorted(config.respond.people),
        "severities": SEVERITIES,
        "types": INCIDENT_TYPES,
        "stages": STAGES,
        "public_updates": [e for e in detail["timeline"] if e["kind"] == "update"],
    }
