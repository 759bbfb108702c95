"""What happens as time passes: escalation to the next level when nobody acknowledged,
missed deadlines, pages held until working hours, the digest, severity reassessment while
signals still fire, and resolution once every signal stayed clear for `resolve_after`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from tripwire.domain.incidents import OPEN_STATUSES, SEVERITIES, rank
from tripwire.respond import queries
from tripwire.respond.digest import send_digest
from tripwire.respond.escalation import next_step
from tripwire.respond.routing import send_held
from tripwire.respond.service import IncidentService
from tripwire.respond.signals import reassess
from tripwire.respond.work import miss_due_deadlines
from tripwire.store.tables.respond import DeadlineRow, IncidentRow, NoticeRow, SignalRow
from tripwire.store.tables.runtime import OutboxRow


def tick(service: IncidentService) -> None:
    escalate_due(service)
    miss_due_deadlines(service, service.clock.now())
    send_held(service)
    send_digest(service)
    reassess_due(service)
    resolve_quiet(service)
    for hook in service.hooks:
        hook.tick(service)


def escalate_due(service: IncidentService) -> int:
    """Page the next level of every triggered incident whose level timed out."""
    now = service.clock.now()
    due = service.session.scalars(
        select(IncidentRow).where(
            IncidentRow.next_escalation_at.is_not(None), IncidentRow.next_escalation_at <= now
        )
    ).all()
    for incident in due:
        policy = service.rc.escalation_policies.get(incident.policy or "")
        if incident.status != "triggered" or policy is None:
            incident.next_escalation_at = None
            continue
        step = next_step(policy, incident.escalation_level, incident.escalation_round, now)
        if step is None:
            incident.next_escalation_at = None
            continue
        incident.next_escalation_at = step.next_at
        service.log(
            incident,
            "escalated",
            f"Not acknowledged in time: escalating to level {step.level + 1}",
            "tripwire",
            {"level": step.level + 1},
        )
        service.page_level(incident, step.level, step.round_)
    return len(due)


def reassess_due(service: IncidentService) -> int:
    now = service.clock.now()
    due = service.session.scalars(
        select(IncidentRow).where(
            IncidentRow.reassess_at.is_not(None),
            IncidentRow.reassess_at <= now,
            IncidentRow.status.in_(("triggered", "acknowledged", "mitigated")),
        )
    ).all()
    for incident in due:
        firing = any(s.state == "firing" for s in queries.signals(service.session, incident.number))
        if not firing:
            incident.reassess_at = None  # nothing ongoing: no more automatic reassessment
            continue
        # Back off: a long incident is reassessed less and less often (at most every 6 hours).
        gap = min(now - incident.started_at, service.rc.severity.reassess_every * 24)
        incident.reassess_at = now + max(service.rc.severity.reassess_every, gap / 4)
        # A person lowered this severity knowing the incident goes on: the clock alone (more
        # people exposed, the same signals) does not overrule them and page again; a new or
        # larger signal still re-runs the rules (signals.py). The people exposed still count.
        # One who raised it set a floor, not a ceiling: the rules may still go above it.
        overruled = queries.overruled_severity(service.session, incident.number)
        lowered = overruled in SEVERITIES and rank(incident.severity) > rank(overruled)  # type: ignore[arg-type]
        reassess(service, incident, rules=not lowered)
    return len(due)


def quiet(service: IncidentService) -> list[tuple[int, datetime]]:
    """Open incidents whose signals have all cleared, with the time the last one cleared."""
    cleared = func.max(func.coalesce(SignalRow.resolved_at, SignalRow.detected_at))
    firing = func.sum(case((SignalRow.state == "firing", 1), else_=0))
    rows = service.session.execute(
        select(SignalRow.incident, cleared)
        .join(IncidentRow, IncidentRow.number == SignalRow.incident)
        .where(IncidentRow.status.in_(OPEN_STATUSES))
        .group_by(SignalRow.incident)
        .having(firing == 0)
    ).all()
    return [(int(number), at) for number, at in rows]


def resolve_quiet(service: IncidentService) -> int:
    """Resolve the incidents whose signals stayed clear for `resolve_after` (hysteresis: one
    quiet window is not the end of a problem)."""
    if not service.rc.auto_resolve:
        return 0
    now, wait = service.clock.now(), service.rc.resolve_after
    done = 0
    for number, cleared in quiet(service):
        if cleared + wait <= now:
            note = f"every signal stayed clear for {int(wait.total_seconds() // 60)} min"
            service.resolve(number, "tripwire", note)
            done += 1
    return done


def next_due(service: IncidentService) -> datetime | None:
    """The earliest time `tick` has work: an escalation, a reassessment, a deadline, a
    notification to (re)send, or a hook's own timer. None when nothing is scheduled."""
    session = service.session
    open_statuses = ("triggered", "acknowledged", "mitigated")
    candidates = [
        session.scalar(select(func.min(IncidentRow.next_escalation_at))),
        session.scalar(
            select(func.min(IncidentRow.reassess_at)).where(IncidentRow.status.in_(open_statuses))
        ),
        session.scalar(
            select(func.min(DeadlineRow.due_at)).where(
                DeadlineRow.met_at.is_(None), DeadlineRow.missed_at.is_(None)
            )
        ),
        session.scalar(
            select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.status == "pending")
        ),
        session.scalar(select(func.min(NoticeRow.send_at)).where(NoticeRow.state == "deferred")),
    ]
    if service.rc.auto_resolve:
        candidates += [at + service.rc.resolve_after for _, at in quiet(service)]
    candidates += [hook.next_due(service) for hook in service.hooks]
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
