"""The AI incident readiness checklist, answered from configuration and the store.

Each check says whether it holds, what was found, and how to fix it when it does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.learn import EvalCaseRow, PostmortemRow
from tripwire.store.tables.respond import IncidentRow, TimelineRow

Status = Literal["ok", "warn", "fail"]
RECENT = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    section: str
    title: str
    status: Status
    detail: str
    fix: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class Facts:
    session: Session
    config: TripwireConfig
    now: datetime


CheckFn = Callable[[Facts], Check]
CHECKS: list[CheckFn] = []


def check(fn: CheckFn) -> CheckFn:
    """Register a check; areas add their own with this decorator."""
    CHECKS.append(fn)
    return fn


def run_checks(session: Session, config: TripwireConfig, now: datetime) -> list[Check]:
    facts = Facts(session, config, now)
    return [fn(facts) for fn in CHECKS]


def _use_cases_with(f: Facts, kind: str) -> int:
    query = select(func.count(func.distinct(EventRow.use_case))).where(
        EventRow.type == kind, EventRow.ts >= f.now - RECENT
    )
    return int(f.session.scalar(query) or 0)


def _telemetry(id_: str, title: str, kind: str, fix: str) -> CheckFn:
    def run(f: Facts) -> Check:
        n = _use_cases_with(f, kind)
        if n:
            return Check(
                id_, "detection", title, "ok", f"{kind} events from {n} use case(s) in 7 days"
            )
        return Check(id_, "detection", title, "fail", f"no {kind} events in the last 7 days", fix)

    run.__name__ = id_
    return check(run)


_telemetry(
    "quality-scoring",
    "Continuous quality scoring",
    "output",
    "send sampled outputs (SDK log_output, POST /v1/events or OTLP); the built-in "
    "evaluators score them and the score monitors alert",
)
_telemetry(
    "negative-feedback",
    "Negative feedback rate monitored",
    "feedback",
    "send thumbs up/down or stars as `feedback` events",
)
_telemetry(
    "safety-filter",
    "Safety filter trigger rate tracked",
    "safety",
    "send every safety-filter check as a `safety` event (triggered or not)",
)
_telemetry(
    "ticket-classification",
    "Support tickets classified by AI topic",
    "ticket",
    "send support tickets as `ticket` events; Tripwire classifies them",
)


@check
def oncall_covers_ai(f: Facts) -> Check:
    rc = f.config.respond
    title = "On-call rotation covers AI quality incidents"
    if not rc.schedules:
        return Check(
            "oncall",
            "detection",
            title,
            "fail",
            "no on-call schedule configured",
            "add respond.schedules and respond.escalation_policies (docs/respond.md)",
        )
    roles = [r for r, src in rc.roles.items() if src.schedule and not src.types]
    if not rc.escalation_policies:
        return Check(
            "oncall",
            "detection",
            title,
            "warn",
            f"{len(rc.schedules)} schedule(s), but no escalation policy",
            "add respond.escalation_policies with a level that pages a schedule",
        )
    return Check(
        "oncall",
        "detection",
        title,
        "ok",
        f"{len(rc.schedules)} schedule(s), {len(rc.escalation_policies)} escalation "
        f"polic(ies); roles from schedules for every type: {', '.join(roles) or 'none'}",
    )


@check
def severity_defined(f: Facts) -> Check:
    rules = f.config.respond.severity.rules
    title = "Severity levels with clear escalation criteria"
    if rules:
        return Check("severity", "response", title, "ok", f"{len(rules)} severity rules")
    return Check(
        "severity",
        "response",
        title,
        "fail",
        "no severity rules",
        "keep the default respond.severity.rules or write your own",
    )


@check
def roles_assigned(f: Facts) -> Check:
    wanted = ("incident_commander", "communications_lead", "engineering_lead")
    roles = f.config.respond.roles
    missing = [r for r in wanted if r not in roles or not (roles[r].schedule or roles[r].person)]
    title = "Roles assigned (commander, communications, engineering)"
    if not missing:
        return Check("roles", "response", title, "ok", "every role has a person or schedule")
    return Check(
        "roles",
        "response",
        title,
        "fail",
        f"unassigned: {', '.join(missing)}",
        "set respond.roles.<role>.schedule or .person",
    )


def _resolved_major(f: Facts) -> list[IncidentRow]:
    query = select(IncidentRow).where(
        IncidentRow.severity.in_(("P0", "P1")), IncidentRow.resolved_at.is_not(None)
    )
    return list(f.session.scalars(query))


@check
def postmortems_done(f: Facts) -> Check:
    title = "Blameless post-mortem for every P0/P1 incident"
    major = _resolved_major(f)
    done = set(
        f.session.scalars(select(PostmortemRow.incident).where(PostmortemRow.status == "done"))
    )
    missing = [f"INC-{i.number}" for i in major if i.number not in done]
    if not missing:
        return Check(
            "postmortems",
            "post-incident",
            title,
            "ok",
            f"{len(major)} resolved P0/P1 incident(s), all reviewed",
        )
    return Check(
        "postmortems",
        "post-incident",
        title,
        "warn",
        f"no post-mortem yet: {', '.join(missing[:10])}",
        "tripwire postmortem draft INC-n, then complete it",
    )


@check
def root_cause_inputs(f: Facts) -> Check:
    title = "Root-cause analysis can examine model, data and prompt changes"
    n = _use_cases_with(f, "change") or int(
        f.session.scalar(select(func.count()).where(EventRow.type == "change")) or 0
    )
    if n:
        return Check("change-log", "post-incident", title, "ok", "the deployment log is being sent")
    return Check(
        "change-log",
        "post-incident",
        title,
        "fail",
        "no `change` events: the deployment log is empty",
        "send every model, prompt, data and infra change as a `change` event",
    )


@check
def eval_cases_added(f: Facts) -> Check:
    title = "Every incident adds an evaluation test case"
    resolved = list(
        f.session.scalars(select(IncidentRow.number).where(IncidentRow.resolved_at.is_not(None)))
    )
    with_case = set(f.session.scalars(select(EvalCaseRow.incident).distinct()))
    missing = [f"INC-{n}" for n in resolved if n not in with_case]
    if not missing:
        return Check(
            "eval-cases",
            "post-incident",
            title,
            "ok",
            f"{len(resolved)} resolved incident(s), each with a test case",
        )
    return Check(
        "eval-cases",
        "post-incident",
        title,
        "warn",
        f"no test case: {', '.join(missing[:10])}",
        "POST /v1/incidents/{id}/eval-cases, then `tripwire evals export`",
    )


@check
def follow_ups_sent(f: Facts) -> Check:
    title = "Follow-up to affected users within 48 hours of resolution"
    due = f.now - timedelta(hours=48)
    late = []
    for incident in f.session.scalars(select(IncidentRow).where(IncidentRow.resolved_at <= due)):
        sent = f.session.scalar(
            select(
                exists().where(
                    TimelineRow.incident == incident.number,
                    TimelineRow.kind == "update",
                    TimelineRow.at >= incident.resolved_at,
                )
            )
        )
        if not sent:
            late.append(f"INC-{incident.number}")
    if not late:
        return Check("follow-up", "post-incident", title, "ok", "no follow-up overdue")
    return Check(
        "follow-up",
        "post-incident",
        title,
        "warn",
        f"overdue: {', '.join(late[:10])}",
        "post an update after resolution (GET .../communications/draft?kind=follow_up)",
    )
