"""Server time of the responder's pages with a million stored events and 500 incidents.

    PYTHONPATH=src python benchmarks/ui.py [--days 7] [--rate 2900] [--keep DIR] [--requests 50]

Builds the data through the real path: a simulated week (about 1,026,000 events at 2,900
outputs/h, four injected incidents) replayed through every stage by `tripwire replay` (so the
detectors write their hourly windows, alerts and incidents), then detector alerts spread over
the week until 500 incidents exist (opened, joined and partly resolved by respond; the synthetic
ones without playbooks). Then each page is requested `--requests` times in process (no network:
the time is the server's) and its p50 / p95 / max printed, beside three references measured in
the same run: the sign-in page (a template and nothing else), the overview's old query (event
counts of the last 24 hours) and the affected-users panel's portable query (what SQLite ran
before migration 0123 and PostgreSQL runs: totals and the first users, on the same incidents).
The incident page's affected-users panel, which htmx fetches apart, is timed beside it (counted
afresh for each incident, then the same one again within the minute its count is kept), with
the pages' 300 ms target. The incident pages measured are drawn at random (seed 11) among the
incidents with detector signals, not chosen by hand. `--keep DIR` keeps (and reuses) the
database. A smaller run, about 230,000 events: `--days 1.5 --requests 20`.

The simulated outputs carry no user id, so the panel then counts outputs but no users. `--users
N` gives the stored outputs user ids before measuring (once; a kept database keeps them): N users,
each output's user taken from its place in the stream, about six consecutive outputs of a use
case to one user (a conversation), so a user has several outputs in an hour and many users are
active in each one, as in a chat product.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_1m import run_replay, scenario, write_file

from tripwire.api.app import create_app
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import ManualClock
from tripwire.respond.affected import portable_totals, portable_users, scope_of
from tripwire.respond.ids import incident_id
from tripwire.respond.queries import get_incident
from tripwire.respond.signals import ingest_alert
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import counts_since
from tripwire.store.tables.respond import IncidentRow, SignalRow
from tripwire.store.tokens import create_token
from tripwire.web.audience_view import USERS_SHOWN

TARGET_INCIDENTS = 500
REFERENCE_PANELS = 20  # the portable query takes seconds a panel: fewer samples of it
MONITORS = (
    ("negative-feedback", "negative_feedback_rate", "quality_regression", 0.05, 0.09),
    ("safety-triggers", "safety_trigger_rate", "safety", 0.01, 0.05),
    ("errors", "error_rate", "availability", 0.004, 0.04),
    ("latency-p95", "latency_p95_ms", "availability", 2400.0, 5200.0),
)


def build(workdir: Path, days: float, rate: float) -> Path:
    db = workdir / "replay.db"
    if db.exists():
        print(f"reusing {db}")
        return db
    path = workdir / "events.jsonl"
    write_file(path, days, rate)
    result = run_replay(path, workdir)
    print(f"replayed {result['events']:,} events in {result['wall_s']:.0f} s, "
          f"{result['incidents']} incident(s)")  # fmt: skip
    path.unlink()
    return db


TURNS = 12  # events per conversation: about six outputs, each with its evidence and feedback
# A conversation's user: its number (seq // TURNS) scattered over the N users by a prime.
ASSIGN_USERS = (
    "UPDATE events SET payload = json_set(payload, '$.user_id', "
    "'user-' || ((seq / :turns) * 7919 % :users)) WHERE type = 'output'"
)

HAS_USERS = (
    "SELECT 1 FROM events WHERE type = 'output' "
    "AND json_extract(payload, '$.user_id') IS NOT NULL LIMIT 1"
)


def assign_users(runtime: Runtime, users: int) -> None:
    """Give the stored outputs user ids, unless they have some (see the module's docstring)."""
    with runtime.db.session() as session:
        have = session.execute(text(HAS_USERS)).first()
        if have is not None:
            return
        started = time.perf_counter()
        result = session.execute(text(ASSIGN_USERS), {"turns": TURNS, "users": users})
    print(f"{result.rowcount:,} outputs given user ids of {users:,} users "  # type: ignore[attr-defined]
          f"({time.perf_counter() - started:.0f} s)")  # fmt: skip


def add_incidents(runtime: Runtime, days: float) -> int:
    """Detector alerts spread over the week until there are 500 incidents; 80 % resolved."""
    rng = random.Random(5)
    start = runtime.clock.now() - timedelta(days=days)
    with runtime.db.session() as session:
        have = len(session.scalars(select(IncidentRow.number)).all())
    n = 0
    while have < TARGET_INCIDENTS:  # an alert may join an open incident: count what exists
        n += 1
        monitor, metric, kind, base, seen = MONITORS[n % len(MONITORS)]
        use_case = ("support-chat", "med-summary")[n % 2]
        onset = start + timedelta(minutes=rng.randrange(int(days * 1440) - 60))
        alert = Alert(
            dedup_key=f"bench:{monitor}:{use_case}:{have}:{n}", state="firing", incident_type=kind,  # type: ignore[arg-type]
            use_case=use_case, monitor=monitor, metric=metric, started_at=onset,
            detected_at=onset + timedelta(minutes=20), baseline=base, observed=seen,
            magnitude=seen / base - 1.0, title=f"{use_case}: {metric} up (bench {n})",
        )  # fmt: skip
        with runtime.db.session() as session:
            service = runtime.incidents(session)
            incident = ingest_alert(service, alert)
            if incident is not None and rng.random() < 0.8 and incident.status != "resolved":
                service.resolve(incident.number, "bench", "synthetic")
            have = len(session.scalars(select(IncidentRow.number)).all())
    with runtime.db.session() as session:
        return len(session.scalars(select(IncidentRow.number)).all())


def timed(client: TestClient, path: str) -> float:
    started = time.perf_counter()
    r = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        sys.exit(f"{path} answered {r.status_code}")
    return elapsed


def measure(
    name: str, paths: Callable[[int], str], client: TestClient, n: int, limit: float | None = 300
) -> None:
    """p50 / p95 / max of `n` requests; `limit` None: a figure with no target (reported)."""
    timed(client, paths(0))  # the first request warms caches (templates, statements)
    ms = sorted(timed(client, paths(i)) for i in range(n))
    p95 = ms[max(0, round(0.95 * n) - 1)]
    flag = "" if limit is None else ("ok" if p95 < limit else f"OVER {limit:.0f} ms")
    print(f"{name:<34} p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  "
          f"max {ms[-1]:7.1f} ms  {flag}")  # fmt: skip


def reference_counts(runtime: Runtime, n: int) -> None:
    since = runtime.clock.now() - timedelta(hours=24)
    ms = []
    for _ in range(n):
        started = time.perf_counter()
        with runtime.db.session() as session:
            counts_since(session, since)
        ms.append((time.perf_counter() - started) * 1000)
    ms.sort()
    print(f"{'ref: 24 h event counts (old query)':<34} p50 {statistics.median(ms):7.1f} ms  "
          f"p95 {ms[max(0, round(0.95 * n) - 1)]:7.1f} ms")  # fmt: skip


def reference_portable_panel(runtime: Runtime, picks: list[int], n: int) -> None:
    """The panel's two counts by the portable query, timed on the same incidents as the panel."""
    config = runtime.config.communicate.affected_users
    ms = []
    for i in range(n):
        started = time.perf_counter()
        with runtime.db.read() as session:
            incident = get_incident(session, incident_id(picks[i % len(picks)]))
            assert incident is not None
            scope = scope_of(session, incident, runtime.clock.now(), config)
            portable_totals(session, scope)
            portable_users(session, scope, limit=USERS_SHOWN)
        ms.append((time.perf_counter() - started) * 1000)
    ms.sort()
    print(f"{'ref: panel, portable query':<34} p50 {statistics.median(ms):7.1f} ms  "
          f"p95 {ms[max(0, round(0.95 * n) - 1)]:7.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--rate", type=float, default=2900.0, help="outputs per hour")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the database here")
    parser.add_argument("--users", type=int, default=0, help="give the outputs N users' ids")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        db = build(workdir, args.days, args.rate)
        end = scenario(args.days, args.rate).start + timedelta(days=args.days)
        settings = Settings(database_url=f"sqlite:///{db}", workers=False)
        # No playbooks for the synthetic incidents: each would rank a week of changes and sample
        # outputs, minutes in all, and the pages read the same tables either way.
        runtime = Runtime.open(settings, TripwireConfig(), ManualClock(end), hooks=[])
        try:
            run(runtime, args)
        finally:
            runtime.close()


def run(runtime: Runtime, args: argparse.Namespace) -> None:
    if args.users:
        assign_users(runtime, args.users)
    started = time.perf_counter()
    total = add_incidents(runtime, args.days)
    print(f"{total} incidents ({time.perf_counter() - started:.0f} s to add the synthetic ones)")
    with runtime.db.session() as session:
        _, token = create_token(session, "bench", ["read"], runtime.clock.now())
        events = session.execute(select(IncidentRow.number).order_by(IncidentRow.number)).all()
        charted = sorted({s for (s,) in session.execute(
            select(SignalRow.incident).where(SignalRow.source == "detector"))})  # fmt: skip
    print(f"{len(events)} incidents, {len(charted)} with detector signals")
    picks = random.Random(11).sample(charted, min(len(charted), args.requests))
    with TestClient(create_app(runtime, background=False)) as client:
        client.post("/ui/login", data={"token": token, "next": "/ui"})
        n = args.requests
        measure("ref: sign-in page", lambda i: "/ui/login", client, n)
        reference_counts(runtime, n)
        measure("overview /ui", lambda i: "/ui", client, n)
        measure("incident list /ui/incidents", lambda i: "/ui/incidents?status=all", client, n)
        measure(
            "incident page (random, charts)",
            lambda i: f"/ui/incidents/{incident_id(picks[i % len(picks)])}", client, n,
        )  # fmt: skip
        measure(
            "  its affected-users panel (apart)",
            lambda i: f"/ui/incidents/{incident_id(picks[i % len(picks)])}/affected-panel",
            client, n,
        )  # fmt: skip
        measure(
            "  the same panel again (< 1 min)",
            lambda i: f"/ui/incidents/{incident_id(picks[0])}/affected-panel", client, n,
        )  # fmt: skip
        # After the panels, so the pages they read are as warm for the reference as for them.
        reference_portable_panel(runtime, picks, min(n, REFERENCE_PANELS))
        measure(
            "monitor page (3 days)",
            lambda i: "/ui/monitors/negative-feedback?use_case=support-chat&range=3d", client, n,
        )  # fmt: skip
        measure("monitors list", lambda i: "/ui/monitors", client, n)
        measure(
            "versions page (24 h, from events)",
            lambda i: "/ui/monitors/negative-feedback/versions?use_case=support-chat", client, n,
        )  # fmt: skip
        measure("outputs explorer (24 h)", lambda i: "/ui/outputs?use_case=support-chat", client, n)


if __name__ == "__main__":
    main()
