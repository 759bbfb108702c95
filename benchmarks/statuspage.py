"""Server time of the public status page with 90 days of published incidents, and the cost of
telling many subscribers about one public update.

    PYTHONPATH=src python benchmarks/statuspage.py [--incidents 300] [--components 20]
        [--subscribers 10000] [--requests 30]

Builds the history through the real write path (incidents opened by respond, published and
updated through tripwire.communicate.publish, each with four updates over a few hours, spread
over 90 days across the components), then requests `/status` and `/status/summary.json` in
process (the time is the server's) and prints p50 / p95 / max beside a reference measured in the
same run: the sign-in page (a template and nothing else). Then it adds `--subscribers` confirmed
subscribers (half e-mail, half webhook) and times one public update, which writes one outbox row
per subscriber in its transaction.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tripwire.api.app import create_app
from tripwire.communicate.context import PageContext
from tripwire.communicate.publish import post_update, publish
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.respond.service import NewIncident
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow
from tripwire.store.tables.statuspage import SubscriberRow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STEPS = ("identified", "monitoring", "resolved")


def page_context(rt: Runtime, session: object) -> PageContext:
    return PageContext(
        session,  # type: ignore[arg-type]
        rt.config.communicate.status_page,
        rt.clock.now(),
        rt.settings.public_url,
        rt.secret_key(),
    )


def build(rt: Runtime, clock: ManualClock, incidents: int, components: list[str]) -> None:
    rng = random.Random(7)
    starts = sorted(NOW - timedelta(minutes=rng.randrange(90 * 24 * 60)) for _ in range(incidents))
    for n, start in enumerate(starts):
        clock.set(start)
        use_case = components[n % len(components)]
        with rt.db.session() as session:
            service = rt.incidents(session)
            row = service.open(
                NewIncident(type="quality_regression", title=f"mean_score@{use_case} down",
                            use_case=use_case, started_at=start, detected_at=start,
                            severity="P2"),
                actor="bench",
            )  # fmt: skip
            impact = rng.choice(("degraded_performance", "partial_outage", "major_outage"))
            publish(page_context(rt, session), row.number, f"Degraded answers in {use_case}",
                    "Investigating.", "investigating", {use_case: impact}, "bench")  # fmt: skip
            number = row.number
        for step in STEPS:
            clock.advance(timedelta(minutes=rng.randrange(10, 120)))
            if clock.now() >= NOW:
                break
            with rt.db.session() as session:
                post_update(page_context(rt, session), number, step, f"Now {step}.", None, "bench")
    clock.set(NOW)


def timed(client: TestClient, path: str) -> float:
    started = time.perf_counter()
    r = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        sys.exit(f"{path} answered {r.status_code}")
    return elapsed


def measure(name: str, path: str, client: TestClient, n: int) -> None:
    timed(client, path)  # warm the templates and statements
    ms = sorted(timed(client, path) for _ in range(n))
    p95 = ms[max(0, round(0.95 * n) - 1)]
    print(f"{name:<32} p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  "
          f"max {ms[-1]:7.1f} ms")  # fmt: skip


def fan_out(rt: Runtime, subscribers: int) -> None:
    with rt.db.session() as session:
        session.add_all(
            SubscriberRow(kind="email" if i % 2 else "webhook",
                          target=f"s{i}@example.org" if i % 2 else f"https://h{i}.example.org/",
                          nonce=f"n{i}", created_at=NOW, confirmed_at=NOW)
            for i in range(subscribers)
        )  # fmt: skip
    with rt.db.session() as session:
        before = session.scalar(select(func.count()).select_from(OutboxRow)) or 0
        number = (
            rt.incidents(session)
            .open(
                NewIncident(
                    type="availability",
                    title="x",
                    use_case="uc-0",
                    started_at=NOW,
                    detected_at=NOW,
                    severity="P1",
                ),
                "bench",
            )
            .number
        )
    started = time.perf_counter()
    with rt.db.session() as session:
        publish(page_context(rt, session), number, "Errors in uc-0", "Investigating.",
                "investigating", {"uc-0": "partial_outage"}, "bench")  # fmt: skip
    elapsed = time.perf_counter() - started
    with rt.db.session() as session:
        rows = (session.scalar(select(func.count()).select_from(OutboxRow)) or 0) - before
    print(
        f"one public update to {subscribers} subscribers: {elapsed * 1000:.0f} ms, "
        f"{rows} outbox rows ({rows / elapsed:,.0f} rows/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=300)
    parser.add_argument("--components", type=int, default=20)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    components = [f"uc-{i}" for i in range(args.components)]
    mail = {"type": "email", "host": "127.0.0.1", "from": "s@x.org"}
    page = {
        "components": {c: {"name": c.upper()} for c in components},
        "subscribers": {"email_channel": "mail"},
    }
    config = parse_config(
        {
            "communicate": {"status_page": page},
            "respond": {"channels": {"mail": mail}},
            "playbooks": {"enabled": False},
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(NOW - timedelta(days=91))
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'sp.db'}", workers=False)
        rt = Runtime.open(settings, config, clock)
        try:
            started = time.perf_counter()
            build(rt, clock, args.incidents, components)
            took = time.perf_counter() - started
            print(f"built {args.incidents} published incidents over 90 days on "
                  f"{args.components} components in {took:.1f} s")  # fmt: skip
            with TestClient(create_app(rt, background=False)) as client:
                measure("ref: sign-in page /ui/login", "/ui/login", client, args.requests)
                measure("/status (HTML, 90-day bars)", "/status", client, args.requests)
                measure("/status/summary.json", "/status/summary.json", client, args.requests)
            fan_out(rt, args.subscribers)
        finally:
            rt.close()


if __name__ == "__main__":
    main()
