"""What happened to each recipient of a user message: queued, sent or failed (with the error
and the attempts), read from the outbox notification that carries it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.store.tables.communicate import UserMessageRecipientRow, UserMessageRow
from tripwire.store.tables.runtime import OutboxRow

STATES = {"pending": "queued", "delivered": "sent", "failed": "failed"}


def recipients(
    session: Session, message: int, *, after: int = 0, limit: int = 1000
) -> list[dict[str, Any]]:
    rows = session.execute(
        select(UserMessageRecipientRow, OutboxRow)
        .outerjoin(OutboxRow, OutboxRow.id == UserMessageRecipientRow.outbox_id)
        .where(UserMessageRecipientRow.message == message, UserMessageRecipientRow.id > after)
        .order_by(UserMessageRecipientRow.id)
        .limit(limit)
    ).all()
    return [_recipient(r, note) for r, note in rows]


def _recipient(row: UserMessageRecipientRow, note: OutboxRow | None) -> dict[str, Any]:
    if note is None:
        state, attempts, error, sent_at = "failed", 0, row.error, None
    else:
        state, attempts, error = (
            STATES.get(note.status, note.status),
            note.attempts,
            note.last_error,
        )
        sent_at = isoformat_z(note.delivered_at) if note.delivered_at else None
    return {
        "id": row.id,
        "user_id": row.user_id,
        "address": row.address,
        "outputs": row.outputs,
        "state": state,
        "attempts": attempts,
        "error": error,
        "sent_at": sent_at,
    }


def state_counts(session: Session, message: int) -> dict[str, int]:
    counted: Counter[str] = Counter({"queued": 0, "sent": 0, "failed": 0})
    rows = session.execute(
        select(OutboxRow.status)
        .select_from(UserMessageRecipientRow)
        .outerjoin(OutboxRow, OutboxRow.id == UserMessageRecipientRow.outbox_id)
        .where(UserMessageRecipientRow.message == message)
    )
    for (status,) in rows:
        counted[STATES.get(status, "failed") if status else "failed"] += 1
    return dict(counted)


def message_json(session: Session, row: UserMessageRow, *, detail: bool = False) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return isoformat_z(value) if value else None

    out: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "subject": row.subject,
        "text": row.text,
        "findings": row.findings,
        "created_by": row.created_by,
        "created_at": when(row.created_at),
        "approved_by": row.approved_by,
        "approved_at": when(row.approved_at),
        "sent_by": row.sent_by,
        "sent_at": when(row.sent_at),
        "channel": row.channel,
        "recipients": row.recipients,
        "delivery": state_counts(session, row.id) if row.status == "sent" else None,
    }
    if detail:
        out["recipient_states"] = recipients(session, row.id)
    return out
