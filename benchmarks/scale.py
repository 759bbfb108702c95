"""Scale-out on PostgreSQL: ingest with 1 and 2 API processes, the partitioned pipeline with 1, 2
and 4 workers over the same stored week, and the takeover time after kill -9 of a worker.

    PYTHONPATH=src python benchmarks/scale.py [--events 200000] [--workers 1,2,4] [--repeat 3]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Every run gets a fresh database on the given server (dropped afterwards). The stored week is
loaded once into a template database (20 use cases over 7 days, 64 partitions) and copied for
each pipeline run, so 1, 2 and 4 workers process exactly the same events. Reference baselines
from the same run: raw psycopg `executemany` of the same rows into the same table (what the
database alone allows for ingest) and one process reading every stored event back with its
JSON decoded (the floor under any pipeline). The machine is shared: run it on a quiet one for
figures to quote, and read each figure against its same-run baseline.

Fairness: HTTP clients connect first and start together on one start gun; a pipeline run is
timed (and its CPU counted) from the moment the partitions are spread as the coordinator
assigned them, so process start-up and the first rebalance are not pipeline work, to the
moment every cursor has passed its partition's newest event, watched through the 64 partition
rows alone (see `bench_pipeline`); `--repeat N` interleaves the worker counts N times and keeps
each one's median run.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from sqlalchemy.engine import make_url

from tripwire.store.retention import BATCH

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import cpu_seconds, free_port, make_events, peak_rss_mb
from scale_live import (
    ALERT_EVERY,
    LiveResult,
    Load,
    Prober,
    Sampler,
    page_times,
    percentiles,
    receiver_and_config,
    send_alerts,
)
from scale_retention import bench_migration, bench_retention

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "tw_benchmark-admin-token-0123456789abcdef"
USE_CASES = [f"product-{i:02d}" for i in range(20)]
WEEK = timedelta(days=7)
# The stored week ends yesterday: inside the retention window, so in day partitions.
START = datetime.combine(datetime.now(UTC).date() - timedelta(days=8), datetime.min.time(), UTC)


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def database(server: str, template: str | None = None) -> Iterator[str]:
    name = f"tw_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def week_of_events(count: int) -> list[dict[str, Any]]:
    """`count` realistic events spread over a week and 20 use cases."""
    events = make_events(count, seed=3, prefix="wk-")
    step = WEEK / max(1, count)
    for i, event in enumerate(events):
        event["use_case"] = USE_CASES[(i // 3) % len(USE_CASES)]
        event["ts"] = (START + step * i).isoformat().replace("+00:00", "Z")
    return events


def env_for(url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRIPWIRE_DATABASE_URL=url,
        TRIPWIRE_ADMIN_TOKEN=TOKEN,
        PYTHONPATH=str(ROOT / "src"),
        **extra,
    )
    return env


def start(args: list[str], url: str, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tripwire", *args],
        env=env_for(url, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def post_all(urls: list[str], bodies: list[bytes], clients: int) -> float:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    todo = list(bodies)
    lock = threading.Lock()

    gun = threading.Barrier(clients + 1)

    def client(base: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            http.get("/healthz")  # connected before the gun
            gun.wait()
            while True:
                with lock:
                    if not todo:
                        return
                    body = todo.pop()
                while (response := http.post("/v1/events", content=body)).status_code == 429:
                    time.sleep(0.01)
                if response.status_code != 202:
                    raise RuntimeError(response.text)

    threads = [threading.Thread(target=client, args=(urls[i % len(urls)],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    gun.wait()  # every client starts together
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def bench_ingest(
    server: str, bodies: list[bytes], processes: int, clients: int
) -> dict[str, float]:
    with database(server) as url:
        init = start(["data", "retention"], url)  # creates the schema once, before the servers
        init.wait(120)
        procs, urls = [], []
        for _ in range(processes):
            port = free_port()
            procs.append(start(["serve", "--no-workers", "--port", str(port)], url))
            urls.append(f"http://127.0.0.1:{port}")
        try:
            for base, proc in zip(urls, procs, strict=True):
                wait_healthy(base, proc)
            cpu0 = sum(cpu_seconds(p.pid) for p in procs)
            seconds = post_all(urls, bodies, clients)
            cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
            rss = max(peak_rss_mb(p.pid) for p in procs)
        finally:
            stop(procs)
        events = sum(len(orjson.loads(b)["events"]) for b in bodies)
        stored = count_rows(url, "SELECT count(*) FROM events")
        assert stored == events, f"stored {stored} of {events}"
    return {"events": events, "seconds": seconds, "rate": events / seconds, "cpu": cpu, "rss": rss}


def baseline_ingest(server: str, events: list[dict[str, Any]]) -> dict[str, float]:
    """Raw psycopg executemany of the same rows into Tripwire's own events table."""
    with database(server) as url:
        start(["data", "retention"], url).wait(120)
        rows = [
            (
                e["id"],
                e["type"],
                e["ts"],
                e.get("use_case"),
                e.get("output_id"),
                e["ts"],
                "ingest",
                orjson.dumps(e).decode(),
            )
            for e in events
        ]
        sql = (
            "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, "
            "payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id, ts) DO NOTHING"
        )
        began = time.perf_counter()
        with psycopg.connect(libpq(url)) as conn, conn.cursor() as cur:
            for i in range(0, len(rows), 1000):
                cur.executemany(sql, rows[i : i + 1000])
                conn.commit()
        seconds = time.perf_counter() - began
    return {"events": len(rows), "seconds": seconds, "rate": len(rows) / seconds}


def count_rows(url: str, sql: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


# The events table is partitioned by day: its size is that of its partitions.
EVENTS_SIZE = (
    "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
    "WHERE inhparent = 'events'::regclass"
)
PENDING = (
    "SELECT count(*) FROM events e JOIN pipeline_partitions p ON p.part = e.part "
    "WHERE e.seq > p.position"
)


# Partitions with an event past their cursor: one probe of the (part, seq) index per partition
# and day, written as `tripwire.store.partitions.pending_by_part` writes it.
BEHIND = (
    "SELECT count(*) FROM pipeline_partitions p WHERE (SELECT e.seq FROM events e "
    "WHERE (e.part, e.seq) > (p.part, p.position) "
    "AND (e.part, e.seq) <= (p.part, 9223372036854775807) "
    "ORDER BY e.part DESC, e.seq DESC LIMIT 1) IS NOT NULL"
)


def load_week(server: str, name: str, events: list[dict[str, Any]]) -> None:
    """The template database: schema, 64 partitions, the week stored and not yet processed."""
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    # The schema, and the day partitions a worker keeps (the retention window up to a week
    # ahead), so the week lands in its days as in a deployment, not in the default partition.
    start(["data", "retention"], url).wait(120)
    port = free_port()
    proc = start(["serve", "--no-workers", "--port", str(port)], url)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        bodies = [
            orjson.dumps({"events": events[i : i + 1000]}) for i in range(0, len(events), 1000)
        ]
        post_all([f"http://127.0.0.1:{port}"], bodies, 2)
    finally:
        stop([proc])
    # What autovacuum would have done by now on a server with its defaults (the test server
    # may run without it): planner statistics and the visibility map. Without statistics the
    # pipeline's read sorts a partition's whole backlog for each batch of 1,000 (108 ms a
    # read instead of 2 ms on 600,000 events).
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def bench_pipeline(server: str, template: str, workers: int) -> dict[str, float]:
    """`workers` worker processes over the stored week. Timed from the start gun, the moment the
    partitions are spread as the pipeline's coordinator means them to be (every partition held
    by the member it is assigned to, and every worker holding some: process start-up and the
    first rebalance are not pipeline work), to the moment every partition's cursor has passed
    its newest stored event; CPU over the same span, of the workers and of their database
    backends. While timing, the benchmark reads only the 64 partition rows (every 0.05 s; at the
    end, each partition's newest seq too), so it takes next to no CPU from the workers or the
    database. The events counted are the stored week's events past the cursors at the gun."""
    with database(server, template) as url:
        seqs = seqs_by_part(url)  # the data is fixed: read before the workers start
        procs = [start(["worker"], url) for _ in range(workers)]
        try:
            began = time.perf_counter()
            deadline = began + 3600
            while not spread(url, workers) and time.perf_counter() < deadline:
                time.sleep(0.05)
            gun = time.perf_counter()
            cpu0 = sum(cpu_seconds(p.pid) for p in procs)
            backends = {pid: pid_cpu(pid) for pid in backend_pids(url)}
            positions = cursors(url)
            todo = sum(len(s) - bisect.bisect_right(s, positions[p]) for p, s in seqs.items())
            targets = {p: s[-1] for p, s in seqs.items() if s}
            while time.perf_counter() < deadline:
                positions = cursors(url)
                if all(positions[p] >= top for p, top in targets.items()):
                    break
                time.sleep(0.05)
            # Then the scores the pipeline stored on the way (already handed on inline): the
            # cursors step past them too, and the run ends when they have.
            while count_rows(url, BEHIND) and time.perf_counter() < deadline:
                time.sleep(0.05)
            done = time.perf_counter()
            cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
            db_cpu = sum(max(0.0, pid_cpu(pid) - at_gun) for pid, at_gun in backends.items())
            rss = max(peak_rss_mb(p.pid) for p in procs)
            left = count_rows(url, PENDING)  # after the clock stopped: a check, not timed
        finally:
            stop(procs)
    if left:
        raise RuntimeError(f"{left} events past the cursors when the pipeline was timed done")
    seconds = done - gun
    return {
        "events": todo,
        "seconds": seconds,
        "rate": todo / seconds,
        "cpu_per_m": cpu / max(1, todo) * 1e6,
        "db_cpu_per_m": db_cpu / max(1, todo) * 1e6,
        "rss": rss,
        "startup": gun - began,
    }


def seqs_by_part(url: str) -> dict[int, list[int]]:
    """Every stored event's seq, by partition, ascending."""
    with psycopg.connect(libpq(url)) as conn:
        rows = conn.execute("SELECT part, seq FROM events ORDER BY seq").fetchall()
    out: dict[int, list[int]] = {}
    for part, seq in rows:
        out.setdefault(int(part), []).append(int(seq))
    return out


def cursors(url: str) -> dict[int, int]:
    with psycopg.connect(libpq(url)) as conn:
        rows = conn.execute("SELECT part, position FROM pipeline_partitions").fetchall()
    return {int(p): int(pos) for p, pos in rows}


def spread(url: str, workers: int) -> bool:
    """Whether the partitions are spread as assigned: every partition held by the member the
    coordinator assigned it to, and `workers` distinct members holding them."""
    with psycopg.connect(libpq(url)) as conn:
        rows = conn.execute("SELECT holder, assigned_to FROM pipeline_partitions").fetchall()
    settled = all(holder is not None and holder == assigned for holder, assigned in rows)
    return settled and len({holder for holder, _ in rows}) == workers


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the workers (the database's other connections). The
    workers keep their pooled connections, so those open at the gun do the work; a backend that
    ends before the clock stops counts for nothing."""
    with psycopg.connect(libpq(url)) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


def pid_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone or unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def baseline_read(server: str, template: str) -> dict[str, float]:
    """One process reading every stored event with its JSON decoded: the floor of any pipeline."""
    with database(server, template) as url:
        began = time.perf_counter()
        count = 0
        with psycopg.connect(libpq(url)) as conn, conn.cursor(name="all") as cur:
            cur.itersize = 5000
            cur.execute("SELECT seq, id, type, ts, use_case, payload FROM events ORDER BY seq")
            for row in cur:
                payload = row[5]
                if isinstance(payload, str):
                    payload = orjson.loads(payload)
                count += 1
        seconds = time.perf_counter() - began
    return {"events": count, "seconds": seconds, "rate": count / seconds}


def bench_takeover(server: str, template: str) -> dict[str, float]:
    """Two workers, idle; kill -9 one, store an event in one of its partitions, and time how
    long until the survivor holds every partition and has processed that event."""
    with database(server, template) as url:
        procs = [start(["worker"], url) for _ in range(2)]
        try:
            deadline = time.monotonic() + 600
            while count_rows(url, PENDING) and time.monotonic() < deadline:
                time.sleep(0.5)
            holders = held_by(url)
            while len(set(holders.values())) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
                holders = held_by(url)
            victim = procs[1]
            victim_holder = next(h for h in set(holders.values()) if f":{victim.pid}:" in h)
            victim_parts = [p for p, h in holders.items() if h == victim_holder]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed = time.perf_counter()
            probe = probe_event(url, victim_parts[0])
            taken = processed = None
            while time.perf_counter() - killed < 60 and (taken is None or processed is None):
                now = time.perf_counter()
                holders = held_by(url)
                if taken is None and victim_holder not in holders.values() and len(holders) == 64:
                    taken = now - killed
                if processed is None and probe():
                    processed = now - killed
                time.sleep(0.05)
        finally:
            stop(procs)
    return {"taken": taken or float("nan"), "processed": processed or float("nan")}


def held_by(url: str) -> dict[int, str]:
    with psycopg.connect(libpq(url)) as conn:
        rows = conn.execute(
            "SELECT part, holder FROM pipeline_partitions WHERE holder IS NOT NULL"
        ).fetchall()
    return {int(p): str(h) for p, h in rows}


def probe_event(url: str, part: int) -> Any:
    """POST one event whose use case hashes to `part`; returns a check that it was processed."""
    import zlib

    use_case = next(
        f"probe-{i}" for i in range(100_000) if zlib.crc32(f"probe-{i}".encode()) % 64 == part
    )
    event = make_events(1, seed=99, prefix="probe-")[0]
    event["use_case"] = use_case
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute(
            "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, payload, "
            "part) VALUES (%s, %s, %s, %s, NULL, now(), 'ingest', %s, %s) RETURNING seq",
            (event["id"], event["type"], event["ts"], use_case, json.dumps(event), part),
        ).fetchone()
    seq = int(row[0]) if row else 0

    def processed() -> bool:
        with psycopg.connect(libpq(url)) as conn:
            row = conn.execute(
                "SELECT position FROM pipeline_partitions WHERE part = %s", (part,)
            ).fetchone()
        return row is not None and int(row[0]) >= seq

    return processed


def bench_live(server: str, seconds: float, rate: int) -> LiveResult:
    """2 API processes and 2 workers under `rate` events/s of live mixed load for `seconds`."""
    with receiver_and_config() as (receiver, config), database(server) as url:
        extra = {
            "TRIPWIRE_CONFIG": str(config),
            "TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS": "true",
            "TRIPWIRE_SECRET_KEY": "scale-benchmark-secret-0123456789",
            "TRIPWIRE_PUBLIC_URL": "http://tripwire.test",
        }
        start(["data", "retention"], url, **extra).wait(120)  # the schema, before the others
        ports = [free_port() for _ in range(2)]
        apis = [start(["serve", "--no-workers", "--port", str(p)], url, **extra) for p in ports]
        workers = [start(["worker"], url, **extra) for _ in range(2)]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        try:
            for base, proc in zip(urls, apis, strict=True):
                wait_healthy(base, proc)
            idle = threading.Event()
            baseline_sent = send_alerts(urls, TOKEN, 0, 5, 1.0, idle)
            load = Load(urls, TOKEN, rate, USE_CASES)
            roles = {"API": [p.pid for p in apis], "worker": [p.pid for p in workers]}
            sampler = Sampler(roles, lambda: count_rows(url, PENDING))
            prober = Prober(libpq(url), load)
            began = time.perf_counter()
            load.start()
            sampler.thread.start()
            prober.thread.start()
            alerts = int(seconds // ALERT_EVERY)
            sent = send_alerts(urls, TOKEN, 100, alerts, ALERT_EVERY, load.stop)
            while time.perf_counter() - began < seconds:
                time.sleep(0.2)
            load.join()
            elapsed = time.perf_counter() - began
            sampler.stop.set()
            sampler.thread.join()
            done = prober.finish(120)
            deadline = time.monotonic() + 30
            while receiver.count() < len(sent) + len(baseline_sent):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            pages = page_times(libpq(url), receiver)
        finally:
            stop(apis + workers)
    every = {**baseline_sent, **sent}
    check_complete(every, pages, load.acked, done)
    return LiveResult(
        seconds=elapsed,
        events=load.events,
        baseline_pages=[pages[n][1] - every[n] for n in baseline_sent],
        pages=[pages[n][1] - every[n] for n in sent],
        queued_to_delivered=[pages[n][1] - pages[n][0] for n in sent],
        lags=[done[i] - at for i, at in load.acked.items()],
        rss=sampler.rss,
        max_pending=sampler.max_pending,
    )


def check_complete(
    sent: dict[int, float], pages: dict[int, Any], acked: dict[str, float], done: dict[str, Any]
) -> None:
    """Fail loudly rather than report the latencies of only the pages and probes that made it."""
    lost_pages = sorted(set(sent) - set(pages))
    lost_probes = len(set(acked) - set(done))
    if lost_pages or lost_probes:
        raise RuntimeError(
            f"pages not delivered: {lost_pages}; probes not processed: {lost_probes}"
        )


def print_live(result: LiveResult, rate: int) -> None:
    achieved = result.events / result.seconds
    print(
        f"live load: 2 API processes + 2 workers, {rate:,} events/s asked for "
        f"{result.seconds:.0f} s, {achieved:,.0f} events/s achieved (outputs, safety checks, "
        f"feedback; 20 use cases)"
    )
    rows = [
        ("baseline: alert -> page before the load", result.baseline_pages),
        ("alert -> page under load", result.pages),
        ("  of which page queued -> delivered", result.queued_to_delivered),
        ("ingest ack -> processed by the pipeline", result.lags),
    ]
    for name, values in rows:
        print(f"{name:42} {percentiles(values)}")
    print(f"pipeline backlog under load: at most {result.max_pending:,} events (sampled every 5 s)")
    for role, samples in result.rss.items():
        print(
            f"RSS of the {role} processes over {result.seconds / 60:.1f} min: "
            f"{samples[0]:.0f} MB at start, {samples[-1]:.0f} MB at end, {max(samples):.0f} MB max "
            f"({len(samples)} samples)"
        )


def fmt(name: str, result: dict[str, float]) -> str:
    """One result line: the rate, and what else the run measured (CPU, RSS, start-up)."""
    extra = ""
    if "cpu" in result:
        extra += f"; CPU {result['cpu']:.0f} s"
    if "cpu_per_m" in result:
        extra += f"; CPU {result['cpu_per_m']:.0f} s per million events"
    if "db_cpu_per_m" in result:
        extra += f" (+ {result['db_cpu_per_m']:.0f} s in the database)"
    if "rss" in result:
        extra += f", peak RSS {result['rss']:.0f} MB"
    if "startup" in result:
        extra += f", partitions spread as assigned after {result['startup']:.1f} s"
    return f"{name:52} {result['rate']:>9,.0f} events/s  ({result['seconds']:.1f} s){extra}"


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate, among repeats of the same measurement."""
    return sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--events", type=int, default=200_000, help="events in the stored week")
    parser.add_argument("--ingest-events", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run")
    parser.add_argument("--clients", type=int, default=4, help="HTTP clients for ingest")
    parser.add_argument("--repeat", type=int, default=1, help="pipeline runs per count; median")
    parser.add_argument("--template", help="a stored week kept by --keep-template, reused")
    parser.add_argument("--keep-template", action="store_true", help="keep the stored week")
    parser.add_argument("--skip-takeover", action="store_true", help="no kill -9 run")
    parser.add_argument("--skip-ingest", action="store_true", help="only the pipeline parts")
    parser.add_argument("--skip-pipeline", action="store_true", help="no stored-week runs")
    parser.add_argument("--minutes", type=float, default=10.0, help="live-load window (0: none)")
    parser.add_argument("--live-rate", type=int, default=2000, help="live load, events/s")
    parser.add_argument("--retention-events", type=int, default=200_000, help="one day's events")
    parser.add_argument("--migration-events", type=int, default=200_000, help="0: skip")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if not args.skip_pipeline:
        stored_runs(args)
    if args.retention_events > 0:
        with database(args.pg) as url:
            kept = bench_retention(url, args.retention_events)
        print(
            f"retention, one day of {kept['events']:,} processed events: dropping its partition "
            f"{kept['drop']:.2f} s; baseline, deleting the same count in {BATCH:,}-row batches "
            f"{kept['delete']:.2f} s + VACUUM {kept['vacuum']:.2f} s"
        )
    if args.migration_events > 0:
        with database(args.pg) as url:
            moved = bench_migration(url, args.migration_events)
        print(
            f"migration 0122 on a table of {moved['events']:,} events over 30 days: "
            f"{moved['migrate']:.1f} s; baseline, a bare copy of the same rows "
            f"{moved['copy']:.1f} s"
        )
    if args.minutes > 0:
        print_live(bench_live(args.pg, args.minutes * 60, args.live_rate), args.live_rate)


def stored_runs(args: argparse.Namespace) -> None:
    """Ingest with 1 and 2 API processes, the pipeline over a stored week, takeover."""

    ingest_events = make_events(args.ingest_events, seed=21, prefix="in-")
    bodies = [
        orjson.dumps({"events": ingest_events[i : i + 1000]})
        for i in range(0, len(ingest_events), 1000)
    ]
    base = None if args.skip_ingest else baseline_ingest(args.pg, ingest_events)
    if base is not None:
        print(fmt("baseline: raw psycopg executemany, same rows", base))
    for processes in () if args.skip_ingest else (1, 2):
        result = bench_ingest(args.pg, bodies, processes, args.clients)
        print(fmt(f"POST /v1/events, {processes} API process(es), {args.clients} clients", result))

    template = args.template or f"tw_scale_week_{uuid.uuid4().hex[:8]}"
    if not args.template:
        load_week(args.pg, template, week_of_events(args.events))
    template_url = make_url(args.pg).set(database=template).render_as_string(False)
    size = count_rows(template_url, EVENTS_SIZE)
    stored = count_rows(template_url, "SELECT count(*) FROM events")
    print(f"bytes per event on disk (events table with its indexes): {size / stored:,.0f}")
    try:
        floor = baseline_read(args.pg, template)
        print(fmt("baseline: one process reading the week back", floor))
        counts = [int(w) for w in args.workers.split(",") if w]
        runs: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
        for _ in range(args.repeat):  # interleaved: each count sees the same machine load
            for workers in counts:
                runs[workers].append(bench_pipeline(args.pg, template, workers))
        rates = {workers: median(results) for workers, results in runs.items()}
        for workers, result in rates.items():
            print(fmt(f"pipeline, {workers} worker(s), 64 partitions, 20 use cases", result))
        if 1 in rates and 2 in rates:
            speedup = rates[2]["rate"] / rates[1]["rate"]
            cpu_ratio = rates[2]["cpu_per_m"] / rates[1]["cpu_per_m"]
            print(f"2 workers: {speedup:.2f}x the throughput of 1, {cpu_ratio:.2f}x its CPU/event")
        if args.skip_takeover:
            return
        takeover = bench_takeover(args.pg, template)
        print(
            f"kill -9 of one of 2 workers: partitions all held by the survivor after "
            f"{takeover['taken']:.1f} s; an event in a lost partition processed after "
            f"{takeover['processed']:.1f} s"
        )
    finally:
        if args.keep_template or args.template:
            print(f"stored week kept in database {template} (--template {template})")
        else:
            with psycopg.connect(libpq(args.pg), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


if __name__ == "__main__":
    main()
