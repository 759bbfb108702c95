"""Stored outputs, newest first, filtered and paged, each with its scores (`GET /v1/outputs`
and the console's outputs explorer)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from tripwire.config.costs import CostsConfig
from tripwire.domain.events import parse_rfc3339
from tripwire.store.tables.events import EventRow

MAX_LIMIT = 500
PRODUCT = "product"  # the source of scores that came inside the output itself
_SEGMENTS = ("model", "model_version", "prompt_version", "status")


class BadCursor(ValueError):
    """The cursor was not given out by `outputs_page` (or was altered)."""


@dataclass(frozen=True, slots=True)
class OutputsQuery:
    """Filters: `since` inclusive, `until` exclusive (event time); the rest exact matches."""

    use_case: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    model: str | None = None
    model_version: str | None = None
    prompt_version: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class OutputsPage:
    """One page of outputs (stored JSON plus `scores`, and `cost` where it is known) and the
    cursor of the next page (None on the last)."""

    outputs: list[dict[str, Any]]
    cursor: str | None


def outputs_page(
    session: Session, query: OutputsQuery, costs: CostsConfig | None = None
) -> OutputsPage:
    """The outputs matching `query`, newest event time first. An output whose content was
    not captured has no `input`/`output` keys. Raises BadCursor for a cursor not from here."""
    limit = max(1, min(query.limit, MAX_LIMIT))
    stmt = _filtered(query).order_by(EventRow.ts.desc(), EventRow.seq.desc()).limit(limit + 1)
    rows = session.execute(stmt).all()
    page = rows[:limit]
    scores = scores_of(session, [str(r.id) for r in page])
    outputs = [_shown(dict(r.payload), scores.get(str(r.id), []), costs) for r in page]
    more = len(rows) > limit
    return OutputsPage(outputs, encode_cursor(page[-1].ts, int(page[-1].seq)) if more else None)


def scores_of(session: Session, output_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The `score` events of each output, oldest first, as {name, value, source, ...}."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not output_ids:
        return found
    stmt = (
        select(EventRow.output_id, EventRow.payload)
        .where(EventRow.output_id.in_(list(output_ids)), EventRow.type == "score")
        .order_by(EventRow.ts, EventRow.seq)
    )
    for output_id, payload in session.execute(stmt):
        found.setdefault(str(output_id), []).append(_score(payload))
    return found


def encode_cursor(ts: datetime, seq: int) -> str:
    token = f"{ts.isoformat().replace('+00:00', 'Z')}|{seq}"
    return base64.urlsafe_b64encode(token.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        when, _, seq = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        # A sequence number is a 64-bit integer: a bigger one would overflow the bound parameter.
        if not (seq.isascii() and seq.isdigit()) or len(seq) > 18:
            raise ValueError("not a sequence number")
        return parse_rfc3339(when), int(seq)
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("cursor is not one this API gave out; start without it") from None


def _filtered(query: OutputsQuery) -> Select[Any]:
    stmt = select(EventRow.seq, EventRow.id, EventRow.ts, EventRow.payload).where(
        EventRow.type == "output"
    )
    if query.use_case is not None:
        stmt = stmt.where(EventRow.use_case == query.use_case)
    if query.since is not None:
        stmt = stmt.where(EventRow.ts >= query.since)
    if query.until is not None:
        stmt = stmt.where(EventRow.ts < query.until)
    for field in _SEGMENTS:
        wanted = getattr(query, field)
        if wanted is not None:
            stmt = stmt.where(EventRow.payload[field].as_string() == wanted)
    if query.cursor:
        ts, seq = decode_cursor(query.cursor)
        stmt = stmt.where(or_(EventRow.ts < ts, and_(EventRow.ts == ts, EventRow.seq < seq)))
    return stmt


def _shown(
    payload: dict[str, Any], scores: list[dict[str, Any]], costs: CostsConfig | None
) -> dict[str, Any]:
    own = payload.pop("scores", None) or {}
    payload["scores"] = [{"name": n, "value": v, "source": PRODUCT} for n, v in own.items()]
    payload["scores"] += scores
    cost = (
        costs.cost(payload["model"], payload.get("input_tokens"), payload.get("output_tokens"))
        if costs
        else None
    )
    if cost is not None:
        payload["cost"] = round(cost, 10)
    return payload


def _score(payload: dict[str, Any]) -> dict[str, Any]:
    shown = {
        "id": payload["id"],
        "name": payload["name"],
        "value": payload["value"],
        "source": payload.get("source") or PRODUCT,
        "ts": payload["ts"],
    }
    shown.update({k: payload[k] for k in ("label", "explanation") if k in payload})
    return shown
