"""The detect stage's event-time windows: an event counts in its own minute while that minute is
open (the watermark is the clock minus the lateness), later than that in its arrival minute as
late; the open windows and the late count survive a restart of the partition's stage."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.detect.persist import late_events
from tripwire.detect.stage import DetectStage, Scope
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import Clock, ManualClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import StoredEvent

SCOPE = Scope("1/0", lambda use_case: True)
_seq = count(1)


class Ctx:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock: Clock = clock
        self.ticket_topics: dict[str, str] = {}
        self.alerts: list[Alert] = []


def output(ts: datetime) -> StoredEvent:
    seq = next(_seq)
    payload = {"id": f"o{seq}", "type": "output", "use_case": "chat", "model": "m"}
    return StoredEvent(seq, f"o{seq}", "output", ts, "chat", payload)


def window_of(when: datetime) -> int:
    return int(when.timestamp() // 60) + 1


def counted(stage: DetectStage) -> dict[int, float]:
    return {m: sum(c.outputs for c in cells.values()) for m, cells in stage.engine.windows.items()}


def test_events_count_in_their_own_minute_until_it_closes(runtime: Runtime) -> None:
    clock = ManualClock(runtime.clock.now())
    now = clock.now()
    stage = DetectStage(TripwireConfig(), SCOPE, lateness_minutes=5)
    with runtime.db.session() as session:
        stage.handle(Ctx(session, clock), [])  # the first step: the watermark is set
        # 4 minutes late is within the lateness: its own minute, not late
        stage.handle(Ctx(session, clock), [output(now - timedelta(minutes=4)), output(now)])
    assert counted(stage) == {window_of(now - timedelta(minutes=4)): 1.0, window_of(now): 1.0}
    assert stage.late == 0
    clock.advance(timedelta(minutes=7))
    with runtime.db.session() as session:
        # its minute closed 5 minutes after it ended: it counts now, as late
        stage.handle(Ctx(session, clock), [output(now)])
    assert counted(stage) == {window_of(clock.now()): 1.0}
    assert stage.late == 1
    restarted = DetectStage(TripwireConfig(), SCOPE, lateness_minutes=5)
    with runtime.db.session() as session:
        restarted.handle(Ctx(session, clock), [output(clock.now())])
        assert late_events(session) == 1
    assert counted(restarted) == {window_of(clock.now()): 2.0}
    assert restarted.late == 1


def test_without_lateness_a_minute_closes_as_soon_as_it_ends(runtime: Runtime) -> None:
    clock = ManualClock(runtime.clock.now())
    stage = DetectStage(TripwireConfig(), SCOPE)
    with runtime.db.session() as session:
        stage.handle(Ctx(session, clock), [])
        clock.advance(timedelta(minutes=1))
        stage.handle(Ctx(session, clock), [output(clock.now() - timedelta(seconds=61))])
    assert stage.late == 1
