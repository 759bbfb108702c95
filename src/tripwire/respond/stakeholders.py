"""Stakeholder groups (`respond.stakeholders`: legal, leadership, support, trust & safety):
each member gets the notification with their own acknowledge link; a deadline on the groups is
met when every group has a member whose message was delivered and who acknowledged it, and
when it passes unmet the incident commander and each silent group's escalation contact are
paged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from tripwire.domain.clock import isoformat_z
from tripwire.respond.acks import delivery
from tripwire.respond.core import Conflict
from tripwire.respond.paging import Message, describe
from tripwire.store.tables.respond import DeadlineRow, IncidentRow, NoticeRow

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService


@dataclass(frozen=True, slots=True)
class Told:
    """Who a group notification reached (`people`) and the deadline it must meet, if any."""

    people: list[str]
    deadline: int | None


def notify_groups(
    service: IncidentService,
    incident: IncidentRow,
    groups: Sequence[str],
    reason: str,
    *,
    due_at: datetime | None = None,
    escalate_to: str | None = "incident_commander",
    actor: str = "tripwire",
) -> Told:
    """Tell every member of `groups`; with `due_at`, their acknowledgement is a deadline."""
    unknown = [g for g in groups if g not in service.rc.stakeholders]
    if unknown:
        raise Conflict(f"no stakeholder group {unknown[0]!r} in respond.stakeholders")
    members = [m for g in groups for m in service.rc.stakeholders[g].members]
    if not members:
        return Told([], None)
    deadline = _deadline(service, incident, groups, due_at, escalate_to) if due_at else None
    people: list[str] = []
    for group in groups:
        people += _tell_group(service, incident, group, reason, deadline)
    by = f"; acknowledgement due by {isoformat_z(due_at)}" if due_at else ""
    service.log(
        incident,
        "stakeholders_notified",
        f"Notified {', '.join(groups)} ({', '.join(people)}): {reason}{by}",
        actor,
        {"groups": list(groups), "people": people, "deadline": deadline},
    )
    return Told(people, deadline)


def acknowledge(service: IncidentService, notice_id: int, person: str, via: str) -> NoticeRow:
    """`person` acknowledges the stakeholder notice `notice_id` (idempotent)."""
    notice = service.session.get(NoticeRow, notice_id)
    if notice is None or notice.kind != "stakeholder" or notice.person != person:
        raise Conflict("this acknowledge link does not match a notification")
    if notice.acked_at is not None:
        return notice
    incident = service.session.get(IncidentRow, notice.incident)
    assert incident is not None
    notice.acked_at, notice.acked_via = service.clock.now(), via
    text = f"{person} ({notice.group_name}) acknowledged the notification via {via}"
    data = {"person": person, "group": notice.group_name, "channel": notice.channel, "via": via}
    service.log(incident, "stakeholder_ack", text + f" ({notice.channel})", person, data)
    if notice.deadline is not None:
        settle(service, notice.deadline)
    return notice


def settle(service: IncidentService, deadline_id: int) -> bool:
    """Meet the deadline if every group acknowledged a delivered notice; True when met."""
    row = service.session.get(DeadlineRow, deadline_id)
    if row is None or row.met_at is not None or row.missed_at is not None:
        return row is not None and row.met_at is not None
    if silent_groups(service, deadline_id):
        return False
    row.met_at = service.clock.now()
    incident = service.session.get(IncidentRow, row.incident)
    assert incident is not None
    service.log(incident, "deadline_met", f"Deadline met: {row.name}", data={"deadline": row.id})
    return True


def silent_groups(service: IncidentService, deadline_id: int) -> list[str]:
    """The groups of a deadline with no delivered, acknowledged notice yet."""
    rows = _notices(service, deadline_id)
    states = delivery(service.session, [n.outbox_id for n in rows if n.outbox_id])
    groups = sorted({n.group_name for n in rows if n.group_name})
    done = {
        n.group_name
        for n in rows
        if n.acked_at is not None and states.get(n.outbox_id or "") == "delivered"
    }
    return [g for g in groups if g not in done]


def escalate_missed(service: IncidentService, row: DeadlineRow, incident: IncidentRow) -> bool:
    """A deadline passed: False when it is not a stakeholder deadline. Otherwise met late if
    the acknowledgements are all in, or else the commander and each silent group's escalation
    contact are paged."""
    if not _notices(service, row.id):
        return False
    silent = silent_groups(service, row.id)
    if not silent:
        row.met_at = service.clock.now()
        service.log(
            incident, "deadline_met", f"Deadline met: {row.name}", data={"deadline": row.id}
        )
        return True
    row.missed_at = service.clock.now()
    text = f"Deadline missed: {row.name} (not acknowledged by {', '.join(silent)}); escalating"
    service.log(incident, "deadline_missed", text, data={"deadline": row.id, "groups": silent})
    reason = f"{', '.join(silent)} did not acknowledge in time"
    if row.page_role:
        service.page(incident, f"role:{row.page_role}", reason)
    for group in silent:
        contact = service.rc.stakeholders[group].escalation_contact
        if contact:
            service.page(incident, f"person:{contact}", reason)
    return True


def _notices(service: IncidentService, deadline_id: int) -> list[NoticeRow]:
    query = select(NoticeRow).where(
        NoticeRow.deadline == deadline_id, NoticeRow.kind == "stakeholder"
    )
    return list(service.session.scalars(query))


def _deadline(
    service: IncidentService,
    incident: IncidentRow,
    groups: Sequence[str],
    due_at: datetime,
    escalate_to: str | None,
) -> int:
    name = f"{' and '.join(groups)} acknowledged the notification"
    row = DeadlineRow(
        incident=incident.number, name=name[:256], due_at=due_at, page_role=escalate_to
    )
    service.session.add(row)
    service.session.flush()
    return row.id


def _tell_group(
    service: IncidentService, incident: IncidentRow, group: str, reason: str, deadline: int | None
) -> list[str]:
    spec, now = service.rc.stakeholders[group], service.clock.now()
    text = f"For {group}: {reason}. {describe(incident)}"
    subject = f"[{group}] {describe(incident)}"
    for member in spec.members:
        for channel in service.rc.people[member].notify:
            notice = _notice(service, incident, group, member, channel, reason, deadline)
            message = Message("incident.stakeholder", text, subject, ack=True)
            notice.outbox_id = service.pager.tell(
                incident, member, channel, message, now, notice.id
            )
    for channel in spec.channels:  # the group's shared inbox or chat: a copy, no link
        notice = _notice(service, incident, group, None, channel, reason, None)
        message = Message("incident.stakeholder", text, subject)
        notice.outbox_id = service.pager.tell(incident, None, channel, message, now)
    return list(spec.members)


def _notice(
    service: IncidentService,
    incident: IncidentRow,
    group: str,
    person: str | None,
    channel: str,
    reason: str,
    deadline: int | None,
) -> NoticeRow:
    now = service.clock.now()
    row = NoticeRow(
        incident=incident.number,
        kind="stakeholder",
        state="sent",
        person=person,
        group_name=group,
        channel=channel,
        reason=reason[:2000],
        created_at=now,
        send_at=now,
        sent_at=now,
        deadline=deadline,
    )
    service.session.add(row)
    service.session.flush()
    return row
