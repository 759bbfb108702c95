"""Paging end to end: in `replay` (inline, on event time) and in `serve` (background worker)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from tests.conftest import T0
from tests.integration.respond.conftest import SECRET, make_runtime, respond_config
from tests.integration.respond.receivers import http_receiver
from tripwire.config.file import parse_config
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import ManualClock, SystemClock, isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.pipeline.replay import replay
from tripwire.pipeline.stage import StageContext
from tripwire.respond.service import NewIncident
from tripwire.respond.stage import RespondStage
from tripwire.respond.summary import summary
from tripwire.store.events import StoredEvent


class MarkerDetector:
    """Stands in for detect: metric `alert` raises, metric `clear` clears."""

    name = "detect"

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        for event in events:
            name = event.payload.get("name")
            if name in ("alert", "clear"):
                ctx.alerts.append(
                    Alert(
                        "thumbs:support-chat",
                        "firing" if name == "alert" else "resolved",
                        "quality_regression",
                        "support-chat",
                        "thumbs-down",
                        "negative_rate",
                        event.ts - timedelta(minutes=15),
                        event.ts,
                        0.08,
                        0.16,
                        1.0,
                    )
                )

    def tick(self, ctx: StageContext) -> None:
        return


def metric(i: int, minute: float, name: str = "noise") -> dict[str, object]:
    at = isoformat_z(T0 + timedelta(minutes=minute))
    return {
        "id": f"e{i}",
        "type": "metric",
        "ts": at,
        "use_case": "support-chat",
        "name": name,
        "value": 1.0,
    }


def config_for(url: str) -> dict[str, object]:
    data = respond_config()
    data["respond"]["channels"]["hook"] = {
        "type": "webhook",
        "url": url,
        "secret": SECRET,
        "timeout": 0.5,
    }
    return data


def test_replay_pages_on_event_time_and_retries_a_failed_delivery(
    db_url: str, clock: ManualClock
) -> None:
    events = [metric(0, 0), metric(1, 10, "alert")] + [metric(i, i) for i in range(2, 30)]
    events += [metric(30, 31, "clear"), metric(31, 40), metric(32, 95)]
    with http_receiver(["fail"]) as receiver:
        rt = make_runtime(db_url, clock, parse_config(config_for(receiver.url)))
        stages = [MarkerDetector(), RespondStage(rt.incidents, inline_delivery=True)]
        replay(rt.db, parse_batch(events), stages, rt.config, rt.settings)  # type: ignore[arg-type]
        with rt.db.session() as session:
            report = summary(session, len(events))
        rt.close()
    [incident] = report["incidents"]
    assert incident["status"] == "resolved"
    assert incident["detected_at"] == "2026-11-20T09:10:00Z"
    # Mitigated when the signal cleared, resolved once it stayed clear for an hour.
    assert incident["mitigated_at"] == "2026-11-20T09:31:00Z"
    assert incident["resolved_at"] == "2026-11-20T10:31:00Z"
    assert incident["signals"][0]["baseline"] == 0.08
    pages = [a for a in receiver.accepted if a["body"]["type"] == "incident.page"]
    # alice at 09:10 (first attempt failed, retried on the next event-time tick), then bob at
    # 09:15 when level 1 had not acknowledged.
    assert [p["body"]["data"]["recipient"]["person"] for p in pages] == ["alice", "bob"]
    assert receiver.answered[0] == 500


def test_serve_delivers_pages_from_its_background_worker(db_url: str) -> None:
    with http_receiver() as receiver:
        rt = make_runtime(db_url, ManualClock(T0), parse_config(config_for(receiver.url)))
        rt.clock = SystemClock()
        rt.settings = rt.settings.model_copy(update={"workers": True})
        rt.start_background()
        try:
            with rt.db.session() as session:
                service = rt.incidents(session)
                now = rt.clock.now()
                service.open(NewIncident("safety", "Jailbreak", "support-chat", now, now))
            deadline = time.monotonic() + 15
            while len(receiver.accepted) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            rt.close()
    pages = [a for a in receiver.accepted if a["body"]["type"] == "incident.page"]
    people = sorted(a["body"]["data"]["recipient"]["person"] for a in pages)
    assert people == ["alice", "sam"], "the on-call primary and the safety lead are paged"
