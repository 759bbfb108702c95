"""`tripwire demo`: a simulated AI product, from telemetry to post-mortem, on event time.

Three days of traffic for two use cases with a harmless deploy, a traffic surge and four
injected incidents (one per type, one caused by a prompt change with a rollback handle) go
through the real pipeline: evaluation, detection, incidents, paging to a local webhook
receiver, playbooks (rollback, kill switch), then a status update and a post-mortem.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.communicate.autopublish import neutral_title
from tripwire.communicate.context import PageContext
from tripwire.communicate.publish import post_update, publish
from tripwire.communicate.queries import public_row
from tripwire.communicate.statuspage import display_name
from tripwire.config.file import TripwireConfig, parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import EVENT_ADAPTER
from tripwire.learn import evalcases, postmortem
from tripwire.respond.ids import parse_incident_id
from tripwire.respond.queries import timeline
from tripwire.respond.summary import summary
from tripwire.runtime.wiring import Runtime
from tripwire.sim import Deploy, Injection, Scenario, SimResult, Surge, TruthIncident, simulate
from tripwire.store.tables.events import EventRow

DAY = 1440
THREE_WEEKDAYS_BEFORE = (3, 4, 5)  # midnights opening Thursday, Friday or Saturday
ACTION_KINDS = (
    "rollback",
    "rollback_confirmed",
    "kill_switch",
    "flag_change",
    "escalated",
    "deadline_missed",
    "reopened",
)


class Receiver:
    """A local webhook endpoint standing in for the team's chat: it counts what was paged."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                try:
                    received.append(json.loads(self.rfile.read(length)))
                except ValueError:
                    received.append({})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def demo_end(now: datetime) -> datetime:
    """The last UTC midnight that closes three weekdays: the tour is the same whenever it runs.

    Detectors learn weekday and weekend hours apart and traffic follows the hour of day, so
    three days ending at `now` would put the injected incidents elsewhere in those cycles on
    every run and change what is found.
    """
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    while end.weekday() not in THREE_WEEKDAYS_BEFORE:
        end -= timedelta(days=1)
    return end


def scenario(end: datetime, seed: int) -> Scenario:
    """Three days ending at `end`; incidents on the last two days (detectors learn on day one).

    No weekend dip: the three days are weekdays (`demo_end`).
    """
    return Scenario(
        seed=seed,
        start=end - timedelta(days=3),
        days=3,
        outputs_per_hour=600,
        weekend_factor=1.0,
        injections=(
            Injection(
                "negative_feedback",
                "support-chat",
                int(1.2 * DAY),
                2.0,
                segment={"prompt_version": "v2"},
                segment_share=0.5,
            ),
            Injection("safety", "support-chat", int(1.7 * DAY), 10.0, duration_minutes=120),
            Injection("groundedness", "med-summary", int(2.0 * DAY), -0.15),
            Injection("errors", "support-chat", int(2.5 * DAY), 10.0, duration_minutes=90),
        ),
        surges=(Surge(int(1.45 * DAY), 60, 3.0),),
        deploys=(Deploy(int(1.3 * DAY), "med-summary", "model_update", "2026-11-01"),),
    )


def demo_config(webhook_url: str) -> TripwireConfig:
    """On-call, escalation, a paging channel, and the flags the playbooks flip."""
    flags: list[dict[str, Any]] = []
    for use_case in ("support-chat", "med-summary"):
        flags.append(
            {
                "key": f"{use_case}-enabled",
                "type": "boolean",
                "value": True,
                "default": True,
                "kill_value": False,
                "use_case": use_case,
                "description": f"kill switch: serve {use_case} at all",
            }
        )
        flags.append(
            {
                "key": f"{use_case}-prompt",
                "type": "string",
                "value": "v1",
                "default": "v1",
                "variants": ["v1", "v2"],
                "use_case": use_case,
                "description": "prompt version served",
            }
        )
    return parse_config(
        {
            "respond": {
                "people": {p: {"notify": ["team-chat"]} for p in ("ana", "bo", "chen", "dee")},
                "schedules": {
                    "primary": {
                        "time_zone": "Europe/Berlin",
                        "rotations": [
                            {"members": ["ana", "bo"], "every": "weekly", "start": "2026-01-05"}
                        ],
                    },
                },
                "escalation_policies": {
                    "default": {
                        "levels": [
                            {"targets": ["schedule:primary"], "timeout": "10m"},
                            {"targets": ["person:chen"], "timeout": "10m"},
                        ]
                    },
                },
                "roles": {
                    "incident_commander": {"schedule": "primary"},
                    "communications_lead": {"person": "dee"},
                    "engineering_lead": {"person": "bo"},
                    "safety_lead": {"person": "chen", "types": ["safety"], "page_at_open": True},
                },
                "channels": {
                    "team-chat": {
                        "type": "webhook",
                        "url": webhook_url,
                        "secret": "whsec_ZGVtby1zZWNyZXQtZm9yLXRyaXB3aXJlLWRlbW8h",
                    }
                },
                "use_cases": {"med-summary": {"criticality": "critical"}},
            },
            "flags": {"declare": flags},
            "playbooks": {"auto_kill_switch": True},
        },
        source="demo configuration",
    )


@dataclass
class DemoResult:
    runtime: Runtime
    sim: SimResult
    report: dict[str, Any]
    pages: int
    notes: list[str] = field(default_factory=list)


def run_demo(db_path: Path, now: datetime, seed: int = 1) -> DemoResult:
    """Simulate, replay through every stage, then close the loop on the first incident."""
    end = demo_end(now)
    if db_path.exists():
        db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    receiver = Receiver()
    try:
        settings = Settings(database_url=f"sqlite:///{db_path}", allow_private_webhooks=True)
        config = demo_config(receiver.url)
        sim = simulate(scenario(end, seed))
        runtime = Runtime.open(settings, config, ManualClock(end))
        events = [EVENT_ADAPTER.validate_python(e) for e in sim.events]
        runtime.replay(events)
        with runtime.db.session() as session:
            report = summary(session, len(events))
        notes = _close_the_loop(runtime, report)
        with runtime.db.session() as session:
            report = summary(session, len(events))  # the statuses after the loop was closed
        return DemoResult(runtime, sim, report, len(receiver.messages), notes)
    finally:
        receiver.close()


def _close_the_loop(runtime: Runtime, report: dict[str, Any]) -> list[str]:
    """A public update for every incident, then the first incident's post-mortem."""
    notes: list[str] = []
    with runtime.db.session() as session:
        service = runtime.incidents(session)
        page = PageContext(
            session,
            runtime.config.communicate.status_page,
            runtime.clock.now(),
            runtime.settings.public_url,
            runtime.secret_key(),
        )
        for incident in report["incidents"]:
            text = (
                f"We are looking into degraded answers in {incident['use_case']} since "
                f"{incident['started_at']}. Review answers from that period before relying "
                "on them."
            )
            service.post_update(incident["id"], text, "dee", stage="investigating")
            # A person publishes it under a public title (never the detector's).
            row = service.get(incident["id"])
            if row.use_case and public_row(session, row.number) is None:
                title = neutral_title(row.type, display_name(page.config, row.use_case))
                impacts = {row.use_case: "degraded_performance"}
                publish(page, row.number, title, text, "investigating", impacts, "dee")
        if not report["incidents"]:
            return notes
        with_suspect = [i for i in report["incidents"] if i["suspects"]]
        first = (with_suspect or report["incidents"])[-1]
        row = service.get(first["id"])
        if row.status not in ("resolved", "closed"):
            service.resolve(row.number, "ana", "Demo: resolved after the playbook ran")
        if public_row(session, row.number) is not None:
            done = "This is fixed: answers are back to normal. Thank you for your patience."
            post_update(page, row.number, "resolved", done, None, "ana")
        draft = postmortem.draft(session, row, runtime.clock, "ana")
        postmortem.edit(draft, {"root_cause": _root_cause(first)}, runtime.clock)
        postmortem.add_action_item(
            session,
            row.number,
            "Gate prompt changes on the incident's eval cases before rollout",
            "prevent",
            "bo",
            runtime.clock,
            14,
        )
        output_id = _an_output(session, row.use_case, row.started_at)
        if output_id is not None:
            evalcases.add_case(
                session, row, evalcases.CaseIn(output_id=output_id), "ana", runtime.clock
            )
            postmortem.complete(session, service, draft, "ana")
            notes.append(f"{first['id']}: resolved by ana, post-mortem done, eval test case added")
    return notes


def _root_cause(incident: dict[str, Any]) -> str:
    suspects = incident.get("suspects") or []
    if suspects:
        return f"Change {suspects[0]['change_id']}: {suspects[0]['why']}"
    return f"Simulated {incident['type']} in {incident['use_case']} (injected by the demo)."


def _an_output(session: Session, use_case: str | None, after: datetime) -> str | None:
    query = select(EventRow.id).where(
        EventRow.type == "output", EventRow.use_case == use_case, EventRow.ts >= after
    )
    return session.scalar(query.order_by(EventRow.ts).limit(1))


def describe(result: DemoResult) -> list[str]:
    """What happened, in lines a person reads on the terminal."""
    lines = [
        f"Replayed {result.report['events']:,} simulated events (3 days, 2 use cases) on "
        "event time.",
        "",
    ]
    for inc in reversed(result.report["incidents"]):
        lines += _incident_lines(result, inc)
    lines += ["", f"Pages and updates delivered to the local webhook receiver: {result.pages}"]
    lines += [
        f"Injected: {len(result.sim.truth)} incidents; benign (minutes from the simulation's "
        "start): " + "; ".join(result.sim.benign)
    ]
    lines += result.notes
    return lines


def _incident_lines(result: DemoResult, inc: dict[str, Any]) -> list[str]:
    started = datetime.fromisoformat(inc["started_at"].replace("Z", "+00:00"))
    detected = datetime.fromisoformat(inc["detected_at"].replace("Z", "+00:00"))
    same = [t for t in result.sim.truth if t.use_case == inc["use_case"] and t.onset <= detected]
    truth = min(same, key=lambda t: abs(t.onset - started), default=None)
    found = (
        f", detected {round((detected - truth.onset).total_seconds() / 60)} min after the "
        f"injected {truth.signal} onset"
        if truth is not None
        else ", no injected incident matches: a false alarm"
    )
    lines = [
        f"{inc['id']} {inc['severity']} {inc['type']} in {inc['use_case']}: {inc['title']} "
        f"({inc['status']}{found})"
    ]
    lines += _signal_lines(inc["signals"])
    if inc["suspects"]:
        top = inc["suspects"][0]
        lines.append(
            f"    top suspect {top['change_id']}{_verdict(truth, top['change_id'])}, "
            f"score {top['score']:.2f}: {top['why']}"
        )
    with result.runtime.db.session() as session:
        for entry in timeline(session, parse_incident_id(inc["id"]) or 0):
            if entry.kind in ACTION_KINDS:
                lines.append(f"    {entry.kind}: {entry.text}")
            elif _rolled_back(entry.kind, entry.data):
                lines.append(f"    rollback: {entry.text.partition(': ')[2]}")
    return lines


def _verdict(truth: TruthIncident | None, change_id: str) -> str:
    """Whether the top suspect is what the simulator injected, for a reader who cannot know."""
    if truth is None:
        return ""
    if truth.change_id == change_id:
        return " (the injected cause)"
    if truth.change_id is None:
        return " (not the cause: no change caused this injected incident)"
    return f" (not the cause: that was {truth.change_id})"


def _rolled_back(kind: str, data: dict[str, Any]) -> bool:
    """A playbook's rollback step that acted (it records itself as a playbook step)."""
    return (
        kind == "playbook_step" and data.get("step") == "roll_back" and data.get("state") == "done"
    )


def _signal_lines(signals: list[dict[str, Any]]) -> list[str]:
    """One line per metric: how often it fired, its baseline and the furthest observation."""
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for signal in signals:
        by_metric.setdefault(signal["metric"], []).append(signal)
    lines = []
    for metric, fired in by_metric.items():
        baseline = fired[0]["baseline"]
        observed = [s["observed"] for s in fired if s["observed"] is not None]
        furthest = (
            max(observed, key=lambda v: abs(v - baseline))
            if observed and baseline is not None
            else None
        )
        times = f" ({len(fired)} signals)" if len(fired) > 1 else ""
        lines.append(
            f"    signal {metric}{times}: baseline {_fmt(baseline)} -> observed "
            f"{_fmt(furthest if furthest is not None else fired[0]['observed'])}"
        )
    return lines


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"
