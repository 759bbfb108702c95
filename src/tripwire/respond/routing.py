"""Pages routed by urgency (`respond.urgency`): sent at once, held until working hours, or
held for good while the incident only belongs in the digest. A raised severity releases what
was held; the timers release what working hours allow (`send_held`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from tripwire.domain.clock import isoformat_z
from tripwire.domain.incidents import is_open, rank
from tripwire.respond import queries
from tripwire.respond.paging import Message, describe, resolve_target
from tripwire.respond.urgency import LOUDNESS, Decision, decide
from tripwire.store.tables.respond import IncidentRow, NoticeRow, TaskRow

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService

HELD_KINDS = ("escalation", "page", "task")
ESCALATION = "escalation policy level 1"


def route_open(service: IncidentService, incident: IncidentRow) -> None:
    """At open: start the escalation policy now, hold it until working hours, or (digest,
    none) page nobody."""
    decision = decide(service.rc.urgency, incident.severity, service.clock.now())
    if decision.mode == "now":
        service.start_escalation(incident)
        _also_page(service, incident, incident.severity, set())
        return
    _hold(service, incident, "escalation", None, ESCALATION, decision)
    if decision.mode == "digest":
        _add_digest(service, incident, decision)


def route_page(
    service: IncidentService, incident: IncidentRow, target: str, reason: str, actor: str
) -> int:
    """Page `target` if the incident's urgency allows it now; otherwise hold the page."""
    decision = decide(service.rc.urgency, incident.severity, service.clock.now())
    if decision.mode == "now":
        return service.page(incident, target, reason, actor)
    _hold(service, incident, "page", target, reason, decision)
    return 0


def notify_task(service: IncidentService, incident: IncidentRow, task: TaskRow) -> None:
    """Tell the task's assignee (or its role's holder) that it is theirs, when urgency allows;
    a digest incident's tasks are in the digest."""
    person = task.assignee or _holder(service, incident, task.role)
    if person is None or person not in service.rc.people:
        return
    decision = decide(service.rc.urgency, incident.severity, service.clock.now())
    if decision.mode == "now":
        tell_task(service, incident, person, task.title, task.id)
    elif decision.mode == "later":
        _hold(service, incident, "task", person, task.title, decision, quiet=True)


def tell_task(
    service: IncidentService, incident: IncidentRow, person: str, title: str, task: int | None
) -> None:
    now = service.clock.now()
    text = f"A task on {describe(incident)} is yours: {title}"
    channels = service.rc.people[person].notify
    for channel in channels:
        message = Message("incident.task", text, f"TASK {describe(incident)}")
        service.pager.tell(incident, person, channel, message, now)
    via = ", ".join(channels) or "no channel configured"
    data = {"person": person, "task": task, "channels": list(channels)}
    service.log(
        incident, "task_notified", f"Told {person} of the task via {via}: {title}", data=data
    )


def page_for_severity(service: IncidentService, incident: IncidentRow, old: str, new: str) -> None:
    """A raised severity reaches its new audience at once: what was held is released (or
    rescheduled to working hours), and the new severity's `also_page` targets are paged."""
    if rank(new) >= rank(old) or not is_open(incident.status):  # type: ignore[arg-type]
        return
    now = service.clock.now()
    before = decide(service.rc.urgency, old, now)
    after = decide(service.rc.urgency, new, now)
    paged_before = before.mode == "now"
    already = set(service.rc.urgency.route(old).also_page) if paged_before else set()
    if after.mode == "now":
        if LOUDNESS[before.mode] < LOUDNESS["now"]:
            text = f"Severity raised {old} -> {new}: paging at once"
            service.log(incident, "severity_paging", text, data={"from": old, "to": new})
            _release_all(service, incident)
        else:
            # Already paged at once: the current escalation level hears that it got worse.
            service.severity_raised(incident, old)
        _also_page(service, incident, new, already)
    elif after.mode == "later" and LOUDNESS[before.mode] < LOUDNESS["later"]:
        _reschedule(service, incident, after)


def send_held(service: IncidentService) -> int:
    """Release the pages and task notices held until now (working hours began)."""
    now = service.clock.now()
    due = service.session.scalars(
        select(NoticeRow).where(
            NoticeRow.state == "deferred",
            NoticeRow.kind.in_(HELD_KINDS),
            NoticeRow.send_at <= now,
        )
    ).all()
    for row in due:
        incident = service.session.get(IncidentRow, row.incident)
        assert incident is not None
        _release(service, incident, row)
        if row.kind == "escalation" and row.state == "sent":
            _also_page(service, incident, incident.severity, set())
    return len(due)


# -- helpers -----------------------------------------------------------------------------------


def _holder(service: IncidentService, incident: IncidentRow, role: str | None) -> str | None:
    for row in queries.roles(service.session, incident.number):
        if row.role == role:
            return row.person
    return None


def _also_page(
    service: IncidentService, incident: IncidentRow, severity: str, skip: set[str]
) -> None:
    for target in service.rc.urgency.route(severity).also_page:
        if target not in skip:
            service.page(incident, target, f"{severity} incident")


def _hold(
    service: IncidentService,
    incident: IncidentRow,
    kind: str,
    target: str | None,
    reason: str,
    decision: Decision,
    *,
    quiet: bool = False,
) -> None:
    now = service.clock.now()
    later = decision.mode == "later"
    row = NoticeRow(
        incident=incident.number,
        kind=kind,
        state="deferred" if later else "held",
        person=target,
        reason=reason[:2000],
        created_at=now,
        send_at=decision.at if later and decision.at else now,
    )
    service.session.add(row)
    service.session.flush()
    if quiet:
        return
    who = target or ESCALATION
    if later:
        assert decision.at is not None
        text = (
            f"{incident.severity} outside working hours: paging {who} at {isoformat_z(decision.at)}"
        )
    else:
        text = f"{incident.severity} pages nobody: {who} is told only if the severity rises"
    service.log(incident, "page_held", text, data={"notice": row.id, "target": target})


def _add_digest(service: IncidentService, incident: IncidentRow, decision: Decision) -> None:
    now = service.clock.now()
    at = decision.at or now
    row = NoticeRow(
        incident=incident.number,
        kind="digest",
        state="deferred",
        reason="listed in the digest",
        created_at=now,
        send_at=at,
    )
    service.session.add(row)
    service.session.flush()
    service.log(
        incident,
        "digest_queued",
        f"Listed in the digest of {isoformat_z(at)}",
        data={"notice": row.id, "at": isoformat_z(at)},
    )


def _pending(
    service: IncidentService, incident: IncidentRow, kinds: tuple[str, ...]
) -> list[NoticeRow]:
    query = select(NoticeRow).where(
        NoticeRow.incident == incident.number,
        NoticeRow.kind.in_(kinds),
        NoticeRow.state.in_(("deferred", "held")),
    )
    return list(service.session.scalars(query.order_by(NoticeRow.id)))


def _release_all(service: IncidentService, incident: IncidentRow) -> None:
    for row in _pending(service, incident, HELD_KINDS):
        _release(service, incident, row, raised=True)
    for row in _pending(service, incident, ("digest",)):
        row.state = "cancelled"  # paged now: the digest need not list it


def _reschedule(service: IncidentService, incident: IncidentRow, decision: Decision) -> None:
    assert decision.at is not None
    for row in _pending(service, incident, HELD_KINDS):
        row.state, row.send_at = "deferred", decision.at
    text = f"Severity raised to {incident.severity}: paging at {isoformat_z(decision.at)}"
    service.log(incident, "page_held", text)


def _release(
    service: IncidentService, incident: IncidentRow, row: NoticeRow, *, raised: bool = False
) -> None:
    """Send what `row` held. Working hours starting (`raised` False) page nobody for an
    incident someone already acknowledged; a raised severity tells its new audience anyway."""
    now = service.clock.now()
    settled = row.kind != "task" and incident.status != "triggered" and not raised
    if not is_open(incident.status) or settled:
        row.state = "cancelled"
        return
    row.state, row.sent_at = "sent", now
    if row.kind == "task" and row.person:
        tell_task(service, incident, row.person, row.reason, None)
    elif row.kind == "page" and row.person and not _paged_already(service, incident, row.person):
        service.page(incident, row.person, row.reason)
    elif row.kind == "escalation":
        _release_escalation(service, incident)


def _paged_already(service: IncidentService, incident: IncidentRow, target: str) -> bool:
    """Whether everyone `target` resolves to was paged for this incident (a held playbook
    page of the commander after the escalation policy paged them)."""
    now = service.clock.now()
    people = set(resolve_target(service.session, service.rc, incident, target, now).people)
    paged = {
        str(e.data.get("person"))
        for e in queries.timeline(service.session, incident.number)
        if e.kind == "page" and isinstance(e.data, dict)
    }
    return bool(people) and people <= paged


def _release_escalation(service: IncidentService, incident: IncidentRow) -> None:
    if incident.policy is not None:
        return  # already started
    if incident.status == "triggered":
        service.start_escalation(incident)
    else:  # someone already acknowledged: tell level 1, without escalating further
        name = service.policy_name(incident)
        if name is not None:
            for target in service.rc.escalation_policies[name].levels[0].targets:
                service.page(incident, target, ESCALATION)
