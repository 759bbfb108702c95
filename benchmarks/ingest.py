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
from collections.abc import Iterator
from contextlib import contextmanager
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


def env_for(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRIPWIRE_DATABASE_URL=f"sqlite:///{db}",
        TRIPWIRE_ADMIN_TOKEN=TOKEN,
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


@contextmanager
def server(db: Path, bare: bool = False, workers: bool = True) -> Iterator[tuple[str, int]]:
    """`tripwire serve` (or, with `bare`, the reference server `bare_ingest_server.py`) in its
    own process; yields (base URL, pid). `workers` False: `serve --no-workers`, no pipeline."""
    port = free_port()
    if bare:
        command = [sys.executable, str(ROOT / "benchmarks" / "bare_ingest_server.py"), str(db)]
        command.append(str(port))
    else:
        command = [sys.executable, "-m", "tripwire", "serve", "--port", str(port)]
        command.append("--workers" if workers else "--no-workers")
    proc = subprocess.Popen(
        command, env=env_for(db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(120)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_http(
    batches: list[bytes],
    events_per_batch: int,
    threads: int,
    bare: bool = False,
    workers: bool = True,
) -> dict[str, float]:
    """`threads` clients, each with its own connection, started together by one start gun,
    send every batch; events/s from the gun to the last answer."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(Path(tmp) / "http.db", bare, workers) as (url, pid),
    ):
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        todo = list(enumerate(batches))
        lock = threading.Lock()
        gun = threading.Barrier(threads + 1)
        retries = 0

        def client_loop() -> None:
            nonlocal retries
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                client.get("/healthz")  # connected before the gun
                gun.wait()
                while True:
                    with lock:
                        if not todo:
                            return
                        _, body = todo.pop()
                    while True:
                        response = client.post("/v1/events", content=body)
                        if response.status_code != 429:
                            break
                        with lock:
                            retries += 1
                        time.sleep(0.01)
                    if response.status_code != 202:
                        raise RuntimeError(response.text)

        pool = [threading.Thread(target=client_loop) for _ in range(threads)]
        for thread in pool:
            thread.start()
        cpu_before = cpu_seconds(pid)
        gun.wait()
        start = time.perf_counter()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(pid) - cpu_before
        rss = peak_rss_mb(pid)
        stored = stored_events(url, headers, Path(tmp) / "http.db", bare)
    total = len(batches) * events_per_batch
    assert stored == total, f"stored {stored} of {total}"
    return {
        "events": total,
        "seconds": elapsed,
        "rate": total / elapsed,
        "rss": rss,
        "429": retries,
        "cpu": cpu,
    }


def stored_events(url: str, headers: dict[str, str], db: Path, bare: bool) -> int:
    """Events stored by the clients (not the scores the pipeline derived)."""
    if bare:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    stats = httpx.get(f"{url}/v1/stats", headers=headers).json()["events"]
    return sum(n for kind, n in stats.items() if kind != "score")


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate (its own seconds, RSS and CPU), with the worst RSS."""
    chosen = dict(sorted(runs, key=lambda r: r["rate"])[len(runs) // 2])
    if "rss" in chosen:
        chosen["rss"] = max(r["rss"] for r in runs)
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


def bench_otlp(calls: int, per_request: int = 500) -> dict[str, dict[str, float]]:
    """Spans with content; then log records (3 per call) and the spans they join."""
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp) / "otlp.db") as (url, pid):
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-protobuf"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            for label, on_span, offset in (("spans", True, 0), ("joined", False, calls)):
                timing = {"/v1/otlp/logs": 0.0, "/v1/otlp/traces": 0.0}
                for path, body in otlp_requests(calls, per_request, on_span, offset):
                    began = time.perf_counter()
                    response = client.post(path, content=body)
                    timing[path] += time.perf_counter() - began
                    if response.status_code != 200:
                        raise RuntimeError(response.text)
                results[label] = timing
        stored = httpx.get(f"{url}/v1/stats", headers=headers).json()["events"].get("output", 0)
        rss = peak_rss_mb(pid)
    if stored != 2 * calls:
        raise RuntimeError(f"stored {stored} outputs of {2 * calls}")
    spans = results["spans"]["/v1/otlp/traces"]
    logs, joined = results["joined"]["/v1/otlp/logs"], results["joined"]["/v1/otlp/traces"]
    return {
        "spans": {"events": calls, "seconds": spans, "rate": calls / spans, "rss": rss},
        "logs": {"events": 3 * calls, "seconds": logs, "rate": 3 * calls / logs},
        "joined": {"events": calls, "seconds": joined, "rate": calls / joined},
    }


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
    extra += f", {result['429']:.0f} answers were 429" if result.get("429") else ""
    if "cpu" in result:
        extra += (
            f"; CPU {result['cpu']:.1f} s = "
            f"{result['events'] / result['cpu']:,.0f} events per CPU-second"
        )
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
    if "http" in parts:
        ours_runs, bare_runs, alone_runs = [], [], []
        for _ in range(args.repeat):  # interleaved, so every side sees the same machine load
            ours_runs.append(bench_http(bodies, 1000, args.threads))
            bare_runs.append(bench_http(bodies, 1000, args.threads, bare=True))
            if args.without_pipeline:
                alone_runs.append(bench_http(bodies, 1000, args.threads, workers=False))
        http, bare = median_run(ours_runs), median_run(bare_runs)
        print(line(f"POST /v1/events ({args.threads} clients, 1,000/batch)", http))
        print(line("reference: bare FastAPI + sqlite3 executemany", bare))
        print(f"tripwire serve ingests at {http['rate'] / bare['rate']:.0%} of the reference")
        if alone_runs:
            alone = median_run(alone_runs)
            print(line("POST /v1/events, serve --no-workers", alone))
            print(f"without its pipeline: {alone['rate'] / bare['rate']:.0%} of the reference")
    if "sdk" in parts:
        sdk = bench_sdk(make_events(args.sdk_events, seed=11, prefix="sdk-"))
        if sdk is None:
            print("SDK: skipped, tripwire.Client is not importable in this tree")
        else:
            print(line("SDK tripwire.Client (log_output/feedback/...)", sdk))
    if "otlp" in parts:
        runs = [bench_otlp(args.otlp_calls) for _ in range(args.repeat)]
        otlp = {k: median_run([r[k] for r in runs]) for k in ("spans", "logs", "joined")}
        print(line("OTLP /v1/otlp/traces (content on the span)", otlp["spans"]))
        print(line("OTLP /v1/otlp/logs (3 content records/call)", otlp["logs"]))
        print(line("OTLP /v1/otlp/traces joining those records", otlp["joined"]))
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
