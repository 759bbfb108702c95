"""The digest: one notification, at the configured hour, listing every low-urgency incident
(P3 by default) opened since the last one. A single-owner timer (respond's tick)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tripwire.domain.clock import isoformat_z
from tripwire.notify.outbox import enqueue
from tripwire.respond.ids import incident_id
from tripwire.respond.paging import who_is_on_call
from tripwire.respond.views import notice_json
from tripwire.store.tables.respond import IncidentRow, NoticeRow

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService

MAX_LISTED = 200  # one message stays readable; the rest are counted


def send_digest(service: IncidentService) -> int:
    """Send the digest if one is due; returns how many incidents it listed."""
    now = service.clock.now()
    due = list(
        service.session.scalars(
            select(NoticeRow)
            .where(
                NoticeRow.kind == "digest",
                NoticeRow.state == "deferred",
                NoticeRow.send_at <= now,
            )
            .order_by(NoticeRow.id)
        )
    )
    if not due:
        return 0
    incidents: list[IncidentRow] = []
    for row in due:
        row.state, row.sent_at = "sent", now
        incident = service.session.get(IncidentRow, row.incident)
        assert incident is not None
        incidents.append(incident)
    people = recipients(service)
    payload = _payload(service, incidents)
    ids = _send(service, people, payload)
    for row, incident in zip(due, incidents, strict=True):
        row.outbox_id = ids[0] if ids else None
        told = ", ".join(people) or "no recipient configured"
        service.log(incident, "digest", f"Listed in the digest sent to {told}", data={"to": people})
    return len(incidents)


def recipients(service: IncidentService) -> list[str]:
    """The people the digest goes to: `urgency.digest.targets`, or level 1 of the default
    escalation policy (whoever is on call when it is sent)."""
    rc, now = service.rc, service.clock.now()
    targets = list(rc.urgency.digest.targets)
    policy = rc.escalation_policies.get(rc.default_escalation_policy or "")
    if not targets and policy is not None:
        targets = list(policy.levels[0].targets)
    people: list[str] = []
    for target in targets:
        kind, _, name = target.partition(":")
        person = name if kind == "person" else None
        if kind == "schedule":
            person = who_is_on_call(service.session, rc, name, now)
        if person and person in rc.people and person not in people:
            people.append(person)
    return people


def _payload(service: IncidentService, incidents: list[IncidentRow]) -> dict[str, Any]:
    url = service.settings.public_url
    lines = [
        f"- [{i.severity}] {incident_id(i.number)} {i.title} ({i.status}) "
        f"{url.rstrip('/')}/incidents/{incident_id(i.number)}"
        for i in incidents[:MAX_LISTED]
    ]
    if len(incidents) > MAX_LISTED:
        lines.append(f"... and {len(incidents) - MAX_LISTED} more")
    count = len(incidents)
    return {
        "event": "incident.digest",
        "at": isoformat_z(service.clock.now()),
        "subject": f"Tripwire digest: {count} low-urgency incident(s)",
        "text": f"{count} low-urgency incident(s) since the last digest:\n" + "\n".join(lines),
        "incidents": [notice_json(i, url) for i in incidents[:MAX_LISTED]],
    }


def _send(service: IncidentService, people: list[str], payload: dict[str, Any]) -> list[str]:
    now, rc = service.clock.now(), service.rc
    ids: list[str] = []
    for person in people:
        info = rc.people[person]
        for channel in info.notify:
            addressed = payload | {
                "recipient": {"person": person, "name": info.name, "email": info.email}
            }
            ids.append(_put(service, channel, addressed, now))
    for channel in rc.urgency.digest.channels:
        ids.append(_put(service, channel, payload, now))
    return ids


def _put(service: IncidentService, channel: str, payload: dict[str, Any], now: Any) -> str:
    return enqueue(
        service.session,
        channel=channel,
        event="incident.digest",
        payload=payload,
        ordering_key="digest",
        now=now,
    )
