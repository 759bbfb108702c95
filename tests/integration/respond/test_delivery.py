"""Notifications to real receivers started by the test: failures, timeouts, 429 with
Retry-After, 410, redirects; delivered once per id and in order per incident."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.integration.respond.conftest import SECRET, make_runtime, respond_config
from tests.integration.respond.receivers import http_receiver
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.notify.worker import OutboxWorker
from tripwire.respond.service import NewIncident
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.respond import ChannelStateRow
from tripwire.store.tables.runtime import OutboxRow


def runtime_for(db_url: str, clock: ManualClock, channels: dict[str, Any], **extra: Any) -> Runtime:
    data = respond_config()
    data["respond"]["channels"] = channels
    data["respond"].update(extra)
    return make_runtime(db_url, clock, parse_config(data))


def hook(url: str, timeout: float = 0.5) -> dict[str, Any]:
    return {"type": "webhook", "url": url, "secret": SECRET, "timeout": timeout}


def busy_incidents(rt: Runtime, count: int) -> None:
    """Open, acknowledge and resolve `count` incidents: several notifications each."""
    for i in range(count):
        with rt.db.session() as session:
            service = rt.incidents(session)
            now = rt.clock.now()
            incident = service.open(NewIncident("availability", f"outage {i}", f"uc{i}", now, now))
            service.post_update(incident.number, "investigating", "alice")
            service.acknowledge(incident.number, "alice")
            service.resolve(incident.number, "alice")


def drain(rt: Runtime, worker: OutboxWorker, clock: ManualClock, rounds: int = 200) -> None:
    for _ in range(rounds):
        worker.run_once()
        with rt.db.session() as session:
            if session.scalar(select(OutboxRow.id).where(OutboxRow.status == "pending")) is None:
                return
        clock.advance(timedelta(minutes=1))
    raise AssertionError("the outbox did not drain")


def outbox(rt: Runtime) -> list[OutboxRow]:
    with rt.db.session() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.seq)))


def signature_ok(headers: dict[str, str], raw: bytes) -> bool:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in headers["webhook-signature"].split()


def test_everything_arrives_once_per_id_in_order_per_incident(
    db_url: str, clock: ManualClock
) -> None:
    script = ["fail", "slow", "throttle", "fail", "slow", "throttle", "fail"]
    # A 200 that arrives after the sender's timeout is delivered twice (at least once, by
    # design: receivers dedupe on webhook-id), so the timeout leaves a loaded machine room for
    # every prompt answer; only `slow` is meant to miss it.
    with http_receiver(script, slow_seconds=2.5) as receiver:
        channel = hook(receiver.url + "/in", timeout=1.0)
        rt = runtime_for(db_url, clock, {"hook": channel}, broadcast=["hook"])
        busy_incidents(rt, 4)
        worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
        drain(rt, worker, clock)
        worker.close()
        rows = outbox(rt)
        rt.close()
    assert {r.status for r in rows} == {"delivered"}
    ids = [a["headers"]["webhook-id"] for a in receiver.accepted]
    assert sorted(ids) == sorted(r.id for r in rows), "each id accepted exactly once"
    assert receiver.answered.count(200) == len(rows)
    assert {500, 503, 429} <= set(receiver.answered)
    expected: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        expected[str(row.ordering_key)].append(row.id)
    seen: dict[str, list[str]] = defaultdict(list)
    for accepted in receiver.accepted:
        seen[accepted["body"]["data"]["incident"]["id"]].append(accepted["headers"]["webhook-id"])
    assert seen == expected
    assert all(signature_ok(a["headers"], a["raw"]) for a in receiver.accepted)


def test_retry_after_is_honoured_on_the_injected_clock(db_url: str, clock: ManualClock) -> None:
    with http_receiver(["throttle"], retry_after="120") as receiver:
        rt = runtime_for(
            db_url,
            clock,
            {"hook": hook(receiver.url)},
            broadcast=["hook"],
            people={},
            schedules={},
            escalation_policies={},
            roles={},
        )
        busy_incidents(rt, 1)
        worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
        worker.run_once()
        [first, *_] = outbox(rt)
        assert first.next_attempt_at == clock.now() + timedelta(seconds=120)
        clock.advance(timedelta(seconds=119))
        worker.run_once()
        assert len(receiver.accepted) == 0, "nothing else for this incident may overtake it"
        clock.advance(timedelta(seconds=1))
        drain(rt, worker, clock)
        worker.close()
        rt.close()
    assert receiver.accepted[0]["headers"]["webhook-id"] == first.id


def test_a_dead_channel_never_blocks_the_others(db_url: str, clock: ManualClock) -> None:
    with (
        http_receiver() as good,
        http_receiver(["gone"] * 50) as gone,
        http_receiver(["redirect"] * 50) as moved,
    ):
        channels = {"hook": hook(good.url), "gone": hook(gone.url), "moved": hook(moved.url)}
        rt = runtime_for(db_url, clock, channels, broadcast=["gone", "moved", "hook"])
        busy_incidents(rt, 2)
        worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
        for _ in range(5):
            worker.run_once()
            clock.advance(timedelta(minutes=1))
        worker.close()
        rows = outbox(rt)
        with rt.db.session() as session:
            disabled = [c.channel for c in session.scalars(select(ChannelStateRow))]
        rt.close()
    by_channel: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_channel[row.channel].add(row.status)
    assert by_channel["hook"] == {"delivered"}
    assert by_channel["gone"] == {"failed"}
    assert disabled == ["gone"]
    # At most the first message of each incident was in flight when the 410 came back.
    assert len(gone.answered) <= 2, "after 410 the channel is not called again"
    assert "pending" in by_channel["moved"], "a redirect is a failure, retried later"
    assert moved.accepted == [], "the redirect was not followed"


def test_webhooks_to_private_addresses_are_refused_unless_allowed(
    db_url: str, clock: ManualClock
) -> None:
    with http_receiver() as receiver:
        rt = runtime_for(db_url, clock, {"hook": hook(receiver.url)}, broadcast=["hook"])
        rt.settings = rt.settings.model_copy(update={"allow_private_webhooks": False})
        busy_incidents(rt, 1)
        worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
        worker.run_once()
        worker.close()
        rows = outbox(rt)
        rt.close()
    assert receiver.accepted == []
    assert rows[0].status == "failed"
    assert "non-public address" in str(rows[0].last_error)
