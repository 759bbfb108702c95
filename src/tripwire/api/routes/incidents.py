"""Incidents: list, read, declare, and the response actions (docs/api.md)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tripwire.api.auth import Caller, requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.api.openapi import instant_schema
from tripwire.domain.clock import sane_instant
from tripwire.domain.events import parse_rfc3339
from tripwire.domain.incidents import (
    INCIDENT_TYPES,
    SEVERITIES,
    STATUSES,
    Action,
    IncidentType,
    Severity,
)
from tripwire.learn import review
from tripwire.respond import queries, stakeholders, work
from tripwire.respond.service import Conflict, IncidentService, NewIncident, NotFound
from tripwire.respond.views import detail_json, summary_json
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.respond import IncidentRow

router = APIRouter(tags=["incidents"])
Text = Annotated[str, Field(min_length=1, max_length=10_000)]


def _one_of(names: tuple[str, ...]) -> str:
    """The pattern of a repeatable query parameter whose values may be comma separated."""
    return f"^,*(({'|'.join(names)}),*)*$"


Statuses = list[Annotated[str, StringConstraints(pattern=_one_of(STATUSES))]] | None
Types = list[Annotated[str, StringConstraints(pattern=_one_of(INCIDENT_TYPES))]] | None
Severities = list[Annotated[str, StringConstraints(pattern=_one_of(SEVERITIES))]] | None

Who = Annotated[str, Field(min_length=1, max_length=256)]
# Kept so that older clients are not refused; actions are attributed to the caller's token.
By = Annotated[
    str | None,
    Field(
        max_length=256,
        deprecated=True,
        description="Ignored: the action is attributed to the authenticated token's name.",
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentCreate(_Body):
    type: IncidentType
    title: Annotated[str, Field(min_length=1, max_length=1000)]
    use_case: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    severity: Severity | None = None
    started_at: Annotated[datetime | None, Field(json_schema_extra=instant_schema)] = None
    by: By = None

    @field_validator("started_at", mode="before")
    @classmethod
    def _ts(cls, value: object) -> datetime | None:
        return None if value is None else sane_instant(parse_rfc3339(value))


class StepIn(_Body):
    by: By = None
    note: Text | None = None
    expected_version: int | None = None


class SeverityIn(_Body):
    severity: Severity
    reason: Text
    by: By = None


class RoleIn(_Body):
    role: str
    person: Who
    by: By = None


class NoteIn(_Body):
    text: Text
    by: By = None


class UpdateIn(NoteIn):
    stage: str | None = Field(
        None, description="investigating | identified | monitoring | resolved"
    )


class TaskIn(_Body):
    title: Text
    role: str | None = None
    assignee: Who | None = None
    by: By = None


class TaskStatusIn(_Body):
    status: str
    by: By = None


class ReviewIn(_Body):
    link: Annotated[str, Field(max_length=2000)] | None = None
    by: By = None


class StakeholdersIn(_Body):
    groups: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]],
        Field(min_length=1, max_length=20, description="names under respond.stakeholders"),
    ]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    within_minutes: int | None = Field(
        None,
        ge=1,
        le=10_080,
        description="acknowledgement deadline; missed: the commander and each silent group's "
        "escalation contact are paged",
    )


def run(runtime: Runtime, change: Callable[[IncidentService], IncidentRow]) -> dict[str, Any]:
    """Apply `change` in one transaction and answer with the incident's detail."""
    try:
        with runtime.db.session() as session:
            service = runtime.incidents(session)
            return detail_json(session, change(service))
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except Conflict as exc:
        raise ApiError(409, str(exc)) from None


def _many(values: list[str] | None, allowed: tuple[str, ...], name: str) -> list[str]:
    out = [v for value in values or [] for v in value.split(",") if v]
    bad = [v for v in out if v not in allowed]
    if bad:
        raise ApiError(422, f"unknown {name} {bad[0]!r}; choose from {', '.join(allowed)}")
    return out


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    try:
        at, _, number = base64.urlsafe_b64decode(value.encode()).decode().partition("|")
        # Incident numbers are small: a huge integer would overflow the database's column.
        if not (number.isascii() and number.isdigit()) or len(number) > 12:
            raise ValueError("not an incident number")
        return parse_rfc3339(at), int(number)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "cursor is not one this API gave out; start without it") from None


@router.get("/v1/incidents", dependencies=[requires("read")])
def list_incidents(
    runtime: RuntimeDep,
    status: Annotated[Statuses, Query()] = None,
    type: Annotated[Types, Query()] = None,
    use_case: str | None = None,
    severity: Annotated[Severities, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Every status, newest `detected_at` first; `next_cursor` pages on."""
    statuses = _many(status, STATUSES, "status")
    types = _many(type, INCIDENT_TYPES, "type")
    severities = _many(severity, SEVERITIES, "severity")
    with runtime.db.read() as session:
        rows = queries.list_incidents(
            session,
            status=statuses,
            type_=types,
            severity=severities,
            use_case=use_case,
            limit=limit + 1,
            before=_cursor(cursor),
        )
        page = [summary_json(session, r) for r in rows[:limit]]
    more = len(rows) > limit
    token = f"{page[-1]['detected_at']}|{rows[limit - 1].number}" if more else None
    return {
        "incidents": page,
        "next_cursor": base64.urlsafe_b64encode(token.encode()).decode() if token else None,
    }


@router.get("/v1/incidents/{ident}", dependencies=[requires("read")])
def get_incident(ident: str, runtime: RuntimeDep) -> dict[str, Any]:
    return run(runtime, lambda s: s.get(ident))


@router.post("/v1/incidents", status_code=201, dependencies=[requires("respond")])
def declare(body: IncidentCreate, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    """Declare an incident by hand; it is paged and escalated like any other."""
    now = runtime.clock.now()
    new = NewIncident(
        type=body.type,
        title=body.title,
        use_case=body.use_case,
        started_at=min(body.started_at or now, now),
        detected_at=now,
        source="manual",
        severity=body.severity,
    )
    return run(runtime, lambda s: s.open(new, actor=who))


def _step(action: Action) -> Callable[[str, StepIn, Runtime, str], dict[str, Any]]:
    def step(ident: str, body: StepIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
        return run(
            runtime,
            lambda s: s.transition(ident, action, who, body.note, body.expected_version),
        )

    step.__doc__ = f"{action.capitalize()} the incident (409 when not allowed now)."
    return step


for _path, _action in (
    ("ack", "acknowledge"),
    ("acknowledge", "acknowledge"),
    ("mitigate", "mitigate"),
    ("resolve", "resolve"),
    ("close", "close"),
):
    router.add_api_route(
        f"/v1/incidents/{{ident}}/{_path}",
        _step(_action),  # type: ignore[arg-type]
        methods=["POST"],
        dependencies=[requires("respond")],
        name=f"incident_{_path}",
        include_in_schema=_path != "acknowledge",
    )


@router.post("/v1/incidents/{ident}/severity", dependencies=[requires("respond")])
def change_severity(
    ident: str, body: SeverityIn, runtime: RuntimeDep, who: Caller
) -> dict[str, Any]:
    return run(runtime, lambda s: s.set_severity(ident, body.severity, body.reason, who))


@router.post("/v1/incidents/{ident}/roles", dependencies=[requires("respond")])
def assign_role(ident: str, body: RoleIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    return run(runtime, lambda s: s.assign_role(ident, body.role, body.person, who))


@router.post("/v1/incidents/{ident}/notes", dependencies=[requires("respond")])
def add_note(ident: str, body: NoteIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    def change(s: IncidentService) -> IncidentRow:
        s.add_note(ident, body.text, who)
        return s.get(ident)

    return run(runtime, change)


@router.post("/v1/incidents/{ident}/updates", dependencies=[requires("respond")])
def post_update(ident: str, body: UpdateIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    """A status update for the people following the incident."""

    def change(s: IncidentService) -> IncidentRow:
        s.post_update(ident, body.text, who, body.stage)
        return s.get(ident)

    return run(runtime, change)


@router.post("/v1/incidents/{ident}/tasks", dependencies=[requires("respond")])
def add_task(ident: str, body: TaskIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    def change(s: IncidentService) -> IncidentRow:
        work.add_task(s, ident, body.title, role=body.role, assignee=body.assignee, actor=who)
        return s.get(ident)

    return run(runtime, change)


@router.post("/v1/incidents/{ident}/tasks/{task_id}", dependencies=[requires("respond")])
def set_task(
    ident: str, task_id: int, body: TaskStatusIn, runtime: RuntimeDep, who: Caller
) -> dict[str, Any]:
    def change(s: IncidentService) -> IncidentRow:
        work.set_task_status(s, ident, task_id, body.status, who)
        return s.get(ident)

    return run(runtime, change)


@router.post("/v1/incidents/{ident}/stakeholders", dependencies=[requires("respond")])
def notify_stakeholders(
    ident: str, body: StakeholdersIn, runtime: RuntimeDep, who: Caller
) -> dict[str, Any]:
    """Tell stakeholder groups (legal, leadership, ...) now, each member with an acknowledge
    link; 409 for an unknown group or one without members."""
    due_at = runtime.clock.now() + timedelta(minutes=body.within_minutes or 0)

    def change(s: IncidentService) -> IncidentRow:
        incident = s.get(ident)
        told = stakeholders.notify_groups(
            s, incident, body.groups, body.reason, due_at=due_at if body.within_minutes else None,
            actor=who,
        )  # fmt: skip
        if not told.people:
            raise Conflict(f"no members configured for {', '.join(body.groups)}")
        return incident

    return run(runtime, change)


@router.post("/v1/incidents/{ident}/review", dependencies=[requires("respond")])
def review_done(ident: str, body: ReviewIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    """Confirm the review; 409 unless the incident's post-mortem is completed."""
    return run(runtime, lambda s: review.mark_review_done(s, ident, who, body.link))
