"""Classifying `ticket` events that arrived without a topic, and keeping the result."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tripwire.config.evaluate import TicketsConfig
from tripwire.domain.clock import Clock
from tripwire.store.events import StoredEvent
from tripwire.store.tables.evaluate import TicketTopicRow

log = logging.getLogger("tripwire.evaluate")


def classify_ticket_events(
    session: Session, events: Sequence[StoredEvent], config: TicketsConfig, clock: Clock
) -> dict[str, str]:
    """Topic per ticket event id; each classification is stored once (ticket_topics table)."""
    if not events:
        return {}
    # Imported here: scikit-learn takes seconds to import, and most processes never see a ticket.
    from tripwire.evaluate.tickets.classifier import classify, load_classifier
    from tripwire.evaluate.tickets.model import ModelFileError

    tickets = [(str(e.payload.get("text", "")), e.payload.get("subject")) for e in events]
    path = config.model
    try:
        predictions = classify(tickets, path)
    except ModelFileError as exc:
        # A broken model file must not stop the pipeline: say so loudly and use the built-in.
        log.error("evaluate.tickets.model unusable (%s); using the built-in classifier", exc)
        path = None
        predictions = classify(tickets, path)
    model_name = load_classifier(path).name
    now = clock.now()
    rows = [
        {
            "event_id": e.id,
            "use_case": e.use_case,
            "ts": e.ts,
            "topic": p.topic,
            "confidence": p.confidence,
            "model": model_name[:128],
            "classified_at": now,
        }
        for e, p in zip(events, predictions, strict=True)
    ]
    dialect = session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 500):
        stmt = insert_fn(TicketTopicRow).on_conflict_do_nothing(index_elements=["event_id"])
        session.execute(stmt, rows[start : start + 500])
    return {e.id: p.topic for e, p in zip(events, predictions, strict=True)}


def stored_topics(session: Session, event_ids: Sequence[str]) -> dict[str, tuple[str, float]]:
    """What Tripwire decided for these tickets: id -> (topic, confidence)."""
    found: dict[str, tuple[str, float]] = {}
    for start in range(0, len(event_ids), 500):
        chunk = list(event_ids[start : start + 500])
        query = select(TicketTopicRow).where(TicketTopicRow.event_id.in_(chunk))
        for row in session.scalars(query):
            found[row.event_id] = (row.topic, row.confidence)
    return found
