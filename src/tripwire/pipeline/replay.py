"""`tripwire replay`: load a JSONL file in ts order, idempotently, and run every stage on
event time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import Event, event_to_json
from tripwire.ingest.validate import BatchInvalid, EventError, parse_batch
from tripwire.pipeline.runner import EventTimeRunner
from tripwire.pipeline.stage import Stage, StageContext
from tripwire.respond.stage import INLINE_DELIVERY
from tripwire.store.db import Database
from tripwire.store.events import StoredEvent, event_row, insert_new, max_seq
from tripwire.store.runtime import set_cursor

CHUNK = 5000
CURSOR = "pipeline"

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    accepted: int
    duplicates: int


class ReplayInputError(Exception):
    """The file cannot be replayed; `problems` name the line and field of each bad event."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_events(path: Path) -> list[Event]:
    """Parse and validate every line; blank lines are skipped. All valid, or ReplayInputError."""
    raws: list[object] = []
    lines: list[int] = []
    problems: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raws.append(json.loads(line))
                lines.append(number)
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not valid JSON: {exc.msg}")
    try:
        events = parse_batch(raws)
    except BatchInvalid as exc:
        problems.extend(_with_lines(exc.errors, lines))
        if exc.total_bad > len(exc.errors):
            problems.append(f"... {exc.total_bad} bad events in all")
    if problems:
        raise ReplayInputError(problems)
    return events


def _with_lines(errors: list[EventError], lines: list[int]) -> list[str]:
    return [
        f"line {lines[e.index]}" + (f" (id {e.id!r})" if e.id else "") + f": {e.field}: {e.message}"
        for e in errors
    ]


def replay(
    db: Database,
    events: list[Event],
    stages: list[Stage],
    config: TripwireConfig,
    settings: Settings,
    progress: Progress | None = None,
) -> ReplayResult:
    """Store and process `events` in ts order (stable for equal ts), chunk by chunk.

    Each chunk commits its events, the stages' effects and the pipeline cursor together, so a
    replay that is interrupted and run again picks up exactly where it stopped.
    """
    ordered = sorted(events, key=lambda e: e.ts)
    if not ordered:
        return ReplayResult(0, 0, 0)
    clock = ManualClock(ordered[0].ts)
    runner = EventTimeRunner(stages, clock)
    accepted = 0
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        accepted += _load_chunk(db, chunk, runner, clock, config, settings)
        if progress is not None:
            progress(len(chunk))
    with db.session() as session:
        runner.finish(lambda: _context(session, clock, config, settings))
    return ReplayResult(len(ordered), accepted, len(ordered) - accepted)


def _load_chunk(
    db: Database,
    chunk: Iterable[Event],
    runner: EventTimeRunner,
    clock: ManualClock,
    config: TripwireConfig,
    settings: Settings,
) -> int:
    payloads = [(event_to_json(e), e) for e in chunk]
    rows = [event_row(p, e.ts, e.ts) for p, e in payloads]
    with db.session() as session:
        inserted = insert_new(session, rows)
        fresh = [
            StoredEvent(inserted[p["id"]], p["id"], e.type, e.ts, p.get("use_case"), p)
            for p, e in payloads
            if p["id"] in inserted
        ]
        runner.feed(lambda: _context(session, clock, config, settings), fresh)
        if fresh:
            # Everything stored so far (derived events included) has been through the stages.
            set_cursor(session, CURSOR, max_seq(session), clock.now())
    return len(fresh)


def _context(
    session: Session, clock: ManualClock, config: TripwireConfig, settings: Settings
) -> StageContext:
    # Replay delivers notifications inline, so retries and backoff follow event time.
    return StageContext(session, clock, config, settings, shared={INLINE_DELIVERY: True})
