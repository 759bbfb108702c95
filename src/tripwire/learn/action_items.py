"""Action items after the post-mortem: an owner, a due date and a state (open, in_progress,
done, wont_do). An unfinished item past its due date reminds its owner through the outbox,
then again every `learn.action_items.remind_every` until it is finished."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.notify.outbox import enqueue
from tripwire.respond.ids import incident_id, parse_incident_id
from tripwire.respond.service import IncidentService
from tripwire.respond.views import notice_json
from tripwire.store.tables.learn import ActionItemRow
from tripwire.store.tables.respond import IncidentRow

STATES = ("open", "in_progress", "done", "wont_do")
UNFINISHED = ("open", "in_progress")
EVENT = "action_item.due"


class ItemError(ValueError):
    """The change cannot be made; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class ItemChange:
    """What a PATCH may change; None leaves a field as it is (`clear_due` removes the date)."""

    title: str | None = None
    owner: str | None = None
    status: str | None = None
    due_at: datetime | None = None
    clear_due: bool = False


def get_item(session: Session, incident: IncidentRow, item_id: int) -> ActionItemRow:
    item = session.get(ActionItemRow, item_id)
    if item is None or item.incident != incident.number:
        raise LookupError(f"{incident_id(incident.number)} has no action item {item_id}")
    return item


def update_item(
    service: IncidentService, incident: IncidentRow, item: ActionItemRow, change: ItemChange,
    actor: str,
) -> ActionItemRow:  # fmt: skip
    """Apply `change` and note what changed on the incident's timeline."""
    if change.status is not None and change.status not in STATES:
        raise ItemError(f"status {change.status[:40]!r}: use one of {', '.join(STATES)}")
    now = service.clock.now()
    said = []
    if change.title is not None and change.title != item.title:
        item.title = change.title
        said.append("retitled")
    if change.owner is not None and change.owner != (item.owner or ""):
        item.owner = change.owner or None
        said.append(f"owner {item.owner or 'none'}")
    if change.due_at is not None or change.clear_due:
        item.due_at = None if change.clear_due else change.due_at
        item.reminded_at = None  # a new date earns a new reminder
        said.append(f"due {isoformat_z(item.due_at) if item.due_at else 'never'}")
    if change.status is not None and change.status != item.status:
        said.append(f"{item.status} -> {change.status}")
        item.status = change.status
        item.done_at = None if change.status in UNFINISHED else now
    if said:
        item.updated_at = now
        text = f"Action item #{item.id} ({item.title[:80]}): {', '.join(said)} by {actor}"
        service.log(incident, "action_item", text, actor, {"action_item": item.id})
    return item


def list_items(
    session: Session,
    incident: str | None = None,
    owner: str | None = None,
    status: str | None = None,
    overdue_at: datetime | None = None,
    limit: int = 500,
) -> list[ActionItemRow]:
    """Action items, soonest due first (undated last); `overdue_at` keeps unfinished items
    due by then."""
    query = select(ActionItemRow)
    if incident is not None:
        number = parse_incident_id(incident)
        if number is None:
            raise ItemError(f"{incident[:40]!r} is not an incident id (INC-n)")
        query = query.where(ActionItemRow.incident == number)
    if owner is not None:
        query = query.where(ActionItemRow.owner == owner)
    if status is not None:
        if status not in STATES:
            raise ItemError(f"status {status[:40]!r}: use one of {', '.join(STATES)}")
        query = query.where(ActionItemRow.status == status)
    if overdue_at is not None:
        query = query.where(
            ActionItemRow.status.in_(UNFINISHED), ActionItemRow.due_at <= overdue_at
        )
    order = (ActionItemRow.due_at.is_(None), ActionItemRow.due_at, ActionItemRow.id)
    return list(session.scalars(query.order_by(*order).limit(limit)))


# -- reminders -------------------------------------------------------------------------------


def remind_due(service: IncidentService) -> int:
    """Remind the owner of every unfinished item that is due and not reminded lately."""
    now = service.clock.now()
    every = service.config.learn.action_items.remind_every
    due = service.session.scalars(
        select(ActionItemRow).where(
            ActionItemRow.status.in_(UNFINISHED),
            ActionItemRow.due_at <= now,
            or_(ActionItemRow.reminded_at.is_(None), ActionItemRow.reminded_at <= now - every),
        )
    ).all()
    for item in due:
        incident = service.get(item.incident)
        reached = _remind(service, incident, item, now)
        item.reminded_at = now
        text = (
            f"Action item #{item.id} ({item.title[:80]}) is due since "
            f"{isoformat_z(item.due_at or now)}: reminded {reached}"
        )
        service.log(incident, "action_item_due", text, "tripwire", {"action_item": item.id})
    return len(due)


def _remind(
    service: IncidentService, incident: IncidentRow, item: ActionItemRow, now: datetime
) -> str:
    """The owner's own channels when the owner is a configured person, else the broadcast
    channels; returns who was told, in words."""
    text = (
        f"Action item #{item.id} of {incident_id(incident.number)} is due: {item.title} "
        f"(owner {item.owner or 'nobody'}, {item.status}). Mark it done, or move its due date."
    )
    person = service.rc.people.get(item.owner or "")
    if person is None or not person.notify:
        sent = service.pager.broadcast(incident, EVENT, text, now)
        return f"{sent} broadcast channel(s)" if sent else "nobody (no owner channel)"
    payload: dict[str, Any] = {
        "event": EVENT,
        "at": isoformat_z(now),
        "incident": notice_json(incident, service.settings.public_url),
        "text": text,
        "subject": f"Due: {item.title[:120]}",
        "recipient": {"person": item.owner, "name": person.name, "email": person.email},
        "action_item": {"id": item.id, "title": item.title, "status": item.status},
    }
    for channel in person.notify:
        enqueue(
            service.session,
            channel=channel,
            event=EVENT,
            payload=payload,
            ordering_key=incident_id(incident.number),
            now=now,
        )
    return f"{item.owner} via {', '.join(person.notify)}"


def next_reminder(service: IncidentService) -> datetime | None:
    """When `remind_due` next has work, or None."""
    session = service.session
    unfinished = ActionItemRow.status.in_(UNFINISHED)
    first = session.scalar(
        select(func.min(ActionItemRow.due_at)).where(
            unfinished, ActionItemRow.reminded_at.is_(None)
        )
    )
    again = session.scalar(select(func.min(ActionItemRow.reminded_at)).where(unfinished))
    found = [
        t
        for t in (first, again + service.config.learn.action_items.remind_every if again else None)
        if t
    ]
    return min(found) if found else None


class ActionItemReminders:
    """The incident hook that runs the reminders on the timer (composition root wires it)."""

    name = "action_item_reminders"

    def opened(self, service: IncidentService, incident: IncidentRow) -> None:
        return None

    def status_changed(
        self, service: IncidentService, incident: IncidentRow, old: str, new: str
    ) -> None:
        return None

    def tick(self, service: IncidentService) -> None:
        remind_due(service)

    def next_due(self, service: IncidentService) -> datetime | None:
        return next_reminder(service)


HOOK = ActionItemReminders()
