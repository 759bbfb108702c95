"""Storing OTLP log exports: GenAI content joins its span's output, evaluations become scores.

Everything a request brings is committed (or refused as a whole with 429 when the join is
full) before this returns; see `tripwire.ingest.genai_join` for the join itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tripwire.domain.clock import Clock
from tripwire.ingest.genai_assemble import score_event
from tripwire.ingest.genai_join import JoinLimits, release_complete
from tripwire.ingest.otlp_ingest import MAX_PROBLEMS_REPORTED, RESPONSE_ID_WINDOW, TooManyEvents
from tripwire.ingest.otlp_logs import EVALUATION, LogPart, LogsMapping, map_logs
from tripwire.ingest.validate import BatchInvalid, parse_event
from tripwire.ingest.writer import load_row
from tripwire.store.db import Database
from tripwire.store.events import load_count, outputs_by_id, outputs_by_response_id
from tripwire.store.genai import (
    Part,
    add_parts,
    existing_parts,
    held_by_response_id,
    lock_join,
    unjoined_count,
)


class JoinFull(Exception):
    """The join holds as many log records as it may (HTTP 429): retry after a while."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the GenAI content join is full; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LogsResult:
    """What became of one export: records stored, already known, refused and ignored."""

    accepted: int
    duplicates: int
    rejected: int
    ignored: int
    message: str


def ingest_logs(
    db: Database, request: Any, clock: Clock, max_events: int, join: JoinLimits
) -> LogsResult:
    """Store the GenAI records of `request` (an `ExportLogsServiceRequest`)."""
    mapping = map_logs(request)
    if len(mapping.parts) > max_events:
        raise TooManyEvents(
            f"this export has {len(mapping.parts)} GenAI log records; at most {max_events}"
        )
    _check_evaluations(mapping)
    with db.session() as session:
        lock_join(session)
        _resolve_response_ids(session, mapping)
        accepted, duplicates = _join(session, mapping, clock, join)
    problems = mapping.problems
    return LogsResult(accepted, duplicates, len(problems), mapping.ignored, _summary(problems))


def _join(
    session: Session, mapping: LogsMapping, clock: Clock, join: JoinLimits
) -> tuple[int, int]:
    now = clock.now()
    spans = sorted({p.span for p in mapping.parts})
    stored = outputs_by_id(session, spans)
    waiting = [p for p in mapping.parts if p.span not in stored]
    if waiting and unjoined_count(session) + len(waiting) > join.max_pending:
        raise JoinFull(max(1, int(join.window.total_seconds() // 4)))
    new_parts = add_parts(session, [_row(p, now) for p in waiting])
    release_complete(session, sorted({p.span for p in waiting}), now)
    late = [p for p in mapping.parts if p.span in stored]
    evaluations = [p for p in late if p.kind == EVALUATION]
    scored, refused = _score_now(session, evaluations, stored, now, mapping.problems)
    known = existing_parts(session, [p.id for p in late if p.kind != EVALUATION])
    for part in late:
        if part.kind != EVALUATION and part.id not in known:
            mapping.problems.append((part.label, _too_late(part, join)))
    accepted = new_parts + scored
    return accepted, len(mapping.parts) - accepted - _refused_late(late, known) - refused


def _score_now(
    session: Session,
    parts: list[LogPart],
    stored: dict[str, tuple[str, str | None]],
    now: datetime,
    problems: list[tuple[str, str]],
) -> tuple[int, int]:
    """Store the scores of evaluations whose output is stored; (how many new, how many
    refused). A score valid with `_check_evaluations`' placeholder may not be with its output:
    an output's long id makes the score's too long. It is refused alone, not the export."""
    rows = []
    for part in parts:
        output_id, use_case = stored[part.span]
        raw = score_event(_as_part(part), output_id, use_case or "")
        try:
            rows.append(load_row(parse_event(raw)))
        except BatchInvalid as exc:
            detail = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            problems.append((part.label, f"evaluation: {detail}"))
    return load_count(session, rows, now), len(parts) - len(rows)


def _check_evaluations(mapping: LogsMapping) -> None:
    """Refuse evaluations that could never become a valid score, now, while the sender is
    still listening (a placeholder stands in for the output they will join)."""
    kept: list[LogPart] = []
    for part in mapping.parts:
        if part.kind == EVALUATION:
            raw = score_event(_as_part(part), part.span or "pending", "pending")
            try:
                parse_event(raw)
            except BatchInvalid as exc:
                detail = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
                mapping.problems.append((part.label, f"evaluation: {detail}"))
                continue
        kept.append(part)
    mapping.parts = kept


def _resolve_response_ids(session: Session, mapping: LogsMapping) -> None:
    """Evaluations recorded outside the evaluated span find it by `gen_ai.response.id`."""
    wanted = sorted({p.response_id for p in mapping.parts if not p.span and p.response_id})
    if not wanted:
        return
    found = held_by_response_id(session, wanted)
    since = _earliest(mapping) - RESPONSE_ID_WINDOW
    found.update(outputs_by_response_id(session, [w for w in wanted if w not in found], since))
    kept: list[LogPart] = []
    for part in mapping.parts:
        if not part.span:
            match = found.get(part.response_id or "")
            if match is None:
                mapping.problems.append((part.label, _unmatched(part)))
                continue
            part = _with_span(part, match[0])
        kept.append(part)
    mapping.parts = kept


def _earliest(mapping: LogsMapping) -> datetime:
    stamps = [p.data.get("ts") for p in mapping.parts if p.kind == EVALUATION]
    times = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps if s]
    return min(times) if times else datetime(1970, 1, 1, tzinfo=UTC)


def _with_span(part: LogPart, span: str) -> LogPart:
    return LogPart(
        part.id, span, part.kind, part.position, part.ordinal, part.data, None, part.label
    )


def _as_part(part: LogPart) -> Part:
    return Part(part.id, part.span, part.kind, part.position, part.ordinal, part.data)


def _row(part: LogPart, now: datetime) -> dict[str, Any]:
    return {
        "id": part.id,
        "span": part.span,
        "kind": part.kind,
        "position": part.position,
        "ordinal": part.ordinal,
        "data": part.data,
        "received_at": now,
        "joined": False,
    }


def _refused_late(late: list[LogPart], known: set[str]) -> int:
    return sum(1 for p in late if p.kind != EVALUATION and p.id not in known)


def _too_late(part: LogPart, join: JoinLimits) -> str:
    return (
        f"arrived after output {part.span} was stored (its content is joined for "
        f"{join.window.total_seconds():g} s; TRIPWIRE_OTLP_JOIN_WINDOW_S); export logs and "
        "traces together"
    )


def _unmatched(part: LogPart) -> str:
    return (
        f"evaluation: no output with gen_ai.response.id {part.response_id!r} is known; "
        "send the evaluated span first"
    )


def _summary(problems: list[tuple[str, str]]) -> str:
    if not problems:
        return ""
    shown = [f"{label}: {message}" for label, message in problems[:MAX_PROBLEMS_REPORTED]]
    more = len(problems) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
