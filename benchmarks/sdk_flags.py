"""SDK benchmark: flag evaluation latency (p50/p99 per call against a plain dict lookup
measured the same way in the same run) and event throughput (enqueued by the caller, and
delivered to a local sink and to a real `tripwire serve` on SQLite).

    PYTHONPATH=src python benchmarks/sdk_flags.py [--events 50000] [--calls 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tripwire import Client

SRC = str(Path(__file__).resolve().parents[1] / "src")


# -- servers -----------------------------------------------------------------------------------


class FlagsHandler(BaseHTTPRequestHandler):
    flags: list[dict[str, Any]] = []
    version = 0

    def log_message(self, *_: Any) -> None:
        return None

    def do_GET(self) -> None:
        etag = f'"{FlagsHandler.version}"'
        if self.headers.get("if-none-match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        body = json.dumps({"flags": FlagsHandler.flags}).encode()
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def sink_main() -> None:
    """A minimal ingest endpoint in its own process: parses each batch, answers 202."""

    class Sink(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            return None

        def do_POST(self) -> None:
            n = len(json.loads(self.rfile.read(int(self.headers["content-length"])))["events"])
            body = json.dumps({"accepted": n, "duplicates": 0}).encode()
            self.send_response(202)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


# -- flags -------------------------------------------------------------------------------------


def per_call_ns(fn: Callable[[], object], calls: int) -> list[int]:
    clock = time.perf_counter_ns
    samples = [0] * calls
    for i in range(calls):
        start = clock()
        fn()
        samples[i] = clock() - start
    return samples


def describe(name: str, samples: list[int], mean_ns: float) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # noqa: E731
    return (
        f"  {name:<46} p50 {pick(0.50):6.2f} us  p99 {pick(0.99):6.2f} us  "
        f"p99.9 {pick(0.999):6.2f} us  mean (loop) {mean_ns / 1000:6.3f} us"
    )


def loop_mean_ns(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls


def bench_flags(calls: int) -> None:
    FlagsHandler.flags = [
        {
            "key": f"flag-{i}",
            "type": "boolean",
            "value": i % 2 == 0,
            "default": False,
            "use_case": None if i % 3 else "support-chat",
            "version": 1,
        }
        for i in range(200)
    ] + [{"key": "prompt", "type": "string", "value": "v14", "default": "v13"}]
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlagsHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        client = Client(
            url,
            "tok",
            flags_cache_path=Path(tmp) / "f.json",
            flags_poll_interval=0.02,
            flush_at_exit=False,
        )
        flags = client.flags
        assert flags.wait_until_ready(10)
        plain = {f["key"]: f["value"] for f in FlagsHandler.flags}
        cases: list[tuple[str, Callable[[], object]]] = [
            ("plain dict lookup (baseline)", lambda: plain.get("flag-4", False)),
            ("empty call (timer overhead)", lambda: None),
            ("flags.is_enabled (global flag)", lambda: flags.is_enabled("flag-4")),
            (
                "flags.is_enabled(use_case=...) (scoped flag)",
                lambda: flags.is_enabled("flag-3", use_case="support-chat"),
            ),
            ("flags.is_enabled (unknown key)", lambda: flags.is_enabled("nope", True)),
            ("flags.variant (string flag)", lambda: flags.variant("prompt", "v1")),
        ]
        stop = threading.Event()

        def flipper() -> None:  # the server's flags keep changing while we measure
            while not stop.is_set():
                FlagsHandler.flags[4]["value"] = not FlagsHandler.flags[4]["value"]
                FlagsHandler.version += 1
                time.sleep(0.02)

        print(f"Flag evaluation, {calls:,} timed calls each (perf_counter_ns around every call;")
        print("the poller re-fetches every 20 ms while a flag flips every 20 ms):")
        threading.Thread(target=flipper, daemon=True).start()
        results = {}
        for name, fn in cases:
            per_call_ns(fn, 10_000)  # warm up
            samples = per_call_ns(fn, calls)
            results[name] = samples
            print(describe(name, samples, loop_mean_ns(fn, calls)))
        stop.set()
        polls = flags.status.polls
        client.close()
        server.shutdown()
    p99 = sorted(results["flags.is_enabled (global flag)"])[int(0.99 * calls)] / 1000
    base = sorted(results["plain dict lookup (baseline)"])[int(0.99 * calls)] / 1000
    verdict = "PASS" if p99 < 50 else "FAIL"
    print(
        f"  is_enabled p99 {p99:.2f} us vs target 50 us: {verdict}; "
        f"{p99 / base:.1f}x the plain dict p99; {polls} polls during the run"
    )


# -- events ------------------------------------------------------------------------------------


def realistic(client: Client, i: int) -> None:
    kind = i % 10
    if kind < 7:
        client.log_output(
            "support-chat",
            "gpt-x",
            f"Customer {i} asks: how long is the refund window for an order placed last week? " * 2,
            "Our refund window is 30 days from delivery. You can start a return from the "
            "orders page; refunds reach your card within 5 business days. " * 2,
            prompt_version="v14",
            user_id=f"u{i % 997}",
            latency_ms=400.0 + i % 300,
            scores={"quality": 0.8},
            attributes={"route": "faq"},
        )
    elif kind < 9:
        client.feedback("support-chat", "up" if i % 4 else "down", user_id=f"u{i % 997}")
    else:
        client.safety_check("support-chat", "toxicity", i % 50 == 0)


def json_reference_us() -> float:
    """The cost of serialising one output event with the stdlib, timed in the same run."""
    event = {
        "id": "0" * 36,
        "type": "output",
        "ts": "2026-11-20T09:00:00.000Z",
        "use_case": "support-chat",
        "model": "gpt-x",
        "input": "q" * 180,
        "output": "a" * 240,
        "prompt_version": "v14",
        "user_id": "u1",
        "latency_ms": 400.0,
        "status": "ok",
        "scores": {"quality": 0.8},
        "attributes": {"route": "faq"},
    }
    start = time.perf_counter()
    for _ in range(20_000):
        json.dumps(event).encode()
    return (time.perf_counter() - start) / 20_000 * 1e6


def bench_events(url: str, token: str, n: int, label: str) -> None:
    client = Client(
        url,
        token,
        max_queue=n + 10,
        max_queue_bytes=1 << 30,
        flush_interval=0.2,
        flush_at_exit=False,
    )
    realistic(client, 0)
    client.flush(30)
    times = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter_ns()
        realistic(client, i)
        times.append(time.perf_counter_ns() - t0)
    enqueued = time.perf_counter() - started
    ok = client.flush(600)
    delivered = time.perf_counter() - started
    stats = client.stats
    client.close()
    times.sort()
    reference = json_reference_us()
    print(f"  {label}: {n:,} events")
    print(
        f"    enqueued by the caller: {n / enqueued:,.0f} events/s "
        f"(per call p50 {times[n // 2] / 1000:.1f} us, p99 {times[int(n * 0.99)] / 1000:.1f} us;"
        f" reference, json.dumps of one output event: {reference:.1f} us)"
    )
    print(
        f"    delivered (enqueue + flush): {n / delivered:,.0f} events/s; flushed={ok} "
        f"sent={stats.sent} dropped={stats.dropped} failed={stats.failed} "
        f"retried={stats.retried}"
    )


def run_events(n: int) -> None:
    print("\nEvent throughput (70 % outputs ~0.5 KB, 20 % feedback, 10 % safety checks):")
    env = {**os.environ, "PYTHONPATH": SRC}
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline())
        bench_events(f"http://127.0.0.1:{port}", "tok", n, "to a minimal local sink (own process)")
    finally:
        sink.terminate()
        sink.wait()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server_env = {
            **env,
            "TRIPWIRE_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "TRIPWIRE_ADMIN_TOKEN": "bench-admin-token",
            "TRIPWIRE_WORKERS": "false",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "tripwire", "serve", "--port", str(port)],
            env=server_env,
            stderr=subprocess.DEVNULL,
            cwd=tmp,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_up(url)
            bench_events(url, "bench-admin-token", n, "to `tripwire serve` (SQLite, own process)")
            stats = httpx.get(
                url + "/v1/stats", headers={"Authorization": "Bearer bench-admin-token"}
            ).json()
            print(f"    server stored: {stats['events']}")
        finally:
            server.terminate()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return sink_main()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_flags(args.calls)
    run_events(args.events)


if __name__ == "__main__":
    main()
