"""Ingest throughput, end to end, against baselines measured in the same run.

    PYTHONPATH=src python benchmarks/ingest.py [--batches 100] [--repeat 3] [--parts http,otlp]

Measures, on a fresh SQLite file each:
1. POST /v1/events: batches of 1,000 realistic output/feedback/safety events sent by two client
   threads to `tripwire serve` running in its own process; events/s and the server's peak RSS.
2. The SDK (`tripwire.Client`), if it can be imported: events/s from log_output/feedback/
   safety_check to the same kind of server.
3. `tripwire replay FILE.jsonl` as a subprocess: events/s end to end (process start included).
3b. OTLP/HTTP protobuf to `tripwire serve`: GenAI spans with their content on the span
   (`/v1/otlp/traces`), and the official instrumentation's way: three content log records per
   call (`/v1/otlp/logs`, records/s) followed by the content-less spans they join (spans/s).
4. Baseline: the same rows written with raw sqlite3 `executemany` into the same schema (what the
   disk and SQLite alone allow), and json.loads of the same bodies (what parsing alone costs).

The reference for 1 is `benchmarks/bare_ingest_server.py` (FastAPI + sqlite3 executemany, no
validation, no pipeline), run the same way, interleaved with Tripwire's runs (`--repeat N`
takes each side's median run): on a shared machine the ratio is the figure to read.
`--without-pipeline` adds `tripwire serve --no-workers` to the interleaved runs: the same
ingest without the pipeline that shares the process's cores and SQLite's write lock.
`--processes N` adds `tripwire serve --processes N` (N pre-forked server processes on one
socket, the pipeline's partitions split between them; with `--without-pipeline` also
`serve --processes N --no-workers`) to the interleaved HTTP runs and runs OTLP against it
too; its CPU and peak RSS are summed over the parent and its children (PSS,
which counts the pages the forked processes share once, is printed beside). `--otlp-threads`
sends the content-on-span exports from that many clients at once. `--against TREE` runs
`tripwire serve` from another checkout too (TREE/src, e.g. `main` before a change), interleaved
with this tree's runs in the same HTTP and OTLP rounds: the A/B of a change under the same
load. Each line gives the load average at the start of its runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "tw_benchmark-admin-token-0123456789abcdef"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
QUESTIONS = [
    "How do I get a refund for my order?",
    "Can you summarise this discharge note for the patient?",
    "Why was my card declined when I tried to upgrade my plan?",
    "What is the difference between the pro and team plans?",
]
ANSWERS = [
    "You can request a refund within 30 days of purchase from the Orders page. ",
    "The patient was admitted for pneumonia, treated with antibiotics and is stable. ",
    "Card declines usually come from the bank; please check with them or try another card. ",
    "The team plan adds shared workspaces, admin controls and priority support. ",
]


def make_events(count: int, seed: int = 7, prefix: str = "") -> list[dict[str, Any]]:
    """Realistic traffic: for every output, one safety check, and feedback on a third."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    i = 0
    while len(events) < count:
        ts = START + timedelta(milliseconds=250 * i)
        use_case = rng.choice(["support-chat", "med-summary", "billing-bot"])
        out_id = f"{prefix}out-{i}"
        stamp = ts.isoformat().replace("+00:00", "Z")
        q = rng.randrange(len(QUESTIONS))
        events.append(
            {
                "id": out_id,
                "type": "output",
                "ts": stamp,
                "use_case": use_case,
                "model": "gpt-4o",
                "model_version": "2024-08-06",
                "prompt_version": f"p{rng.randrange(3)}",
                "user_id": f"user-{rng.randrange(5000)}",
                "session_id": f"sess-{rng.randrange(20000)}",
                "input": QUESTIONS[q] + f" (ticket {rng.randrange(10**6)})",
                "output": ANSWERS[q] * rng.randint(1, 4),
                "latency_ms": round(rng.uniform(200, 3000), 1),
                "scores": {"quality": round(rng.random(), 3)},
                "attributes": {"tokens": rng.randrange(50, 900), "region": "eu"},
            }
        )
        events.append(
            {
                "id": f"{prefix}safe-{i}",
                "type": "safety",
                "ts": stamp,
                "use_case": use_case,
                "filter": "toxicity",
                "triggered": rng.random() < 0.02,
                "output_id": out_id,
            }
        )
        if i % 3 == 0:
            events.append(
                {
                    "id": f"{prefix}fb-{i}",
                    "type": "feedback",
                    "ts": stamp,
                    "use_case": use_case,
                    "output_id": out_id,
                    "user_id": f"user-{rng.randrange(5000)}",
                    "rating": rng.choice(["up", "up", "up", "down", 5, 2]),
                }
            )
        i += 1
    return events[:count]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(db: Path, src: Path = ROOT / "src") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRIPWIRE_DATABASE_URL=f"sqlite:///{db}",
        TRIPWIRE_ADMIN_TOKEN=TOKEN,
        PYTHONPATH=str(src),
    )
    return env


@contextmanager
def server(
    db: Path,
    bare: bool = False,
    workers: bool = True,
    processes: int = 1,
    src: Path = ROOT / "src",
) -> Iterator[tuple[str, int]]:
    """`tripwire serve` (or, with `bare`, the reference server `bare_ingest_server.py`) in its
    own process; yields (base URL, pid). `workers` False: `serve --no-workers`, no pipeline;
    `processes` > 1: `serve --processes N` (the pid is the supervisor's, see `tree`); `src`:
    the tree whose `tripwire` runs (`--against`)."""
    port = free_port()
    if bare:
        command = [sys.executable, str(ROOT / "benchmarks" / "bare_ingest_server.py"), str(db)]
        command.append(str(port))
    else:
        command = [sys.executable, "-m", "tripwire", "serve", "--port", str(port)]
        command.append("--workers" if workers else "--no-workers")
        if processes > 1:
            command += ["--processes", str(processes)]
    proc = subprocess.Popen(
        command, env=env_for(db, src), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.1)
        while len(tree(proc.pid)) < processes + (processes > 1):
            time.sleep(0.1)  # /healthz answered by the first child: wait for the others
        settle(proc.pid)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(120)


def settle(pid: int, quiet: float = 0.1, most: float = 20.0) -> None:
    """Wait until the server has finished starting (every process built its runtime, the
    pipeline's first round over its partitions is done): its processes together use less than
    `quiet` of a core over half a second. Every side gets the same wait."""
    deadline = time.monotonic() + most
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - before < quiet * 0.5:
            return
        before = now


def tree(pid: int) -> list[int]:
    """The process and its children (`serve --processes N`: the supervisor and its N)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def _status_kb(pid: int, field: str, name: str = "status") -> float:
    for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return float("nan")


def peak_rss_mb(pid: int) -> float:
    """The peak RSS of the process, summed over its children (pages they share count twice)."""
    return sum(_status_kb(p, "VmHWM:") for p in tree(pid)) / 1024


def pss_mb(pid: int) -> float:
    """The proportional set size now, summed over the process and its children: each shared
    page counts once in all (what the processes cost the machine together)."""
    return sum(_status_kb(p, "Pss:", "smaps_rollup") for p in tree(pid)) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process and its children have used so far."""
    total = 0
    for one in tree(pid):
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def bench_http(
    batches: list[bytes],
    events_per_batch: int,
    threads: int,
    bare: bool = False,
    workers: bool = True,
    processes: int = 1,
    src: Path = ROOT / "src",
) -> dict[str, float]:
    """`threads` clients, each with its own connection, started together by one start gun,
    send every batch; events/s from the gun to the last answer."""
    load = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(Path(tmp) / "http.db", bare, workers, processes, src) as (url, pid),
    ):
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        requests = [("/v1/events", body) for body in batches]
        cpu_before: list[float] = []
        burst = send_burst(
            url,
            headers,
            requests,
            threads,
            202,
            before_gun=lambda: cpu_before.append(cpu_seconds(pid)),
        )
        start, elapsed, retries = burst.start, burst.elapsed, burst.retries
        cpu = cpu_seconds(pid) - cpu_before[0]
        processed: dict[str, float] = {}
        if workers and not bare:  # and until the pipeline has caught up with the burst
            wait_processed(url, headers)
            processed["done"] = time.perf_counter() - start
            processed["done_cpu"] = cpu_seconds(pid) - cpu_before[0]
        rss, pss = peak_rss_mb(pid), pss_mb(pid)
        stored = stored_events(url, headers, Path(tmp) / "http.db", bare)
    total = len(batches) * events_per_batch
    assert stored == total, f"stored {stored} of {total}"
    return {
        "events": total,
        "seconds": elapsed,
        "rate": total / elapsed,
        "rss": rss,
        "pss": pss,
        "429": retries,
        "cpu": cpu,
        "load": load,
        **processed,
    }


def wait_processed(url: str, headers: dict[str, str], most: float = 300.0) -> None:
    """Until `/v1/stats` says the pipeline has no event left to process."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        stats = httpx.get(f"{url}/v1/stats", headers=headers, timeout=60).json()
        if stats["pipeline"]["pending"] == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("the pipeline did not catch up")


def stored_events(url: str, headers: dict[str, str], db: Path, bare: bool) -> int:
    """Events stored by the clients (not the scores the pipeline derived)."""
    if bare:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    stats = httpx.get(f"{url}/v1/stats", headers=headers).json()["events"]
    return sum(n for kind, n in stats.items() if kind != "score")


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate (its own seconds, RSS and CPU), with the worst RSS and
    the range of the load averages the runs started at."""
    chosen = dict(sorted(runs, key=lambda r: r["rate"])[len(runs) // 2])
    for key in ("rss", "pss"):
        if key in chosen:
            chosen[key] = max(r[key] for r in runs)
    if "load" in chosen:
        chosen["load"] = min(r["load"] for r in runs)
        chosen["load_max"] = max(r["load"] for r in runs)
    return chosen


def bench_sdk(events: list[dict[str, Any]]) -> dict[str, float] | None:
    try:
        from tripwire import Client  # type: ignore[attr-defined]
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp) / "sdk.db") as (url, pid):
        client = Client(url, TOKEN)
        start = time.perf_counter()
        for e in events:
            send_with_sdk(client, e)
        client.flush()
        elapsed = time.perf_counter() - start
        client.close()
        headers = {"Authorization": f"Bearer {TOKEN}"}
        counts = httpx.get(f"{url}/v1/stats", headers=headers).json()["events"]
        stored = sum(n for kind, n in counts.items() if kind != "score")
        rss = peak_rss_mb(pid)
    return {"events": stored, "seconds": elapsed, "rate": stored / elapsed, "rss": rss}


def send_with_sdk(client: Any, event: dict[str, Any]) -> None:
    # The SDK stamps its own ids and times.
    fields = {k: v for k, v in event.items() if k not in ("id", "type", "ts")}
    if event["type"] == "output":
        client.log_output(**fields)
    elif event["type"] == "feedback":
        client.feedback(**fields)
    else:
        client.safety_check(**fields)


def bench_replay(events: list[dict[str, Any]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        shuffled = list(events)
        random.Random(3).shuffle(shuffled)  # replay must sort by ts itself
        with path.open("w", encoding="utf-8") as handle:
            for event in shuffled:
                handle.write(json.dumps(event) + "\n")
        cpu_before = _children_cpu()
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tripwire", "replay", str(path)],
            env=env_for(Path(tmp) / "replay.db"),
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - start
        cpu = _children_cpu() - cpu_before
    return {"events": len(events), "seconds": elapsed, "rate": len(events) / elapsed, "cpu": cpu}


def otlp_requests(
    calls: int, per_request: int, content_on_span: bool, offset: int = 0
) -> list[tuple[str, bytes]]:
    """(path, protobuf body) of OTLP exports of `calls` chat calls: spans carrying their
    content, or content-less spans each preceded by the export of their content records."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    def kv(key: str, value: Any) -> KeyValue:
        if isinstance(value, int):
            return KeyValue(key=key, value=AnyValue(int_value=value))
        return KeyValue(key=key, value=AnyValue(string_value=value))

    start = int(START.timestamp() * 1e9)
    bodies: list[tuple[str, bytes]] = []
    for first in range(offset, offset + calls, per_request):
        traces, logs = ExportTraceServiceRequest(), ExportLogsServiceRequest()
        spans = traces.resource_spans.add()
        spans.resource.attributes.append(kv("service.name", "support-chat"))
        scope_spans = spans.scope_spans.add()
        scope_spans.scope.name = "opentelemetry.instrumentation.openai_v2"
        records = logs.resource_logs.add().scope_logs.add()
        for n in range(first, min(offset + calls, first + per_request)):
            trace_id, span_id = (n + 1).to_bytes(16, "big"), (n + 1).to_bytes(8, "big")
            q, a = QUESTIONS[n % len(QUESTIONS)], ANSWERS[n % len(ANSWERS)]
            attrs = {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 40 + n % 50,
                "gen_ai.usage.output_tokens": 20 + n % 80,
            }
            if content_on_span:
                attrs["gen_ai.input.messages"] = json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": q}]}]
                )
                attrs["gen_ai.output.messages"] = json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": a}]}]
                )
            span = scope_spans.spans.add(
                trace_id=trace_id,
                span_id=span_id,
                name="chat gpt-4o-mini",
                kind=3,
                start_time_unix_nano=start + n * 10**9,
                end_time_unix_nano=start + n * 10**9 + 800 * 10**6,
            )
            span.attributes.extend(kv(k, v) for k, v in attrs.items())
            for i, (name, body) in enumerate(
                (
                    ("gen_ai.system.message", {"content": "Be brief."}),
                    ("gen_ai.user.message", {"content": q}),
                    ("gen_ai.choice", {"index": 0, "message": {"content": a}}),
                )
            ):
                record = records.log_records.add(
                    time_unix_nano=start + n * 10**9 + i, event_name=name, trace_id=trace_id
                )
                record.span_id = span_id
                record.body.CopyFrom(_any(body))
        if not content_on_span:
            bodies.append(("/v1/otlp/logs", logs.SerializeToString()))
        bodies.append(("/v1/otlp/traces", traces.SerializeToString()))
    return bodies


def _any(value: Any) -> Any:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList

    if isinstance(value, dict):
        items = [KeyValue(key=k, value=_any(v)) for k, v in value.items()]
        return AnyValue(kvlist_value=KeyValueList(values=items))
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=value)


def bench_otlp(
    calls: int,
    per_request: int = 500,
    processes: int = 1,
    threads: int = 1,
    src: Path = ROOT / "src",
) -> dict[str, dict[str, float]]:
    """Spans with content, from `threads` clients at once (wall time from the first export to
    the last answer); then, from one client, log records (3 per call) and the spans they join."""
    results: dict[str, dict[str, float]] = {}
    load = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(Path(tmp) / "otlp.db", processes=processes, src=src) as (url, pid),
    ):
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-protobuf"}
        cpu_before = cpu_seconds(pid)
        spans = _otlp_concurrently(url, headers, otlp_requests(calls, per_request, True), threads)
        cpu = cpu_seconds(pid) - cpu_before
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            timing = {"/v1/otlp/logs": 0.0, "/v1/otlp/traces": 0.0}
            for path, body in otlp_requests(calls, per_request, False, calls):
                began = time.perf_counter()
                response = client.post(path, content=body)
                timing[path] += time.perf_counter() - began
                if response.status_code != 200:
                    raise RuntimeError(response.text)
            results["joined"] = timing
        stored = httpx.get(f"{url}/v1/stats", headers=headers).json()["events"].get("output", 0)
        rss, pss = peak_rss_mb(pid), pss_mb(pid)
    if stored != 2 * calls:
        raise RuntimeError(f"stored {stored} outputs of {2 * calls}")
    logs, joined = results["joined"]["/v1/otlp/logs"], results["joined"]["/v1/otlp/traces"]
    return {
        "spans": {
            "events": calls,
            "seconds": spans,
            "rate": calls / spans,
            "rss": rss,
            "pss": pss,
            "cpu": cpu,
            "load": load,
        },
        "logs": {"events": 3 * calls, "seconds": logs, "rate": 3 * calls / logs},
        "joined": {"events": calls, "seconds": joined, "rate": calls / joined},
    }


def _otlp_concurrently(
    url: str, headers: dict[str, str], requests: list[tuple[str, bytes]], threads: int
) -> float:
    """Send `requests` from `threads` clients; the seconds from the gun to the last answer."""
    return send_burst(url, headers, requests, threads, 200).elapsed


@dataclass
class Burst:
    start: float  # perf_counter at the gun
    elapsed: float  # seconds from the gun to the last answer
    retries: int  # answers 429 sent again


def send_burst(
    url: str,
    headers: dict[str, str],
    requests: list[tuple[str, bytes]],
    threads: int,
    expected: int,
    before_gun: Callable[[], object] = lambda: None,
) -> Burst:
    """Send `requests` (path, body) in order from `threads` clients, each with its own
    connection made before one start gun; a 429 is sent again, any other answer than
    `expected` fails the run."""
    todo = list(reversed(requests))
    lock = threading.Lock()
    gun = threading.Barrier(threads + 1)
    retries = 0
    failures: list[str] = []

    def client_loop() -> None:
        nonlocal retries
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            client.get("/healthz")  # connected before the gun
            gun.wait()
            while True:
                with lock:
                    if not todo or failures:
                        return
                    path, body = todo.pop()
                while (response := client.post(path, content=body)).status_code == 429:
                    with lock:
                        retries += 1
                    time.sleep(0.01)
                if response.status_code != expected:
                    with lock:
                        failures.append(response.text)

    pool = [threading.Thread(target=client_loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    before_gun()
    gun.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(failures[0])
    return Burst(start, elapsed, retries)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_sqlite_baseline(batches: list[list[dict[str, Any]]]) -> dict[str, float]:
    """Raw sqlite3 executemany of the same rows into the real schema, one commit per batch."""
    sys.path.insert(0, str(ROOT / "src"))
    from tripwire.store.db import Database
    from tripwire.store.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/base.db")
        upgrade(db.engine)
        db.dispose()
        conn = sqlite3.connect(f"{tmp}/base.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        now = "2026-11-20 09:00:00.000000"
        start = time.perf_counter()
        for batch in batches:
            rows = [
                (e["id"], e["type"], e["ts"], e["use_case"], e.get("output_id"), now, "ingest",
                 json.dumps(e))
                for e in batch
            ]  # fmt: skip
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, "
                "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                rows,
            )
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    total = sum(len(b) for b in batches)
    return {"events": total, "seconds": elapsed, "rate": total / elapsed}


def bench_json_baseline(bodies: list[bytes]) -> dict[str, float]:
    start = time.perf_counter()
    for body in bodies:
        json.loads(body)
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "rate": len(bodies) * 1000 / elapsed}


def line(name: str, result: dict[str, float]) -> str:
    extra = f", server peak RSS {result['rss']:.0f} MB" if "rss" in result else ""
    extra += f" (PSS {result['pss']:.0f} MB)" if "pss" in result else ""
    extra += f", {result['429']:.0f} answers were 429" if result.get("429") else ""
    if "cpu" in result:
        extra += (
            f"; CPU {result['cpu']:.1f} s = "
            f"{result['events'] / result['cpu']:,.0f} events per CPU-second"
        )
    if "done" in result:
        extra += (
            f"; all processed by the pipeline after {result['done']:.1f} s, "
            f"CPU {result['done_cpu']:.1f} s = "
            f"{result['events'] / result['done_cpu']:,.0f} events per CPU-second"
        )
    if "load" in result:
        extra += f"; load {result['load']:.1f}-{result.get('load_max', result['load']):.1f}"
    return f"{name:44} {result['rate']:>10,.0f} events/s  ({result['seconds']:.1f} s){extra}"


PARTS = ("http", "sdk", "otlp", "replay", "baselines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100, help="HTTP batches of 1,000")
    parser.add_argument("--threads", type=int, default=2, help="concurrent HTTP clients")
    parser.add_argument("--replay-events", type=int, default=200_000)
    parser.add_argument("--sdk-events", type=int, default=50_000)
    parser.add_argument("--otlp-calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of HTTP and OTLP; median")
    parser.add_argument("--parts", default=",".join(PARTS), help="which of " + ",".join(PARTS))
    parser.add_argument(
        "--without-pipeline",
        action="store_true",
        help="HTTP also against `serve --no-workers`: what the in-process pipeline costs ingest",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="HTTP and OTLP also against `serve --processes N` (N > 1), interleaved",
    )
    parser.add_argument(
        "--otlp-threads", type=int, default=1, help="concurrent clients sending OTLP spans"
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="a checkout whose `tripwire serve` runs too, interleaved (e.g. main, for an A/B)",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--parts: unknown {sorted(parts - set(PARTS))}; choose among {PARTS}")

    events = make_events(args.batches * 1000)
    batches = [events[i : i + 1000] for i in range(0, len(events), 1000)]
    bodies = [json.dumps({"events": b}).encode() for b in batches]
    print(f"{len(events):,} events in {len(batches)} batches, {sum(map(len, bodies)) / 1e6:.0f} MB")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")

    bare: dict[str, float] | None = None
    other = (args.against / "src").resolve() if args.against else ROOT / "src"
    if "http" in parts:
        ours_runs, bare_runs, alone_runs, many_runs, many_alone_runs = [], [], [], [], []
        other_runs, other_alone_runs = [], []
        for round_ in range(args.repeat):  # interleaved, so every side sees the same load
            # `--against`: the other tree goes first every other round (load drifts in a run).
            other_first = bool(args.against) and round_ % 2 == 1
            if other_first:
                other_runs.append(bench_http(bodies, 1000, args.threads, src=other))
            ours_runs.append(bench_http(bodies, 1000, args.threads))
            if args.against and not other_first:
                other_runs.append(bench_http(bodies, 1000, args.threads, src=other))
            bare_runs.append(bench_http(bodies, 1000, args.threads, bare=True))
            if args.without_pipeline:
                alone_runs.append(bench_http(bodies, 1000, args.threads, workers=False))
            if args.without_pipeline and args.against:
                other_alone_runs.append(
                    bench_http(bodies, 1000, args.threads, workers=False, src=other)
                )
            if args.processes > 1:
                many_runs.append(bench_http(bodies, 1000, args.threads, processes=args.processes))
            if args.processes > 1 and args.without_pipeline:
                many_alone_runs.append(
                    bench_http(bodies, 1000, args.threads, False, False, args.processes)
                )
        http, bare = median_run(ours_runs), median_run(bare_runs)
        print(line(f"POST /v1/events ({args.threads} clients, 1,000/batch)", http))
        print(line("reference: bare FastAPI + sqlite3 executemany", bare))
        print(f"tripwire serve ingests at {http['rate'] / bare['rate']:.0%} of the reference")
        if alone_runs:
            alone = median_run(alone_runs)
            print(line("POST /v1/events, serve --no-workers", alone))
            print(f"without its pipeline: {alone['rate'] / bare['rate']:.0%} of the reference")
        for name, runs in (("", other_runs), (", --no-workers", other_alone_runs)):
            if runs:
                print(line(f"  {args.against}{name}", median_run(runs)))
        if many_runs:
            many = median_run(many_runs)
            print(line(f"POST /v1/events, serve --processes {args.processes}", many))
            print(
                f"{args.processes} processes: {many['rate'] / bare['rate']:.0%} of the reference,"
                f" {many['rate'] / http['rate']:.2f}x one process"
            )
        if many_alone_runs:
            many_alone = median_run(many_alone_runs)
            print(line(f"serve --processes {args.processes} --no-workers", many_alone))
            print(
                f"{args.processes} processes without their pipeline: "
                f"{many_alone['rate'] / bare['rate']:.0%} of the reference, "
                f"{many_alone['rate'] / alone['rate']:.2f}x one process without"
            )
    if "sdk" in parts:
        sdk = bench_sdk(make_events(args.sdk_events, seed=11, prefix="sdk-"))
        if sdk is None:
            print("SDK: skipped, tripwire.Client is not importable in this tree")
        else:
            print(line("SDK tripwire.Client (log_output/feedback/...)", sdk))
    if "otlp" in parts:
        runs, many_otlp, other_otlp = [], [], []
        for round_ in range(args.repeat):
            other_first = bool(args.against) and round_ % 2 == 1  # as for HTTP above
            if other_first:
                other_otlp.append(bench_otlp(args.otlp_calls, threads=args.otlp_threads, src=other))
            runs.append(bench_otlp(args.otlp_calls, threads=args.otlp_threads))
            if args.against and not other_first:
                other_otlp.append(bench_otlp(args.otlp_calls, threads=args.otlp_threads, src=other))
            if args.processes > 1:
                many_otlp.append(
                    bench_otlp(args.otlp_calls, processes=args.processes, threads=args.otlp_threads)
                )
        otlp = {k: median_run([r[k] for r in runs]) for k in ("spans", "logs", "joined")}
        clients = f"{args.otlp_threads} client{'s' if args.otlp_threads > 1 else ''}"
        print(line(f"OTLP /v1/otlp/traces (content on the span, {clients})", otlp["spans"]))
        print(line("OTLP /v1/otlp/logs (3 content records/call)", otlp["logs"]))
        print(line("OTLP /v1/otlp/traces joining those records", otlp["joined"]))
        if other_otlp:
            print(line(f"  {args.against}", median_run([r["spans"] for r in other_otlp])))
        if many_otlp:
            spans = median_run([r["spans"] for r in many_otlp])
            name = f"OTLP traces, serve --processes {args.processes}"
            print(line(name, spans))
            print(f"{args.processes} processes: {spans['rate'] / otlp['spans']['rate']:.2f}x one")
        if bare is not None:
            share = otlp["spans"]["rate"] / bare["rate"]
            print(f"OTLP spans/s are {share:.0%} of the reference's JSON events/s")
    if "replay" in parts:
        replay = bench_replay(make_events(args.replay_events, seed=5, prefix="r-"))
        print(line(f"tripwire replay ({args.replay_events:,} events, shuffled)", replay))
    if "baselines" in parts:
        base = bench_sqlite_baseline(batches)
        print(line("baseline: raw sqlite3 executemany, same rows", base))
        parse = bench_json_baseline(bodies)
        print(line("baseline: json.loads of the same bodies", parse))


if __name__ == "__main__":
    main()
