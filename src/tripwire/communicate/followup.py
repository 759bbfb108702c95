"""The follow-up to affected users, enforced: at resolution a task for the communications lead
due `communicate.follow_up_within_hours` later and a deadline of the same name; a reminder to
the lead `follow_up_remind_before_hours` before it is due; and, when it passes with no
follow-up sent, the deadline's miss pages the incident commander (respond's deadlines).

An incident that reached no user (no affected user, no message sent) gets no follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tripwire.communicate.audience import audience
from tripwire.communicate.messages import (
    FOLLOW_UP_DEADLINE,
    FOLLOW_UP_SOURCE,
    LEAD,
    messages,
)
from tripwire.domain.clock import isoformat_z
from tripwire.respond.ids import incident_id
from tripwire.respond.service import IncidentService
from tripwire.respond.work import add_deadline, add_task
from tripwire.store.tables.respond import IncidentRow, TaskRow


class FollowUpHook:
    """An incident hook (see `tripwire.respond.hooks`); the runtime hands it to the service."""

    name = "user-follow-up"

    def opened(self, service: IncidentService, incident: IncidentRow) -> None:
        """Nothing to do until the incident is resolved."""

    def status_changed(
        self, service: IncidentService, incident: IncidentRow, old: str, new: str
    ) -> None:
        if new != "resolved" or _existing(service, incident) is not None:
            return
        if not _reached_users(service, incident):
            return
        config = service.config.communicate
        due = service.clock.now() + timedelta(hours=config.follow_up_within_hours)
        add_task(
            service, incident.number, "Send the follow-up to affected users: what changed",
            source=FOLLOW_UP_SOURCE, role=LEAD, due_at=due,
            data={"remind_at": isoformat_z(due - _before(service))},
        )  # fmt: skip
        add_deadline(service, incident.number, FOLLOW_UP_DEADLINE, due, "incident_commander")

    def tick(self, service: IncidentService) -> None:
        now = service.clock.now()
        for task in _open_tasks(service):
            if task.due_at is None or (task.data or {}).get("reminded_at"):
                continue
            if now < task.due_at - _before(service):
                continue
            task.data = {**(task.data or {}), "reminded_at": isoformat_z(now)}
            if now >= task.due_at:
                continue  # already overdue: the missed deadline pages the commander instead
            incident = service.get(task.incident)
            left = max(task.due_at - now, timedelta(0))
            service.log(
                incident, "follow_up_reminder",
                f"Reminder: the follow-up to affected users is due by {isoformat_z(task.due_at)} "
                f"({_hours(left)} left)", "tripwire", {"task": task.id},
            )  # fmt: skip
            service.page(incident, f"role:{LEAD}", "follow-up to affected users due soon")

    def next_due(self, service: IncidentService) -> datetime | None:
        times = [
            task.due_at - _before(service)
            for task in _open_tasks(service)
            if task.due_at is not None and not (task.data or {}).get("reminded_at")
        ]
        return min(times) if times else None


def _before(service: IncidentService) -> timedelta:
    return timedelta(hours=service.config.communicate.follow_up_remind_before_hours)


def _hours(left: timedelta) -> str:
    return f"{left.total_seconds() / 3600:.0f} h"


def _open_tasks(service: IncidentService) -> list[TaskRow]:
    return list(
        service.session.scalars(
            select(TaskRow).where(TaskRow.source == FOLLOW_UP_SOURCE, TaskRow.status == "open")
        )
    )


def _existing(service: IncidentService, incident: IncidentRow) -> TaskRow | None:
    return service.session.scalar(
        select(TaskRow).where(
            TaskRow.incident == incident.number, TaskRow.source == FOLLOW_UP_SOURCE
        )
    )


def _reached_users(service: IncidentService, incident: IncidentRow) -> bool:
    if any(m.status == "sent" for m in messages(service.session, incident.number)):
        return True
    found = audience(
        service.session,
        incident_id(incident.number),
        service.clock.now(),
        service.config.communicate.affected_users,
    )
    return found is not None and found.totals.users > 0


HOOK = FollowUpHook()
