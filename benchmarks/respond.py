"""Respond benchmark: detector alert -> page at a local receiver, and outbox throughput.

Run: PYTHONPATH=src python benchmarks/respond.py [--alerts 30] [--notifications 2000]

1. Latency. A `serve`-shaped process (the pipeline follower, the timers and the outbox worker
   as background tasks on the wall clock) with a stand-in detector stage that raises an alert
   when it sees a marker event. Measured: from the alert being raised to the page arriving at
   a local HTTP receiver. Baseline in the same run: one direct HTTP POST to the same receiver.
2. Throughput. N notifications over many incidents put in the outbox, drained by the worker.
   Baseline in the same run: the same N POSTs sent one after another with no outbox.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from receiver import SECRET, Receiver

from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import SystemClock
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.notify.outbox import enqueue
from tripwire.notify.worker import OutboxWorker
from tripwire.pipeline.follower import Follower, Timers
from tripwire.pipeline.stage import StageContext
from tripwire.respond.stage import RespondStage
from tripwire.runtime.background import Background, PeriodicTask
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import StoredEvent


class MarkerDetector:
    """Stands in for detect: a `metric` event named `bench.alert` raises an alert."""

    name = "detect"

    def __init__(self) -> None:
        self.raised: dict[str, float] = {}

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        for event in events:
            if event.type == "metric" and event.payload.get("name") == "bench.alert":
                use_case = str(event.use_case)
                self.raised[use_case] = time.time()
                ctx.alerts.append(
                    Alert(
                        f"bench:{use_case}",
                        "firing",
                        "quality_regression",
                        use_case,
                        "bench",
                        "negative_feedback_rate",
                        event.ts,
                        ctx.clock.now(),
                        0.1,
                        0.2,
                        1.0,
                    )
                )

    def tick(self, ctx: StageContext) -> None:
        return


def config(url: str) -> dict[str, Any]:
    return {
        "respond": {
            "people": {"alice": {"notify": ["hook"]}},
            "schedules": {
                "primary": {"rotations": [{"members": ["alice"], "start": "2026-01-05"}]}
            },
            "escalation_policies": {"default": {"levels": [{"targets": ["schedule:primary"]}]}},
            "roles": {},
            "channels": {"hook": {"type": "webhook", "url": url, "secret": SECRET}},
        }
    }


def runtime(tmp: Path, url: str) -> Runtime:
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        allow_private_webhooks=True,
        sqlite_synchronous="NORMAL",
    )
    return Runtime.open(settings, parse_config(config(url)), SystemClock())


def latency(tmp: Path, alerts: int) -> tuple[list[float], list[float]]:
    receiver = Receiver()
    rt = runtime(tmp, receiver.url)
    detector = MarkerDetector()
    respond = RespondStage(rt.incidents)
    follower = Follower(rt.db, [detector, respond], rt.config, rt.settings, rt.clock)  # type: ignore[list-item]
    timers = Timers(rt.db, [respond], rt.config, rt.settings, rt.clock)
    worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, rt.clock)
    # The same three tasks and intervals as Runtime.periodic_tasks in `serve`.
    background = Background(
        [
            PeriodicTask("pipeline", 0.5, lambda: follower.step() > 0),
            PeriodicTask("timers", 1.0, timers.tick),
            PeriodicTask("outbox", 0.2, worker.run_once),
        ]
    )
    background.start()
    pages: list[float] = []
    for i in range(alerts):
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event = {
            "id": f"m{i}",
            "type": "metric",
            "ts": now,
            "use_case": f"uc{i}",
            "name": "bench.alert",
            "value": 1,
        }
        store_events(rt.db, parse_batch([event]), rt.clock)
        deadline = time.perf_counter() + 10
        while f"uc{i}" not in detector.raised or receiver.count() <= i:
            if time.perf_counter() > deadline:
                raise SystemExit(f"page {i} did not arrive within 10 s")
            time.sleep(0.002)
        time.sleep(0.05)
    background.stop()
    worker.close()
    arrivals = sorted(receiver.arrivals.values())[:alerts]
    raised = sorted(detector.raised.values())
    pages = [a - r for a, r in zip(arrivals, raised, strict=True)]
    direct: list[float] = []
    with httpx.Client() as client:
        for i in range(alerts):
            start = time.time()
            client.post(receiver.url, content=b"{}", headers={"x-bench": f"direct{i}"})
            while receiver.count() <= alerts + i:
                time.sleep(0.0005)
            direct.append(receiver.arrivals[f"direct{i}"] - start)
    receiver.close()
    rt.close()
    return pages, direct


def throughput(tmp: Path, count: int, incidents: int) -> tuple[float, float]:
    receiver = Receiver()
    rt = runtime(tmp, receiver.url)
    now = rt.clock.now()
    with rt.db.session() as session:
        for i in range(count):
            enqueue(
                session,
                channel="hook",
                event="incident.updated",
                payload={
                    "text": f"update {i}",
                    "at": now.isoformat(),
                    "incident": {"id": f"INC-{i % incidents}"},
                },
                ordering_key=f"INC-{i % incidents}",
                now=now,
            )
    worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, rt.clock, batch=128, parallel=8)
    start = time.perf_counter()
    while worker.run_once():
        pass
    outbox_rate = count / (time.perf_counter() - start)
    worker.close()
    time.sleep(0.5)
    delivered = receiver.count()
    assert delivered == count, f"{delivered} of {count} delivered"
    start = time.perf_counter()
    with httpx.Client() as client:
        for i in range(count):
            client.post(receiver.url, content=b"{}", headers={"x-bench": f"direct{i}"})
    direct_rate = count / (time.perf_counter() - start)
    receiver.close()
    rt.close()
    return outbox_rate, direct_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--alerts", type=int, default=30)
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--incidents", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("a", "b"):
            Path(tmp, name).mkdir()
        pages, direct = latency(Path(tmp, "a"), args.alerts)
        ms = sorted(p * 1000 for p in pages)
        median = statistics.median(ms)
        print(f"alert -> page at receiver, {len(ms)} alerts (serve wiring, SQLite, webhook):")
        p90 = statistics.quantiles(ms, n=10)[-1]
        print(f"  median {median:.0f} ms, p90 {p90:.0f} ms, max {max(ms):.0f} ms")
        print(f"  baseline, one direct HTTP POST: median {statistics.median(direct) * 1000:.1f} ms")
        outbox_rate, direct_rate = throughput(Path(tmp, "b"), args.notifications, args.incidents)
        print(f"outbox, {args.notifications} notifications over {args.incidents} incidents:")
        print(
            f"  outbox worker: {outbox_rate:.0f} notifications/s (8 senders, ordered per incident)"
        )
        print(f"  baseline, sequential direct POSTs with no outbox: {direct_rate:.0f} /s")
        print(f"median alert-to-page under 1 s: {'PASS' if median < 1000 else 'FAIL'}")


if __name__ == "__main__":
    main()
