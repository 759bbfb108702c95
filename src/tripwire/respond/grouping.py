"""Which incident a new signal belongs to: an open one it is time-compatible with, or a
recently auto-resolved one it is the return of, else none (a new incident opens).

Time, never the type alone, decides: a signal joins only when its onset is within the join
window of the onset of one of the incident's active signals, and an incident whose signals all
cleared more than the join window ago takes no new signals. So a stale incident (a false alarm
left open for days) cannot swallow a new problem of the same type, and a flapping problem
keeps one incident: its signal firing again soon after the incident cleared reopens it.
A monitor that is still firing for the use case (or cleared within the reopen window) keeps
its new alerts in its incident whatever their onset estimates say: that is the same problem
continuing, not a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.config.respond import RespondConfig
from tripwire.domain.alerts import Alert
from tripwire.domain.incidents import AUTOMATION
from tripwire.respond import queries
from tripwire.store.tables.respond import IncidentRow, SignalRow, TimelineRow


def join_key(alert: Alert) -> str:
    """Signals with the same key may be one problem: the use case, else the Alertmanager
    group, else the signal itself."""
    if alert.use_case:
        return alert.use_case
    group = alert.details.get("group_key")
    return f"group:{group}" if group else f"signal:{alert.dedup_key}"


def last_clear(sigs: list[SignalRow]) -> datetime | None:
    """When the incident's last signal cleared; None while one still fires."""
    if not sigs or any(s.state == "firing" for s in sigs):
        return None
    return max(s.resolved_at or s.detected_at for s in sigs)


def _active(signal: SignalRow, onset: datetime, window: timedelta) -> bool:
    return signal.state == "firing" or (signal.resolved_at or signal.detected_at) >= onset - window


def compatible(sigs: list[SignalRow], alert: Alert, window: timedelta) -> bool:
    """The alert's rise (from its onset to its detection) is within `window` of an active
    signal's rise (firing, or cleared less than `window` before the alert began).

    Onset estimates alone are not enough: a slow stream's (a ticket topic at ten a day) runs
    hours early, so a change that began at the minute such a signal fired, or a sparse
    signal that fires minutes after a surge began, would open a second incident for what a
    user sees as one problem. A signal's rise ends when it fired, so a stale signal (fired days
    ago) takes no change that began since; nor one whose onset estimate merely runs back past
    it, detected days later (`_tied`)."""
    onset = alert.started_at
    return any(
        _active(s, onset, window) and _rise_gap(s, alert) <= window and _tied(s, alert, window)
        for s in sigs
    )


def _tied(signal: SignalRow, alert: Alert, window: timedelta) -> bool:
    """Something beyond the alert's own long rise ties the two: its onset is near or after the
    signal's, or it was detected near the signal's detection (a sparse alarm minutes into a
    surge). An alert detected days after a signal that it overlaps only through an onset
    estimate running hours back (a slow stream, an old `startsAt`) is not tied to it: else a
    stale signal left firing would take every such alert."""
    return (
        alert.started_at >= signal.started_at - window
        or alert.detected_at <= signal.detected_at + window
    )


def _rise_gap(signal: SignalRow, alert: Alert) -> timedelta:
    """Time between the signal's onset-to-detection stretch and the alert's (0: overlap)."""
    apart = max(alert.started_at - signal.detected_at, signal.started_at - alert.detected_at)
    return max(apart, timedelta(0))


def same_problem(sigs: list[SignalRow], alert: Alert) -> bool:
    """The alert is one of the incident's signals coming back: the same signal or monitor, or
    another monitor of the same type whose change began before that signal cleared (the two
    overlapped). A jailbreak after a quality regression cleared is a problem of its own, and
    so is a groundedness drop that began after a ticket spike's alert had cleared."""
    return any(
        s.dedup_key == alert.dedup_key
        or s.monitor == alert.monitor
        or (s.type == alert.incident_type and alert.started_at <= _cleared_at(s))
        for s in sigs
    )


def _cleared_at(signal: SignalRow) -> datetime:
    """When the signal stopped firing (far ahead while it still fires)."""
    if signal.state == "firing":
        return datetime.max.replace(tzinfo=signal.detected_at.tzinfo)
    return signal.resolved_at or signal.detected_at


def continues(sigs: list[SignalRow], alert: Alert, window: timedelta) -> bool:
    """The alert comes from a monitor that is still on this problem: one of the incident's
    signals from the same monitor fires, or cleared less than `window` before the alert began.
    A later rule crossing on the same monitor (a segment after the total, a burn rate after
    the CUSUM, a ramp whose onset estimate lands hours after the first crossing's) is the
    same problem continuing, however far its own onset estimate is from the first one's."""
    onset = alert.started_at
    return any(
        s.monitor == alert.monitor
        and (s.state == "firing" or (s.resolved_at or s.detected_at) >= onset - window)
        for s in sigs
    )


def joinable(session: Session, rc: RespondConfig, alert: Alert) -> IncidentRow | None:
    """The newest open incident of the alert's join key that it belongs to."""
    for incident in queries.open_by_join_key(session, join_key(alert)):
        sigs = queries.signals(session, incident.number)
        if not sigs:
            if _declared_near(incident, alert, rc.join_window):
                return incident  # declared by hand: the detector confirms what someone saw
            continue
        if compatible(sigs, alert, rc.join_window) or continues(sigs, alert, rc.reopen_window):
            return incident
        cleared = last_clear(sigs)
        if (
            cleared is not None
            and alert.started_at <= cleared + rc.reopen_window
            and same_problem(sigs, alert)
        ):
            return incident  # in its monitoring period: the problem is back
    return None


def _declared_near(incident: IncidentRow, alert: Alert, window: timedelta) -> bool:
    return incident.started_at - window <= alert.started_at <= incident.detected_at + window


def reopenable(session: Session, rc: RespondConfig, alert: Alert) -> IncidentRow | None:
    """The newest incident of the alert's join key that Tripwire resolved by itself less than
    `reopen_window` before the alert began, and that the alert is the return of."""
    since = alert.started_at - rc.reopen_window
    query = (
        select(IncidentRow)
        .where(
            IncidentRow.join_key == join_key(alert),
            IncidentRow.status == "resolved",
            IncidentRow.resolved_at >= since,
        )
        .order_by(IncidentRow.number.desc())
    )
    for incident in session.scalars(query):
        sigs = queries.signals(session, incident.number)
        if same_problem(sigs, alert) and auto_resolved(session, incident):
            return incident
    return None


def auto_resolved(session: Session, incident: IncidentRow) -> bool:
    """Resolved by Tripwire (every signal stayed clear), not by a person."""
    return last_actor(session, incident, "resolved") == AUTOMATION


def last_actor(session: Session, incident: IncidentRow, kind: str) -> str | None:
    """Who made the incident's latest timeline entry of `kind` (a status such as mitigated)."""
    return session.scalar(
        select(TimelineRow.actor)
        .where(TimelineRow.incident == incident.number, TimelineRow.kind == kind)
        .order_by(TimelineRow.seq.desc())
        .limit(1)
    )
