"""`tripwire replay`: load a JSONL file in ts order, idempotently, and run every stage on
event time.

Built for a million events: each line is parsed and validated in one pass inside pydantic-core,
kept only as its normalised JSON (not as a model), sorted by ts, and bulk-loaded in chunks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import EARLIEST, LATEST, ManualClock
from tripwire.domain.events import EVENT_ADAPTER, Event
from tripwire.ingest.validate import MAX_ERRORS_REPORTED, BatchInvalid, parse_event
from tripwire.pipeline.runner import EventTimeRunner
from tripwire.pipeline.stage import Stage, StageContext
from tripwire.store.db import Database
from tripwire.store.events import LoadRow, StoredEvent, load_rows, max_seq
from tripwire.store.partitions import set_all_positions
from tripwire.store.runtime import set_cursor

CHUNK = 5000
CURSOR = "pipeline"
WAL_PAGES_DURING_REPLAY = 100_000  # about 400 MB of WAL between checkpoints
WAL_PAGES_DEFAULT = 1000

_OUT_OF_RANGE = "must be between 1970-01-01 and 2200-01-01 (times near the calendar's end overflow)"
Progress = Callable[[int], None]
# ts, position in the input, then the LoadRow fields after ts: id, type, use_case, output_id, JSON.
_Item = tuple[datetime, int, str, str, str | None, str | None, bytes]


@dataclass
class Prepared:
    """Validated events waiting to be loaded, in ts order (stable for equal ts)."""

    items: list[_Item] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    events: int
    accepted: int
    duplicates: int
    quarantined: int = 0  # events a stage failed on: in the dead-letter table, not processed


class ReplayInputError(Exception):
    """The file cannot be replayed; `problems` name the line and field of each bad event."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def prepare(events: Sequence[Event]) -> Prepared:
    """Events already validated (e.g. from the simulator), made ready to load."""
    return _sorted(Prepared([_item(e, i) for i, e in enumerate(events)]))


def read_events(path: Path) -> Prepared:
    """Parse and validate every line; blank lines are skipped. All valid, or ReplayInputError
    naming each bad line (the first 100 in detail) and nothing is loaded."""
    prepared = Prepared()
    problems: list[str] = []
    bad = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                event = EVENT_ADAPTER.validate_json(line)
            except ValidationError:
                bad += 1
                if bad <= MAX_ERRORS_REPORTED:
                    problems.extend(_line_problems(number, line))
                continue
            if not EARLIEST <= event.ts < LATEST:
                bad += 1
                if bad <= MAX_ERRORS_REPORTED:
                    problems.append(f"line {number} (id {event.id!r}): ts: {_OUT_OF_RANGE}")
                continue
            prepared.items.append(_item(event, number))
    if bad:
        if bad > MAX_ERRORS_REPORTED:
            problems.append(f"... {bad} bad lines in all")
        raise ReplayInputError(problems)
    return _sorted(prepared)


def _item(event: Event, position: int) -> _Item:
    # __dict__, not getattr: pydantic's __getattr__ is slow for fields a type does not have.
    output_id = event.__dict__.get("output_id")
    normalised = event.model_dump_json(exclude_none=True).encode("utf-8")
    # A million events share a handful of types and use cases: keep one copy of each string.
    use_case = None if event.use_case is None else sys.intern(event.use_case)
    return (event.ts, position, event.id, sys.intern(event.type), use_case, output_id, normalised)


def _sorted(prepared: Prepared) -> Prepared:
    items = prepared.items
    if any(items[i][0] > items[i + 1][0] for i in range(len(items) - 1)):
        items.sort(key=lambda item: (item[0], item[1]))
    return prepared


def _line_problems(number: int, line: bytes) -> list[str]:
    try:
        raw = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return [f"line {number}: not UTF-8 text"]
    except json.JSONDecodeError as exc:
        return [f"line {number}: not valid JSON: {exc.msg}"]
    except RecursionError:
        return [f"line {number}: not valid JSON: nested too deeply"]
    try:
        parse_event(raw)
    except BatchInvalid as exc:
        return [
            f"line {number}" + (f" (id {e.id!r})" if e.id else "") + f": {e.field}: {e.message}"
            for e in exc.errors
        ]
    return [f"line {number}: not valid JSON"]  # pydantic refused what json accepts (NaN)


def replay(
    db: Database,
    events: Sequence[Event] | Prepared,
    stages: list[Stage],
    config: TripwireConfig,
    settings: Settings,
    progress: Progress | None = None,
) -> ReplayResult:
    """Store and process `events` in ts order (stable for equal ts), chunk by chunk.

    Each chunk commits its events, the stages' effects and the pipeline cursor together, so a
    replay that is interrupted and run again picks up exactly where it stopped.
    """
    prepared = events if isinstance(events, Prepared) else prepare(events)
    items = prepared.items
    if not items:
        return ReplayResult(0, 0, 0)
    clock = ManualClock(items[0][0])
    runner = EventTimeRunner(stages, clock)
    accepted = 0
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        with db.session() as session:
            _defer_checkpoints(session, WAL_PAGES_DURING_REPLAY)
            fresh = _load(session, [_row(i) for i in chunk])
            runner.feed(lambda: StageContext(session, clock, config, settings), fresh)
            if fresh:
                # Everything stored so far (derived events included) has been through the stages.
                top = max_seq(session)
                set_cursor(session, CURSOR, top, clock.now())
                set_all_positions(session, top, clock.now())
        accepted += len(fresh)
        if progress is not None:
            progress(len(chunk))
    with db.session() as session:
        runner.finish(lambda: StageContext(session, clock, config, settings))
        _defer_checkpoints(session, WAL_PAGES_DEFAULT)
    return ReplayResult(len(items), accepted, len(items) - accepted, runner.quarantined)


def _defer_checkpoints(session: Session, pages: int) -> None:
    # SQLite copies the WAL back into the database every `pages` pages. During a bulk load the
    # same index pages change in every chunk; checkpointing rarely copies each of them once.
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(pages)}")


def _row(item: _Item) -> LoadRow:
    ts, _, event_id, kind, use_case, output_id, normalised = item
    return (event_id, kind, ts, use_case, output_id, normalised.decode("utf-8"))


def _load(session: Session, rows: list[LoadRow]) -> list[StoredEvent]:
    inserted = load_rows(session, rows)
    fresh: list[StoredEvent] = []
    for event_id, kind, ts, use_case, _, text in rows:
        seq = inserted.pop(event_id, None)  # pop: a repeated id in the chunk is stored once
        if seq is not None:
            fresh.append(StoredEvent(seq, event_id, kind, ts, use_case, orjson.loads(text)))
    return fresh
