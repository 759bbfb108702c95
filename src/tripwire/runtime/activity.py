"""Ingest activity shared by the processes of `serve --processes N`.

The pipeline of a `serve` process gives way to ingest (`tripwire.runtime.priority`). With N
processes on one socket the batches arrive at any of them, so each process's pipeline must see
the ingest of all: each process publishes its own requests in flight on a board in memory
shared across the fork (an anonymous shared mapping made by the parent before forking), and
the pipeline's pause reads the whole board.
"""

from __future__ import annotations

import mmap
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tripwire.ingest.admission import Admission

_SLOT = struct.Struct("dd")  # requests in flight, monotonic time of the last change


class ActivityBoard:
    """One slot per process. Each process writes only its own slot; a read of a slot being
    written may see a stale value, which only makes one pause a little shorter or longer."""

    def __init__(self, processes: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        # time.monotonic is CLOCK_MONOTONIC: one clock for every process on the machine.
        self._monotonic = monotonic
        self._map = mmap.mmap(-1, _SLOT.size * processes)  # anonymous: shared with children
        self.processes = processes
        for slot in range(processes):
            self.publish(slot, 0)

    def publish(self, slot: int, inflight: int) -> None:
        _SLOT.pack_into(self._map, slot * _SLOT.size, float(inflight), self._monotonic())

    def idle_for(self) -> float:
        """Seconds since the last request ended in any process; 0 while any is in flight."""
        latest = float("-inf")
        for slot in range(self.processes):
            inflight, changed = _SLOT.unpack_from(self._map, slot * _SLOT.size)
            if inflight:
                return 0.0
            latest = max(latest, changed)
        return max(0.0, self._monotonic() - latest)


class SharedAdmission(Admission):
    """This process's admission control (its own limit, as before), publishing its requests
    in flight in `slot` of `board`."""

    def __init__(self, limit: int, board: ActivityBoard, slot: int) -> None:
        super().__init__(limit)
        self.board = board
        self.board_slot = slot
        # Reading the count and writing it as one step: the last write carries the last count.
        self._publishing = threading.Lock()
        # A process that died in this slot may have left requests in flight on the board.
        self._publish()

    @contextmanager
    def slot(self) -> Iterator[None]:
        try:
            with super().slot():
                self._publish()
                yield
        finally:
            self._publish()

    def _publish(self) -> None:
        with self._publishing:
            self.board.publish(self.board_slot, self.inflight)
