"""The live part of benchmarks/scale.py: 2 API processes and 2 workers on one PostgreSQL database
under a steady mixed load (default 2,000 events/s of outputs, safety checks and feedback over 20
use cases, stamped with the wall clock), measuring while it runs:

- alert -> page: an Alertmanager alert POSTed to an API process opens an incident there, whose
  page a worker's outbox delivers to a local webhook receiver (its own process). Baseline in the
  same run: the same alerts before the load starts. The detector's own time to gather evidence is
  a property of the statistics, measured by benchmarks/detect.py; what load changes is this part.
- ingest ack -> processed: for one event of every batch, from the API's 202 to its pipeline
  partition's cursor passing it (how far behind the live stream the detectors run).
- RSS of every process, sampled every 5 s over the window (`--minutes`).
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from ingest import make_events
from receiver import SECRET, Receiver

ALERT_EVERY = 5.0  # seconds between alerts under load
BATCH = 200  # events per POST: 10 POSTs a second at 2,000 events/s
SAMPLE_EVERY = 5.0


@dataclass
class LiveResult:
    seconds: float
    events: int
    baseline_pages: list[float]
    pages: list[float]
    queued_to_delivered: list[float]
    lags: list[float]
    rss: dict[str, list[float]] = field(default_factory=dict)
    max_pending: int = 0


def live_config(hook: str) -> str:
    """Pages to one webhook, at every severity (an Alertmanager alert opens a P3). JSON is YAML."""
    return json.dumps(
        {
            "respond": {
                "people": {"alice": {"notify": ["hook"]}},
                "schedules": {
                    "primary": {"rotations": [{"members": ["alice"], "start": "2026-01-05"}]}
                },
                "escalation_policies": {"default": {"levels": [{"targets": ["schedule:primary"]}]}},
                "roles": {},
                "channels": {"hook": {"type": "webhook", "url": hook, "secret": SECRET}},
                "broadcast": [],
                "urgency": {"severities": {s: {"urgency": "page"} for s in ("P2", "P3")}},
            }
        }
    )


def alert_body(n: int) -> dict[str, Any]:
    alert = {
        "status": "firing",
        "labels": {"alertname": f"Live{n}"},
        "annotations": {"summary": "benchmark"},
        "startsAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom/graph",
        "fingerprint": f"live-{n}",
    }
    return {"version": "4", "groupKey": f"live-{n}", "status": "firing", "alerts": [alert]}


class Load:
    """Posts BATCH-event batches at `rate` events/s from two threads; remembers when the first
    event of each batch was acknowledged (the probe)."""

    def __init__(self, urls: list[str], token: str, rate: int, use_cases: list[str]) -> None:
        self.urls, self.token, self.rate, self.use_cases = urls, token, rate, use_cases
        self.stop = threading.Event()
        self.acked: dict[str, float] = {}
        self.events = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(2)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _batch(self, key: str) -> tuple[bytes, str]:
        events = make_events(BATCH, seed=hash(key) & 0xFFFF, prefix=f"{key}-")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        for n, event in enumerate(events):
            event["ts"] = now
            event["use_case"] = self.use_cases[(hash(key) + n // 3) % len(self.use_cases)]
        return orjson.dumps({"events": events}), str(events[0]["id"])

    def _run(self, lane: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        interval = 2 * BATCH / self.rate  # two lanes share the rate
        with httpx.Client(base_url=self.urls[lane % len(self.urls)], timeout=60) as http:
            sent = 0
            began = time.perf_counter()
            while not self.stop.is_set():
                body, probe = self._batch(f"l{lane}b{sent}")
                response = http.post("/v1/events", content=body, headers=headers)
                if response.status_code == 202:
                    with self.lock:
                        self.acked[probe] = time.time()
                        self.events += BATCH
                sent += 1
                pause = began + sent * interval - time.perf_counter()
                if pause > 0:
                    self.stop.wait(pause)


class Sampler:
    """Every SAMPLE_EVERY seconds: each process's RSS and the pipeline backlog."""

    def __init__(self, procs: dict[str, list[int]], backlog: Callable[[], int]) -> None:
        self.procs, self.backlog = procs, backlog
        self.rss: dict[str, list[float]] = {role: [] for role in procs}
        self.max_pending = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self.stop.is_set():
            for role, pids in self.procs.items():
                self.rss[role].append(max(rss_mb(pid) for pid in pids))
            self.max_pending = max(self.max_pending, self.backlog())
            self.stop.wait(SAMPLE_EVERY)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Prober:
    """Polls, every 0.1 s while the load runs and after, which acknowledged probes their
    partition's cursor has passed, and when it first saw each."""

    SQL = (
        "SELECT e.id FROM events e JOIN pipeline_partitions p ON p.part = e.part "
        "WHERE e.id = ANY(%s) AND e.seq <= p.position"
    )

    def __init__(self, libpq: str, load: Load) -> None:
        self.libpq, self.load = libpq, load
        self.done: dict[str, float] = {}
        self.deadline = float("inf")
        self.thread = threading.Thread(target=self._run)

    def finish(self, grace: float) -> dict[str, float]:
        """After the load stopped: wait up to `grace` seconds for the last probes."""
        self.deadline = time.time() + grace
        self.thread.join()
        return self.done

    def _run(self) -> None:
        with psycopg.connect(self.libpq, autocommit=True) as conn:
            while time.time() < self.deadline:
                with self.load.lock:
                    waiting = [i for i in self.load.acked if i not in self.done]
                if not waiting and self.load.stop.is_set():
                    return
                now = time.time()
                for (event_id,) in conn.execute(self.SQL, (waiting,)).fetchall():
                    self.done[str(event_id)] = now
                time.sleep(0.1)


def send_alerts(
    urls: list[str], token: str, first: int, count: int, every: float, stop: threading.Event
) -> dict[int, float]:
    sent: dict[int, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=60) as http:
        for n in range(first, first + count):
            if stop.is_set():
                break
            sent[n] = time.time()
            url = urls[n % len(urls)]
            response = http.post(
                f"{url}/v1/alerts/alertmanager", json=alert_body(n), headers=headers
            )
            response.raise_for_status()
            stop.wait(every)
    return sent


def page_times(libpq: str, receiver: Receiver) -> dict[int, tuple[float, float]]:
    """Alert number -> (page queued, page arrived) from the outbox and the receiver."""
    sql = (
        "SELECT o.id, s.dedup_key, o.created_at FROM outbox o "
        "JOIN incidents i ON o.ordering_key = 'INC-' || i.number "
        "JOIN incident_signals s ON s.incident = i.number WHERE o.channel = 'hook'"
    )
    with psycopg.connect(libpq) as conn:
        rows = conn.execute(sql).fetchall()
    with receiver.lock:
        arrivals = dict(receiver.arrivals)
    found: dict[int, tuple[float, float]] = {}
    for note_id, key, created in rows:
        match = re.search(r"live-(\d+)", str(key))
        if match and str(note_id) in arrivals:
            queued = created.replace(tzinfo=UTC).timestamp()
            found[int(match.group(1))] = (queued, arrivals[str(note_id)])
    return found


@contextmanager
def receiver_and_config() -> Iterator[tuple[Receiver, Path]]:
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "tripwire.yaml"
        config.write_text(live_config(receiver.url))
        try:
            yield receiver, config
        finally:
            receiver.close()


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s "
        f"(n={len(ordered)})"
    )
