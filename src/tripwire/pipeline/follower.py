"""The partitioned event follower: hands newly stored events to the stages, exactly once, with
the work spread over every worker process that shares the database.

Events belong to a partition by a stable hash of their use case (`tripwire.store.partitions`).
Each worker is a member of one group: it heartbeats, the coordinator (the live member with the
smallest id) assigns the partitions to the live members by recent load, and each member leases
the partitions assigned to it. A step of one partition renews its lease, reads its events past
its cursor, runs the stages on them and moves the cursor, all in one transaction: the stages'
effects (detector state included, see `DetectStage`'s scope) commit with the cursor or not at
all. A member that stops heartbeating loses its partitions within `LEASE_TTL`; one whose
process is known dead (same host, pid gone: a restart) loses them at once.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock
from tripwire.pipeline.quarantine import redrive, run_guarded
from tripwire.pipeline.stage import Stage, StageContext, close_stages, prepare_stages
from tripwire.store import deadletter
from tripwire.store import partitions as parts_store
from tripwire.store.db import Database
from tripwire.store.events import StoredEvent, committed_high_water, read_after
from tripwire.store.retention import last_deletion
from tripwire.store.runtime import lease_holder, try_lease

LEASE_TTL = timedelta(seconds=3)
TIMERS = "timers"
log = logging.getLogger("tripwire.pipeline")
_ids = itertools.count(1)

# "Run these stages on this batch": by default guarded, so an event a stage fails on is
# quarantined (dead letter) and the cursor moves on.
RunBatch = Callable[[Sequence[Stage], StageContext, Sequence[StoredEvent]], object]


def new_holder() -> str:
    """This process's member id: host, pid and a counter (several followers in one process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{next(_ids)}"


def dead_local(holders: Sequence[str]) -> list[str]:
    """Holders that ran on this host in a process that no longer exists (a killed or restarted
    worker): their leases need not wait out the TTL."""
    host = socket.gethostname()
    dead: list[str] = []
    for holder in holders:
        name, _, rest = holder.partition(":")
        pid_text = rest.split(":", 1)[0]
        if name != host or not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            dead.append(holder)
        except PermissionError:
            pass  # alive, another user's
    return dead


class PartitionStages(Protocol):
    """The stages of each partition (shared ones and the partition's own state) as the
    composition root builds them."""

    def for_partition(self, part: int) -> list[Stage]:
        """The stages that process partition `part`'s events."""

    def drop(self, part: int) -> None:
        """Forget the partition's in-memory state (lost lease, failed step): it is reloaded
        from the database if the partition comes back."""

    def close(self) -> None:
        """Release every stage (the follower will not step again)."""


class SameStages:
    """Every partition runs the same stages (tests, and stages without partition state)."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages

    def for_partition(self, part: int) -> list[Stage]:
        return self.stages

    def drop(self, part: int) -> None:
        """Nothing is held per partition."""

    def close(self) -> None:
        close_stages(self.stages)


@dataclass
class _Owned:
    position: int | None = None  # the cursor this process last committed (None: unknown)
    minute: int = -1  # the wall-clock minute of its last step


@dataclass(frozen=True, slots=True)
class _Ahead:
    """A step's batch read before its transaction (see `Follower._read_ahead`)."""

    position: int  # the cursor the events were read after
    deletions: int  # the newest deletion then (`tripwire.store.retention.last_deletion`)
    batch: list[StoredEvent]  # in the order the stages take them
    new_position: int

    def still_valid(self, session: Session, position: int) -> bool:
        """Whether the step, now holding the lock with its cursor at `position`, would read
        the same batch: the cursor has not moved and no event was deleted since."""
        return position == self.position and last_deletion(session) == self.deletions


def _in_time_order(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    return sorted(events, key=lambda e: (e.ts, e.seq))


class Follower:
    """One worker's share of the pipeline; `step` is one round over its partitions. `pause`
    (if given) is called before each partition's step: the place to give way to requests."""

    def __init__(
        self,
        db: Database,
        stages: list[Stage] | PartitionStages,
        config: TripwireConfig,
        settings: Settings,
        clock: Clock,
        batch: int = 1000,
        *,
        holder: str | None = None,
        run: RunBatch = run_guarded,
        pause: Callable[[], object] | None = None,
    ) -> None:
        self.db = db
        self.pause = pause
        self.stages = SameStages(stages) if isinstance(stages, list) else stages
        self.config = config
        self.settings = settings
        self.clock = clock
        self.batch = batch
        self.holder = holder or new_holder()
        self.run = run
        self.owned: dict[int, _Owned] = {}
        self._renewed: datetime | None = None
        self._halted = threading.Event()

    def halt(self) -> None:
        """Stop the round in progress after the partition step in progress (a drain)."""
        self._halted.set()

    # -- a round ------------------------------------------------------------------------------

    def step(self) -> int:
        """Join or rebalance, then process one batch of each owned partition that has events
        (or a new minute to close). Returns how far the cursors moved in all (0: idle)."""
        now = self.clock.now()
        self._membership(now)
        if not self.owned:
            return 0
        upto, pending = self._pending()
        minute = int(now.timestamp() // 60)
        moved = 0
        for part in sorted(self.owned):
            owned = self.owned.get(part)
            if self._halted.is_set():
                break
            if owned is None or (part not in pending and owned.minute >= minute):
                continue
            if self.pause is not None:
                self.pause()
            moved += self._step_part(part, upto, minute)
            self._renew()
        return moved

    def _pending(self) -> tuple[int | None, dict[int, int]]:
        upto: int | None = None
        if not self.db.is_sqlite:
            # In its own transaction, so the lock it takes is released before the stages run.
            with self.db.session() as session:
                upto = committed_high_water(session)
        with self.db.session() as session:
            pending = parts_store.pending_by_part(session, upto, sorted(self.owned))
            for part in deadletter.parts_to_retry(session):  # sent back from quarantine
                pending.setdefault(part, 0)
            return upto, pending

    def _step_part(self, part: int, upto: int | None, minute: int) -> int:
        owned = self.owned[part]
        ahead = self._read_ahead(part, upto) if self.db.is_sqlite else None
        try:
            with self.db.session() as session:
                now = self.clock.now()
                position = parts_store.begin_step(session, part, self.holder, now, LEASE_TTL)
                if position is None:
                    self._lose([part])
                    return 0
                if owned.position is not None and owned.position != position:
                    # Someone else stepped it meanwhile: what this process holds is stale.
                    self.stages.drop(part)
                if ahead is not None and ahead.still_valid(session, position):
                    batch, new_position = ahead.batch, ahead.new_position
                else:  # stepped elsewhere or events deleted since: read again, under the lease
                    events, new_position = read_after(session, position, self.batch, upto, part)
                    batch = _in_time_order(events)
                ctx = StageContext(session, self.clock, self.config, self.settings)
                stages = self.stages.for_partition(part)
                # Quarantined events of this partition that an operator sent back.
                retried = redrive(stages, ctx, part=part)
                self.run(stages, ctx, batch)
                if new_position != position:
                    parts_store.end_step(session, part, new_position, now)
        except BaseException:
            # The transaction rolled back; the stages' memory may hold part of it.
            self.stages.drop(part)
            owned.position = None
            raise
        owned.position = new_position
        owned.minute = minute
        return new_position - position + retried

    def _read_ahead(self, part: int, upto: int | None) -> _Ahead | None:
        """On SQLite, the step's events read (and handed to the stages' `prepare`) before its
        write transaction begins: that transaction holds the database's one write lock, which
        every ingest batch waits for, and reading, decoding and scoring a batch are most of a
        step. SQLite hands out seqs in commit order and stored events change only by deletion,
        so what this read sees past the cursor is what the step would read under the lock as
        long as the cursor has not moved and nothing was deleted meanwhile, which the step
        checks under the lock (`_Ahead.still_valid`)."""
        with self.db.read() as session:
            position = parts_store.held_position(session, part, self.holder)
            if position is None:
                return None
            deletions = last_deletion(session)
            events, new_position = read_after(session, position, self.batch, upto, part)
        batch = _in_time_order(events)
        prepare_stages(self.stages.for_partition(part), batch)
        return _Ahead(position, deletions, batch, new_position)

    # -- the group ----------------------------------------------------------------------------

    def _membership(self, now: datetime) -> None:
        with self.db.session() as session:
            parts_store.heartbeat(session, self.holder, now, LEASE_TTL)
            gone = dead_local(parts_store.all_members(session))
            parts_store.forget_members(session, gone)
            live = parts_store.live_members(session, now)
            rows = parts_store.partitions(session)
            if live and live[0] == self.holder:
                rows = self._coordinate(session, rows, live)
            self._claim_and_release(session, rows, now)
        self._renewed = now

    def _coordinate(
        self, session: Session, rows: list[parts_store.PartitionState], live: list[str]
    ) -> list[parts_store.PartitionState]:
        members = set(live)
        assigned = {r.assigned_to for r in rows}
        stale = any(r.assigned_to not in members for r in rows)
        idle_member = len(rows) >= len(members) and not members <= assigned
        if not stale and not idle_member:
            return rows
        plan = balance(parts_store.recent_load(session), [r.part for r in rows], live)
        parts_store.assign(session, plan)
        return parts_store.partitions(session)

    def _claim_and_release(
        self, session: Session, rows: list[parts_store.PartitionState], now: datetime
    ) -> None:
        mine = [r.part for r in rows if r.assigned_to == self.holder]
        foreign = [r.part for r in rows if r.holder == self.holder and r.assigned_to != self.holder]
        parts_store.release(session, foreign, self.holder)
        self._lose(foreign)
        holders = [r.holder for r in rows if r.holder and r.holder != self.holder]
        dead = dead_local(sorted(set(holders)))
        held = parts_store.claim(session, mine, self.holder, now, LEASE_TTL, dead)
        self._lose([p for p in self.owned if p not in held])
        for part in held:
            self.owned.setdefault(part, _Owned())

    def _renew(self) -> None:
        """Between the steps of a long round: heartbeat, renew, and follow a rebalance."""
        now = self.clock.now()
        if self._renewed is None or now - self._renewed >= LEASE_TTL / 3:
            self._membership(now)

    def _lose(self, lost: Sequence[int]) -> None:
        for part in lost:
            if self.owned.pop(part, None) is not None:
                self.stages.drop(part)

    # -- timers and shutdown -------------------------------------------------------------------

    def close(self) -> None:
        """Leave the group (freeing the leases for the others at once) and release the stages."""
        try:
            with self.db.session() as session:
                parts_store.leave(session, self.holder)
        except Exception:  # shutting down: the leases then expire on their own
            log.exception("leaving the pipeline group failed")
        self.owned.clear()
        self.stages.close()


def balance(load: dict[int, int], parts: Sequence[int], members: Sequence[str]) -> dict[int, str]:
    """Partitions to members, heaviest first onto the least loaded member (every partition
    weighs at least 1, so idle ones spread evenly too). Deterministic for the same input."""
    totals = dict.fromkeys(members, 0)
    plan: dict[int, str] = {}
    for part in sorted(parts, key=lambda p: (-load.get(p, 0), p)):
        member = min(members, key=lambda m: (totals[m], m))
        plan[part] = member
        totals[member] += load.get(part, 0) + 1
    return plan


class Timers:
    """Cross-use-case timers (escalation, deadlines, digests): one owner at a time, through the
    `timers` lease; a restarted process takes it back at once."""

    def __init__(
        self,
        db: Database,
        stages: list[Stage],
        config: TripwireConfig,
        settings: Settings,
        clock: Clock,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.stages = stages
        self.config = config
        self.settings = settings
        self.clock = clock
        self.holder = holder or new_holder()

    def tick(self) -> bool:
        """Run the stages' timers if this process leads; never asks to be called again at once."""
        with self.db.session() as session:
            now = self.clock.now()
            # Write first: on SQLite a transaction that read before writing can fail to upgrade.
            if not try_lease(session, TIMERS, self.holder, now, LEASE_TTL):
                current = lease_holder(session, TIMERS)
                dead = dead_local([current]) if current else []
                if not dead or not try_lease(session, TIMERS, self.holder, now, LEASE_TTL, dead):
                    return False
            ctx = StageContext(session, self.clock, self.config, self.settings)
            for stage in self.stages:
                stage.tick(ctx)
        return False


def pending_events(session: Session) -> int:
    """Stored events the pipeline has not processed yet."""
    return parts_store.pending_events(session)
