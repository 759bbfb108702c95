"""Who acknowledged what: per-person acknowledgements of an incident's page, and the notices
(held pages, digest entries, task and stakeholder messages) with their delivery state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.store.tables.respond import AckRow, NoticeRow
from tripwire.store.tables.runtime import OutboxRow


def _z(when: datetime | None) -> str | None:
    return None if when is None else isoformat_z(when)


def add_ack(
    session: Session,
    incident: int,
    person: str,
    at: datetime,
    via: str,
    channel: str | None = None,
    notice: int | None = None,
) -> AckRow:
    row = AckRow(
        incident=incident, person=person[:256], at=at, via=via, channel=channel, notice=notice
    )
    session.add(row)
    session.flush()
    return row


def acks(session: Session, incident: int) -> list[AckRow]:
    query = select(AckRow).where(AckRow.incident == incident).order_by(AckRow.id)
    return list(session.scalars(query))


def has_acked(session: Session, incident: int, person: str) -> bool:
    query = select(AckRow.id).where(AckRow.incident == incident, AckRow.person == person)
    return session.scalar(query.limit(1)) is not None


def notices(session: Session, incident: int) -> list[NoticeRow]:
    query = select(NoticeRow).where(NoticeRow.incident == incident).order_by(NoticeRow.id)
    return list(session.scalars(query))


def delivery(session: Session, outbox_ids: list[str]) -> dict[str, str]:
    """The outbox state (pending, delivered, failed) of each message id."""
    if not outbox_ids:
        return {}
    rows = session.execute(
        select(OutboxRow.id, OutboxRow.status).where(OutboxRow.id.in_(outbox_ids))
    )
    return {str(i): str(s) for i, s in rows}


def acks_json(session: Session, incident: int) -> list[dict[str, Any]]:
    return [
        {"person": a.person, "at": _z(a.at), "via": a.via, "channel": a.channel}
        for a in acks(session, incident)
    ]


def notices_json(session: Session, incident: int) -> list[dict[str, Any]]:
    rows = notices(session, incident)
    states = delivery(session, [n.outbox_id for n in rows if n.outbox_id])
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "state": n.state,
            "person": n.person,
            "group": n.group_name,
            "channel": n.channel,
            "reason": n.reason,
            "send_at": _z(n.send_at),
            "sent_at": _z(n.sent_at),
            "delivery": states.get(n.outbox_id) if n.outbox_id else None,
            "acked_at": _z(n.acked_at),
            "acked_via": n.acked_via,
        }
        for n in rows
    ]
