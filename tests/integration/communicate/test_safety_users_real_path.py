"""The real path: telemetry -> the safety detector -> an incident -> its exact affected users
-> a linted, approved message delivered to each of them by SMTP -> the follow-up after the
incident resolves itself, escalated to the incident commander when missed.

A day of healthy traffic teaches the detector its baseline (1 % of checks trigger); then, for
an hour, answers of prompt version p8 trip the safety filter 40 % of the time while p7 stays
healthy. The expected audience is computed here from the generated events, independently of
the query under test."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.communicate.test_affected_users import token
from tests.integration.respond.conftest import make_runtime, respond_config, tick
from tests.smtp_inbox import Inbox
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.domain.events import parse_rfc3339
from tripwire.ingest.validate import parse_batch
from tripwire.notify.worker import OutboxWorker
from tripwire.runtime.wiring import Runtime

START = datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
BURST = START + timedelta(hours=26)
BURST_END = BURST + timedelta(hours=1)
END = START + timedelta(hours=28)


def telemetry() -> list[dict[str, Any]]:
    rng = random.Random(7)
    events: list[dict[str, Any]] = []
    for i in range(int((END - START).total_seconds() // 15)):
        ts = START + timedelta(seconds=15 * i)
        prompt = "p8" if i % 2 else "p7"
        harmful = BURST <= ts < BURST_END and prompt == "p8"
        events.append({"id": f"o{i}", "type": "output", "ts": isoformat_z(ts),
                       "use_case": "support-chat", "model": "acme-large-2",
                       "prompt_version": prompt,
                       "user_id": f"user{rng.randrange(400)}"})  # fmt: skip
        events.append({"id": f"s{i}", "type": "safety", "ts": isoformat_z(ts),
                       "use_case": "support-chat", "filter": "moderation", "output_id": f"o{i}",
                       "triggered": rng.random() < (0.4 if harmful else 0.01)})  # fmt: skip
    return events


def expected(events: list[dict[str, Any]], start: datetime, end: datetime) -> Counter[str]:
    """Users with a flagged p8 answer between the onset and the resolution."""
    flagged = {e["output_id"] for e in events if e["type"] == "safety" and e["triggered"]}
    return Counter(
        e["user_id"]
        for e in events
        if e["type"] == "output"
        and e["id"] in flagged
        and e["prompt_version"] == "p8"
        and start <= parse_rfc3339(e["ts"]) <= end
    )


@pytest.fixture
def rt(db_url: str, smtp: tuple[Inbox, int]) -> Iterator[Runtime]:
    data = respond_config()
    for person in data["respond"]["people"].values():
        person["notify"] = []  # pages are not under test here
    data["respond"]["people"]["dee"] = {"notify": []}
    data["respond"]["roles"]["communications_lead"] = {"person": "dee"}
    data["respond"]["channels"]["users"] = {
        "type": "email", "host": "127.0.0.1", "port": smtp[1], "security": "none",
        "from": "support@example.com",
    }  # fmt: skip
    data["communicate"] = {
        "user_messages": {"channel": "users", "address": "{user_id}@example.com"},
        "status_page": {"components": {"support-chat": {"name": "Support Chat"}}},
    }
    runtime = make_runtime(db_url, ManualClock(START), parse_config(data))
    yield runtime
    runtime.close()


def test_a_detected_safety_incident_reaches_exactly_its_users(
    rt: Runtime, smtp: tuple[Inbox, int]
) -> None:
    events = telemetry()
    rt.replay(parse_batch(events))
    clock = rt.clock
    assert isinstance(clock, ManualClock)
    # Its signals recovered: Tripwire mitigated it and resolves it after an hour of quiet.
    with rt.db.session() as session:
        mitigated_at = rt.incidents(session).get("INC-1").mitigated_at
    assert mitigated_at is not None
    clock.advance(mitigated_at.replace(tzinfo=UTC) - clock.now() + rt.config.respond.resolve_after)
    tick(rt)
    with TestClient(create_app(rt, background=False)) as api:
        ops, lead = token(rt, "ops", ["respond"]), token(rt, "dee", ["respond"])
        detail = api.get("/v1/incidents/INC-1", headers=ops).json()
        assert (detail["type"], detail["status"]) == ("safety", "resolved")
        onset, resolved = (parse_rfc3339(detail[k]) for k in ("started_at", "resolved_at"))
        assert BURST - timedelta(minutes=15) <= onset <= BURST + timedelta(minutes=15)
        want = expected(events, onset, resolved)
        assert len(want) > 20

        body = api.get(
            "/v1/incidents/INC-1/affected-users", params={"limit": 5000}, headers=ops
        ).json()
        got = {u["user_id"]: u["outputs"] for u in body["users"]}
        assert got == dict(want)
        assert body["count"] == len(want)
        # Users outside it exist: flagged only on p7, flagged only outside the window, or who
        # only received good p8 answers in the window.
        everyone = {e["user_id"] for e in events if e["type"] == "output"}
        assert len(everyone - set(got)) > 300

        made = api.post(
            "/v1/incidents/INC-1/communications", json={"kind": "initial"}, headers=ops
        ).json()
        assert made["findings"] == []
        url = f"/v1/incidents/INC-1/communications/{made['id']}"
        assert api.post(url + "/approve", headers=lead).status_code == 200
        assert api.post(url + "/send", headers=ops).json()["recipients"] == len(want)
        worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
        while worker.run_once():
            pass
        worker.close()
        inbox, _ = smtp
        received = sorted(to[0] for to, _ in inbox.messages)
        assert received == sorted(f"{u}@example.com" for u in want)
        text = message_from_bytes(inbox.messages[0][1], policy=policy.default).get_content()
        assert "Support Chat" in text
        assert "p8" not in text
        assert "safety_trigger" not in text
        states = api.get(url, headers=ops).json()["recipient_states"]
        assert {r["state"] for r in states} == {"sent"}

        # The incident resolved itself when the signal cleared: the follow-up is due 48 h later.
        [task] = [t for t in detail["tasks"] if t["title"].startswith("Send the follow-up")]
        assert parse_rfc3339(task["due_at"]) == resolved + timedelta(hours=48)
        clock.set(resolved + timedelta(hours=37))
        tick(rt)
        clock.set(resolved + timedelta(hours=49))
        tick(rt)
        timeline = api.get("/v1/incidents/INC-1", headers=ops).json()["timeline"]
        assert [e["kind"] for e in timeline].count("follow_up_reminder") == 1
        missed = [e for e in timeline if e["kind"] == "deadline_missed"]
        assert any("Follow-up to affected users" in e["text"] for e in missed)
