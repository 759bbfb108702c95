"""Messages to affected users: drafted from the incident, edited by people, linted, approved by
the incident's communications lead, then sent to every affected user through the outbox.

Nothing reaches a user unless the exact text was approved and the lint finds nothing: a
placeholder, vague scope, internal names or blame block sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.communicate.audience import Audience, audience, every_user, internal_terms
from tripwire.communicate.drafts import Draft, DraftFacts, Kind, draft
from tripwire.communicate.lint import Finding, Scope, lint
from tripwire.config.file import TripwireConfig
from tripwire.notify.outbox import enqueue
from tripwire.respond import queries
from tripwire.respond.ids import incident_id
from tripwire.respond.service import Conflict, IncidentService, NotFound
from tripwire.respond.work import meet_deadline, set_task_status
from tripwire.store.tables.communicate import UserMessageRecipientRow, UserMessageRow
from tripwire.store.tables.respond import IncidentRow

LEAD = "communications_lead"
USER_CHANNEL_TYPES = ("email", "webhook")
EVENT = "user.message"
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
FOLLOW_UP_DEADLINE = "Follow-up to affected users"
FOLLOW_UP_SOURCE = "communicate:follow_up"


class Refused(Conflict):
    """The message cannot move on; `findings` says what the lint found, if that is why."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


@dataclass(frozen=True, slots=True)
class Checked:
    """A message and the context it was linted in."""

    found: Audience
    scope: Scope


def _audience(service: IncidentService, ident: str | int) -> Audience:
    found = audience(
        service.session,
        incident_id(service.get(ident).number),
        service.clock.now(),
        service.config.communicate.affected_users,
    )
    assert found is not None  # service.get raised NotFound otherwise
    return found


def feature_name(config: TripwireConfig, incident: IncidentRow) -> str:
    spec = config.communicate.status_page.components.get(incident.use_case or "")
    return (spec.name if spec and spec.name else None) or incident.use_case or "our product"


def draft_of(session: Session, config: TripwireConfig, found: Audience, kind: Kind) -> Draft:
    """A draft from the incident's facts and its exact affected users."""
    incident = found.incident
    facts = DraftFacts(
        type=incident.type,
        use_case=incident.use_case,
        feature_name=feature_name(config, incident),
        started_at=incident.started_at,
        ended_at=incident.mitigated_at or incident.resolved_at,
        exposed_users=found.totals.users,
        exposed_outputs=found.totals.outputs,
    )
    made = draft(facts, kind)
    findings = lint(made.text, _scope(session, config, found, kind))
    return Draft(made.kind, made.subject, made.text, findings)


def _scope(session: Session, config: TripwireConfig, found: Audience, kind: str) -> Scope:
    return Scope(
        use_cases=(feature_name(config, found.incident),),
        resolved=kind == "resolution",
        follow_up=kind == "follow_up",
        internal_terms=internal_terms(session, found),
    )


def check(service: IncidentService, row: UserMessageRow) -> list[Finding]:
    found = _audience(service, row.incident)
    scope = _scope(service.session, service.config, found, row.kind)
    return lint(row.subject + "\n" + row.text, scope)


def create(
    service: IncidentService,
    ident: str,
    kind: Kind,
    actor: str,
    subject: str | None = None,
    text: str | None = None,
) -> UserMessageRow:
    """A new draft message; without `text`, the generated draft (to be edited)."""
    found = _audience(service, ident)
    made = draft_of(service.session, service.config, found, kind)
    now = service.clock.now()
    row = UserMessageRow(
        incident=found.incident.number,
        kind=kind,
        subject=(subject or made.subject)[:300],
        text=text if text is not None else made.text,
        status="draft",
        findings=[],
        created_by=actor,
        created_at=now,
        updated_at=now,
        recipients=0,
    )
    service.session.add(row)
    service.session.flush()
    row.findings = [f.as_json() for f in check(service, row)]
    service.log(
        found.incident,
        "user_message",
        f"User message {row.id} ({kind}) drafted",
        actor,
        {"message": row.id},
    )
    return row


def get(service: IncidentService, ident: str, message_id: int) -> UserMessageRow:
    incident = service.get(ident)
    row = service.session.get(UserMessageRow, message_id)
    if row is None or row.incident != incident.number:
        raise NotFound(f"no user message {message_id} on {incident_id(incident.number)}")
    return row


def edit(
    service: IncidentService,
    ident: str,
    message_id: int,
    actor: str,
    subject: str | None,
    text: str | None,
) -> UserMessageRow:
    """Change the text; an approved message goes back to draft (approval is of exact text)."""
    row = get(service, ident, message_id)
    if row.status == "sent":
        raise Refused("the message was sent; write a new one")
    row.subject = (subject or row.subject)[:300]
    row.text = text if text is not None else row.text
    if row.status == "approved":
        row.status, row.approved_by, row.approved_at = "draft", None, None
    row.updated_at = service.clock.now()
    row.findings = [f.as_json() for f in check(service, row)]
    service.log(
        service.get(ident),
        "user_message",
        f"User message {row.id} edited",
        actor,
        {"message": row.id},
    )
    return row


def approve(service: IncidentService, ident: str, message_id: int, actor: str) -> UserMessageRow:
    """Only the person holding the incident's communications lead role approves, and only a
    message the lint passes."""
    row = get(service, ident, message_id)
    incident = service.get(ident)
    leads = [r.person for r in queries.roles(service.session, incident.number) if r.role == LEAD]
    if not leads:
        raise Refused("nobody holds the communications_lead role on this incident; assign it")
    if actor not in leads:
        raise Refused(f"only the communications lead ({', '.join(leads)}) approves user messages")
    if row.status != "draft":
        raise Refused(f"the message is {row.status}")
    findings = check(service, row)
    row.findings = [f.as_json() for f in findings]
    if findings:
        raise Refused("the lint found problems; fix the text first", findings)
    now = service.clock.now()
    row.status, row.approved_by, row.approved_at, row.updated_at = "approved", actor, now, now
    service.log(
        incident, "user_message", f"User message {row.id} approved by {actor}", actor,
        {"message": row.id},
    )  # fmt: skip
    return row


def send(service: IncidentService, ident: str, message_id: int, actor: str) -> UserMessageRow:
    """Queue the approved message to every affected user (one outbox notification each)."""
    row = get(service, ident, message_id)
    if row.status != "approved":
        raise Refused(f"the message is {row.status}; the communications lead must approve it")
    findings = check(service, row)
    if findings:
        raise Refused("the lint found problems; fix the text first", findings)
    channel = _channel(service.config)
    found = _audience(service, ident)
    now = service.clock.now()
    count = 0
    for user in every_user(service.session, found.scope):
        _queue(service, row, channel, user.user_id, user.outputs, now)
        count += 1
    row.status, row.sent_by, row.sent_at, row.updated_at = "sent", actor, now, now
    row.channel, row.recipients = channel[0], count
    service.log(
        found.incident, "user_message_sent",
        f"User message {row.id} ({row.kind}) sent to {count} affected users via {channel[0]}",
        actor, {"message": row.id, "recipients": count},
    )  # fmt: skip
    if row.kind == "follow_up":
        _follow_up_done(service, found.incident, actor)
    return row


def _channel(config: TripwireConfig) -> tuple[str, str]:
    name = config.communicate.user_messages.channel
    if name is None:
        raise Refused("no channel for users: set communicate.user_messages.channel")
    spec = config.respond.channels.get(name)
    if spec is None or spec.type not in USER_CHANNEL_TYPES:
        raise Refused(f"communicate.user_messages.channel {name!r} must be an email or webhook "
                      "channel of respond.channels")  # fmt: skip
    return name, spec.type


def _queue(
    service: IncidentService,
    row: UserMessageRow,
    channel: tuple[str, str],
    user_id: str,
    outputs: int,
    now: datetime,
) -> None:
    name, kind = channel
    address: str | None = None
    error: str | None = None
    if kind == "email":
        address = service.config.communicate.user_messages.address.replace("{user_id}", user_id)
        if not ADDRESS.fullmatch(address):
            address, error = None, "no e-mail address for this user id"
    recipient = UserMessageRecipientRow(
        message=row.id, user_id=user_id, address=address, outputs=outputs, error=error
    )
    if error is None:
        payload: dict[str, Any] = {
            "event": EVENT,
            "message_id": row.id,
            "incident_id": incident_id(row.incident),
            "kind": row.kind,
            "subject": row.subject,
            "text": row.text,
            "recipient": {"user_id": user_id, "email": address, "outputs": outputs},
        }
        recipient.outbox_id = enqueue(
            service.session, channel=name, event=EVENT, payload=payload, ordering_key=None, now=now
        )
    service.session.add(recipient)


def _follow_up_done(service: IncidentService, incident: IncidentRow, actor: str) -> None:
    """The follow-up went out: its task is done and its deadline met."""
    for task in queries.tasks(service.session, incident.number):
        if task.source == FOLLOW_UP_SOURCE and task.status == "open":
            set_task_status(service, incident.number, task.id, "done", actor)
    open_deadlines = [
        d for d in queries.deadlines(service.session, incident.number)
        if d.name == FOLLOW_UP_DEADLINE and d.met_at is None
    ]  # fmt: skip
    if open_deadlines:
        meet_deadline(service, incident.number, FOLLOW_UP_DEADLINE, actor)


def messages(session: Session, number: int) -> list[UserMessageRow]:
    return list(
        session.scalars(
            select(UserMessageRow)
            .where(UserMessageRow.incident == number)
            .order_by(UserMessageRow.id)
        )
    )
