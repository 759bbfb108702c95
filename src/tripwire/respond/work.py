"""Tasks and deadlines on incidents (playbook steps, "tell legal within the hour")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from tripwire.domain.clock import isoformat_z
from tripwire.respond.routing import notify_task
from tripwire.respond.service import Conflict, IncidentService
from tripwire.respond.stakeholders import escalate_missed
from tripwire.store.tables.respond import DeadlineRow, IncidentRow, TaskRow

TASK_STATES = ("open", "done", "skipped")


def add_task(
    service: IncidentService,
    ident: str | int,
    title: str,
    *,
    source: str = "manual",
    role: str | None = None,
    assignee: str | None = None,
    due_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    actor: str = "tripwire",
) -> TaskRow:
    incident = service.get(ident)
    task = TaskRow(
        incident=incident.number,
        title=title[:2000],
        status="open",
        role=role,
        assignee=assignee,
        source=source,
        due_at=due_at,
        created_at=service.clock.now(),
        data=data or {},
    )
    service.session.add(task)
    service.session.flush()
    service.log(incident, "task", f"Task added: {title}", actor, {"task": task.id})
    notify_task(service, incident, task)  # the role holder learns it is theirs
    return task


def set_task_status(
    service: IncidentService, ident: str | int, task_id: int, status: str, actor: str
) -> TaskRow:
    if status not in TASK_STATES:
        raise Conflict(f"unknown task status {status!r}; choose from {', '.join(TASK_STATES)}")
    incident = service.get(ident)
    task = service.session.get(TaskRow, task_id)
    if task is None or task.incident != incident.number:
        raise Conflict(f"no task {task_id} on this incident")
    if task.status == status:
        return task
    task.status = status
    task.done_at = service.clock.now() if status != "open" else None
    service.log(
        incident, "task", f"Task {status}: {task.title}", actor, {"task": task.id, "status": status}
    )
    return task


def add_deadline(
    service: IncidentService,
    ident: str | int,
    name: str,
    due_at: datetime,
    page_role: str | None = "incident_commander",
    actor: str = "tripwire",
) -> DeadlineRow:
    incident = service.get(ident)
    row = DeadlineRow(incident=incident.number, name=name[:256], due_at=due_at, page_role=page_role)
    service.session.add(row)
    service.session.flush()
    service.log(
        incident,
        "deadline",
        f"Deadline: {name} by {isoformat_z(due_at)}",
        actor,
        {"deadline": row.id},
    )
    return row


def meet_deadline(service: IncidentService, ident: str | int, name: str, actor: str) -> None:
    incident = service.get(ident)
    rows = service.session.scalars(
        select(DeadlineRow).where(
            DeadlineRow.incident == incident.number,
            DeadlineRow.name == name,
            DeadlineRow.met_at.is_(None),
        )
    ).all()
    if not rows:
        raise Conflict(f"no open deadline {name!r} on this incident")
    for row in rows:
        row.met_at = service.clock.now()
    service.log(incident, "deadline_met", f"Deadline met: {name}", actor)


def miss_due_deadlines(service: IncidentService, now: datetime) -> int:
    """Deadlines that passed unmet: timeline entry and a page to their role."""
    rows = service.session.scalars(
        select(DeadlineRow).where(
            DeadlineRow.met_at.is_(None), DeadlineRow.missed_at.is_(None), DeadlineRow.due_at <= now
        )
    ).all()
    for row in rows:
        incident = service.session.get(IncidentRow, row.incident)
        assert incident is not None
        if escalate_missed(service, row, incident):
            continue  # a stakeholder deadline: met by acknowledgements, escalated otherwise
        row.missed_at = now
        service.log(incident, "deadline_missed", f"Deadline missed: {row.name}", "tripwire")
        if row.page_role:
            service.page(incident, f"role:{row.page_role}", f"missed deadline: {row.name}")
    return len(rows)
