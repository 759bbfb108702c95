"""The GenAI content join: spans whose content comes as OTLP log records meet their records.

Whichever side arrives first is stored durably before the export is acknowledged: an output
without content waits in `genai_held_outputs`, log records in `genai_content_parts`. When the
other side arrives and the call is complete (`genai_assemble.complete`) the output moves to the
events table with its content, in the same transaction; otherwise the `JoinWorker` releases it
when its window (`TRIPWIRE_OTLP_JOIN_WINDOW_S`) ends, with whatever content joined by then.
Only then does the pipeline see the output, so it is evaluated once, with its content.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock
from tripwire.domain.events import EVENT_ADAPTER, Event, event_to_json
from tripwire.ingest.genai_assemble import assemble, complete, scores
from tripwire.ingest.writer import load_row
from tripwire.store.db import Database
from tripwire.store.events import LoadRow, load_count, outputs_by_id
from tripwire.store.genai import (
    Part,
    due_held,
    held_count,
    held_ids,
    held_payloads,
    hold,
    lock_join,
    mark_joined,
    parts_for,
    purge_parts,
    take_held,
)

log = logging.getLogger("tripwire.ingest")


@dataclass(frozen=True, slots=True)
class JoinLimits:
    """How long a side waits for the other, and how many may wait at once."""

    window: timedelta
    max_pending: int

    @classmethod
    def from_settings(cls, settings: Settings) -> JoinLimits:
        return cls(timedelta(seconds=settings.otlp_join_window_s), settings.otlp_join_max_pending)


def hold_outputs(
    session: Session, outputs: Sequence[Event], now: datetime, limits: JoinLimits
) -> int:
    """Store content-less outputs for the join (call under `lock_join`); returns how many were
    new. Those whose parts are all there already leave at once with their content; the others
    wait. When the held table is full the rest go straight to the events table without
    content (nothing is lost but the join)."""
    ids = list(dict.fromkeys(o.id for o in outputs))
    known = set(outputs_by_id(session, ids)) | held_ids(session, ids)
    fresh = {o.id: event_to_json(o) for o in outputs if o.id not in known}
    parts = parts_for(session, list(fresh))
    ready = {i: p for i, p in fresh.items() if complete(p, parts.get(i, []))}
    waiting = [i for i in fresh if i not in ready]
    room = max(0, limits.max_pending - held_count(session))
    if len(waiting) > room:
        log.warning("GenAI join is full: %d outputs stored without content", len(waiting) - room)
    rows = _joined_rows(ready, parts)
    rows += [_output_row(fresh[i], fresh[i]) for i in waiting[room:]]
    hold(session, [_held_row(fresh[i], now, limits.window) for i in waiting[:room]])
    mark_joined(session, list(ready))
    load_count(session, rows, now)
    return len(fresh)


def release_complete(session: Session, ids: Sequence[str], now: datetime) -> int:
    """Release the held outputs among `ids` whose parts are all there."""
    payloads = held_payloads(session, ids)
    parts = parts_for(session, list(payloads))
    ready = [i for i, p in payloads.items() if complete(p, parts.get(i, []))]
    return release(session, ready, now) if ready else 0


def release(session: Session, ids: Sequence[str], now: datetime) -> int:
    """Move held outputs to the events table with the content and scores of their parts."""
    taken = take_held(session, ids)
    if not taken:
        return 0
    rows = _joined_rows(taken, parts_for(session, list(taken)))
    mark_joined(session, list(taken))
    load_count(session, rows, now)
    return len(taken)


def _joined_rows(outputs: dict[str, dict[str, Any]], parts: dict[str, list[Part]]) -> list[LoadRow]:
    """Each output with its parts' content, then the scores of its evaluation parts."""
    rows: list[LoadRow] = []
    for output_id, payload in outputs.items():
        own = parts.get(output_id, [])
        rows.append(_output_row(payload, assemble(payload, own)))
        rows.extend(row for row in (_score_row(s) for s in scores(payload, own)) if row)
    return rows


class JoinWorker:
    """Background task of `serve` and `worker`: releases held outputs whose window has ended
    and forgets log records that outlived theirs."""

    def __init__(self, db: Database, limits: JoinLimits, clock: Clock, batch: int = 500) -> None:
        self.db = db
        self.limits = limits
        self.clock = clock
        self.batch = batch

    def run_once(self) -> bool:
        """One round; True when more held outputs are due at once."""
        with self.db.session() as session:
            lock_join(session)
            now = self.clock.now()
            due = due_held(session, now, self.batch)
            if due:
                release(session, due, now)
            orphans = purge_parts(session, now - self.limits.window)
        if orphans:
            log.info("dropped %d GenAI log records whose span never arrived", orphans)
        return len(due) == self.batch


def _held_row(output: dict[str, Any], now: datetime, window: timedelta) -> dict[str, Any]:
    return {
        "id": output["id"],
        "use_case": output["use_case"],
        "payload": output,
        "received_at": now,
        "release_at": now + window,
    }


def _output_row(held: dict[str, Any], joined: dict[str, Any]) -> LoadRow:
    try:
        return load_row(EVENT_ADAPTER.validate_python(joined))
    except ValidationError as exc:  # cannot happen with cut content; never lose the output
        log.warning("joined content of output %s refused (%s); stored without it", held["id"], exc)
        return load_row(EVENT_ADAPTER.validate_python(held))


def _score_row(raw: dict[str, Any]) -> LoadRow | None:
    try:
        return load_row(EVENT_ADAPTER.validate_python(raw))
    except ValidationError as exc:
        log.warning("evaluation %s refused at release: %s", raw.get("id"), exc)
        return None


__all__ = ["JoinLimits", "JoinWorker", "hold_outputs", "lock_join", "release", "release_complete"]
