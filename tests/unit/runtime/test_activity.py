"""The ingest activity board of `serve --processes N`: every process's pipeline sees the ingest
of all of them."""

from __future__ import annotations

import os

import pytest

from tripwire.ingest.admission import Saturated
from tripwire.runtime.activity import ActivityBoard, SharedAdmission


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_request_in_flight_in_any_process_makes_the_board_busy() -> None:
    clock = Clock()
    board = ActivityBoard(2, monotonic=clock)
    first, second = SharedAdmission(8, board, 0), SharedAdmission(8, board, 1)
    clock.now += 5
    assert board.idle_for() == 5
    with second.slot():
        assert board.idle_for() == 0
        assert first.idle_for() > 0  # the process's own admission still counts only its own
    clock.now += 0.5
    assert board.idle_for() == 0.5  # since the last request ended, in whichever process


def test_the_limit_stays_per_process_and_a_refusal_leaves_the_board_as_it_was() -> None:
    clock = Clock()
    board = ActivityBoard(2, monotonic=clock)
    one = SharedAdmission(1, board, 0)
    with one.slot():
        with pytest.raises(Saturated), one.slot():
            pass
        assert board.idle_for() == 0
        with SharedAdmission(1, board, 1).slot():
            assert board.idle_for() == 0
    clock.now += 1
    assert board.idle_for() == 1


def test_a_forked_process_writes_where_its_parent_reads() -> None:
    board = ActivityBoard(2)
    to_parent, from_child = os.pipe()
    to_child, from_parent = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a request in flight until the parent has looked
        board.publish(1, 1)
        os.write(from_child, b"x")
        os.read(to_child, 1)
        board.publish(1, 0)
        os._exit(0)
    os.read(to_parent, 1)
    try:
        assert board.idle_for() == 0
    finally:
        os.write(from_parent, b"y")
        os.waitpid(pid, 0)
        for fd in (to_parent, from_child, to_child, from_parent):
            os.close(fd)
    assert board.idle_for() < 5


def test_a_restarted_process_clears_the_requests_its_predecessor_left_in_flight() -> None:
    """A process killed mid-request leaves its count on the board; the one started in its
    slot must not keep every pipeline waiting until it happens to take an ingest request."""
    clock = Clock()
    board = ActivityBoard(2, monotonic=clock)
    board.publish(1, 3)  # the process in slot 1 died with three batches in flight
    SharedAdmission(8, board, 1)  # its replacement, before any request
    clock.now += 2
    assert board.idle_for() == 2
