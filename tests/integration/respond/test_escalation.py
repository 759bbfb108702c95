"""Escalation on an injected clock: level 2 is paged when level 1 does not acknowledge in
time, and nobody is paged after an acknowledgement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.integration.respond.conftest import alert, feed, tick
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow


def paged(rt: Runtime) -> list[str]:
    with rt.db.session() as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "incident.page").order_by(OutboxRow.seq)
        )
        return [row.payload["recipient"]["person"] for row in rows]


def test_level_two_is_paged_when_level_one_does_not_ack(rt: Runtime, clock: ManualClock) -> None:
    feed(rt, alert())
    assert paged(rt) == ["alice"]
    clock.advance(timedelta(minutes=4, seconds=59))
    tick(rt)
    assert paged(rt) == ["alice"]
    clock.advance(timedelta(seconds=1))
    tick(rt)
    assert paged(rt) == ["alice", "bob"]
    clock.advance(timedelta(hours=1))
    tick(rt)
    assert paged(rt) == ["alice", "bob"], "the policy has no repeat: it stops after level 2"


def test_nobody_is_paged_after_an_ack(rt: Runtime, clock: ManualClock) -> None:
    feed(rt, alert())
    clock.advance(timedelta(minutes=3))
    with rt.db.session() as session:
        rt.incidents(session, clock).acknowledge("INC-1", "alice")
    for _ in range(6):
        clock.advance(timedelta(minutes=5))
        tick(rt)
    assert paged(rt) == ["alice"]


def test_a_repeating_policy_starts_again_from_level_one(db_url: str, clock: ManualClock) -> None:
    from tests.integration.respond.conftest import make_runtime, respond_config
    from tripwire.config.file import parse_config

    data = respond_config()
    data["respond"]["escalation_policies"]["default"]["repeat"] = 1
    rt = make_runtime(db_url, clock, parse_config(data))
    try:
        feed(rt, alert())
        for _ in range(5):
            clock.advance(timedelta(minutes=5))
            tick(rt)
        assert paged(rt) == ["alice", "bob", "alice", "bob"]
    finally:
        rt.close()
