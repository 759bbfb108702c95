"""Post-mortems, action items, evaluation test cases and the readiness checklist."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import yaml
from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from tripwire.api.auth import Caller, requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.learn import action_items, evalcases, postmortem
from tripwire.learn.readiness import run_checks
from tripwire.learn.views import case_json, item_json, postmortem_json
from tripwire.respond.service import IncidentService, NotFound
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.learn import PostmortemRow
from tripwire.store.tables.respond import IncidentRow

router = APIRouter(tags=["learn"])
T = TypeVar("T")
Text = Annotated[str, Field(min_length=1, max_length=20_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostmortemEdit(_Body):
    summary: Text | None = None
    impact: Text | None = None
    root_cause: Text | None = None
    contributing_factors: list[Text] | None = None
    what_went_well: Text | None = None
    what_went_wrong: Text | None = None
    lessons: Text | None = None


Owner = Annotated[str, Field(max_length=256)]
ItemStatus = Literal["open", "in_progress", "done", "wont_do"]


class ActionItemIn(_Body):
    title: Text
    kind: Literal["prevent", "detect", "mitigate", "process"] = "prevent"
    owner: Owner | None = None
    due_days: Annotated[int, Field(ge=1, le=365)] | None = None
    due_at: AwareDatetime | None = None  # wins over due_days; neither: learn.action_items default


class ActionItemPatch(_Body):
    title: Text | None = None
    owner: Owner | None = None  # "" clears it
    status: ItemStatus | None = None
    due_at: AwareDatetime | None = None  # null (explicitly) removes the due date


class Assertion(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    value: Any = None


class EvalCaseIn(_Body):
    # What the document can say of the rule in `learn/evalcases.py` (the output must be stored).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [{"required": ["output_id"]}, {"required": ["input", "output"]}]
        },
    )
    description: Annotated[str, Field(max_length=1000)] | None = None
    output_id: Annotated[str, Field(max_length=128)] | None = None
    input: Text | None = None
    output: Text | None = None
    expected_output: Text | None = None
    context: Annotated[list[Text], Field(max_length=50)] = []
    assertions: Annotated[list[Assertion], Field(max_length=50)] = []
    by: Annotated[
        str | None,
        Field(
            max_length=256,
            deprecated=True,
            description="Ignored: the case is attributed to the authenticated token's name.",
        ),
    ] = None


def _with_incident(
    runtime: Runtime, ident: str, work: Callable[[Session, IncidentService, IncidentRow], T]
) -> T:
    try:
        with runtime.db.session() as session:
            service = runtime.incidents(session)
            return work(session, service, service.get(ident))
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None


def _postmortem_of(session: Session, incident: IncidentRow) -> PostmortemRow:
    row = session.get(PostmortemRow, incident.number)
    if row is None:
        raise ApiError(404, "no post-mortem yet; POST .../postmortem drafts one")
    return row


@router.post("/v1/incidents/{ident}/postmortem", dependencies=[requires("respond")])
def draft_postmortem(ident: str, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    """Draft the blameless post-mortem from the incident's record (idempotent)."""
    return _with_incident(
        runtime,
        ident,
        lambda s, svc, i: postmortem_json(s, postmortem.draft(s, i, runtime.clock, who)),
    )


@router.get("/v1/incidents/{ident}/postmortem", dependencies=[requires("read")])
def get_postmortem(ident: str, runtime: RuntimeDep) -> dict[str, Any]:
    return _with_incident(
        runtime, ident, lambda s, svc, i: postmortem_json(s, _postmortem_of(s, i))
    )


@router.patch("/v1/incidents/{ident}/postmortem", dependencies=[requires("respond")])
def edit_postmortem(ident: str, body: PostmortemEdit, runtime: RuntimeDep) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True)
    return _with_incident(
        runtime,
        ident,
        lambda s, svc, i: postmortem_json(
            s, postmortem.edit(_postmortem_of(s, i), changes, runtime.clock)
        ),
    )


@router.post("/v1/incidents/{ident}/postmortem/complete", dependencies=[requires("respond")])
def complete_postmortem(ident: str, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    """Done when blameless, with a root cause, an action item and an eval case (else 409)."""

    def work(s: Session, svc: IncidentService, i: IncidentRow) -> dict[str, Any]:
        try:
            return postmortem_json(s, postmortem.complete(s, svc, _postmortem_of(s, i), who))
        except postmortem.NotReady as exc:
            raise ApiError(409, "the post-mortem is not complete", missing=exc.reasons) from None

    return _with_incident(runtime, ident, work)


@router.post(
    "/v1/incidents/{ident}/action-items", status_code=201, dependencies=[requires("respond")]
)
def add_action_item(ident: str, body: ActionItemIn, runtime: RuntimeDep) -> dict[str, Any]:
    days = body.due_days or runtime.config.learn.action_items.default_due_days
    return _with_incident(
        runtime,
        ident,
        lambda s, svc, i: item_json(
            postmortem.add_action_item(
                s, i.number, body.title, body.kind, body.owner, runtime.clock, days, body.due_at
            ),
            runtime.clock.now(),
        ),
    )


@router.get("/v1/incidents/{ident}/action-items", dependencies=[requires("read")])
def incident_action_items(ident: str, runtime: RuntimeDep) -> dict[str, Any]:
    now = runtime.clock.now()
    return _with_incident(
        runtime,
        ident,
        lambda s, svc, i: {
            "action_items": [item_json(a, now) for a in postmortem.action_items(s, i.number)]
        },
    )


@router.patch("/v1/incidents/{ident}/action-items/{item_id}", dependencies=[requires("respond")])
def edit_action_item(
    ident: str, item_id: int, body: ActionItemPatch, runtime: RuntimeDep, who: Caller
) -> dict[str, Any]:
    """Change the owner, due date, title or state (open, in_progress, done, wont_do)."""
    change = action_items.ItemChange(
        title=body.title,
        owner=body.owner,
        status=body.status,
        due_at=body.due_at,
        clear_due="due_at" in body.model_fields_set and body.due_at is None,
    )

    def work(s: Session, svc: IncidentService, i: IncidentRow) -> dict[str, Any]:
        try:
            item = action_items.get_item(s, i, item_id)
        except LookupError as exc:
            raise ApiError(404, str(exc)) from None
        return item_json(action_items.update_item(svc, i, item, change, who), svc.clock.now())

    return _with_incident(runtime, ident, work)


@router.get("/v1/action-items", dependencies=[requires("read")])
def all_action_items(
    runtime: RuntimeDep,
    owner: Annotated[str, Query(max_length=256)] | None = None,
    status: ItemStatus | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> dict[str, Any]:
    """Every incident's action items, soonest due first; `overdue=true` keeps unfinished
    items past their due date."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        found = action_items.list_items(
            session, owner=owner, status=status, overdue_at=now if overdue else None, limit=limit
        )
        return {"action_items": [item_json(a, now) for a in found]}


@router.post(
    "/v1/incidents/{ident}/eval-cases", status_code=201, dependencies=[requires("respond")]
)
def add_eval_case(ident: str, body: EvalCaseIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    """Add a regression test from a stored output (`output_id`) or from `input` + `output`."""
    case = evalcases.CaseIn(
        description=body.description,
        output_id=body.output_id,
        input=body.input,
        output=body.output,
        expected_output=body.expected_output,
        context=list(body.context),
        assertions=[a.model_dump(exclude_none=True) for a in body.assertions],
    )

    def work(s: Session, svc: IncidentService, i: IncidentRow) -> dict[str, Any]:
        try:
            row = evalcases.add_case(s, i, case, who, runtime.clock)
        except evalcases.CaseError as exc:
            raise ApiError(422, str(exc)) from None
        svc.log(
            i,
            "eval_case",
            f"Evaluation test case added: {row.description}",
            who,
            {"eval_case_id": row.id},
        )
        return case_json(row)

    return _with_incident(runtime, ident, work)


@router.get("/v1/evals/export", dependencies=[requires("read")])
def export_evals(runtime: RuntimeDep, format: evalcases.Format = "promptfoo") -> Response:
    """Every incident's test cases: promptfoo tests (YAML), DeepEval or Langfuse items (JSON)."""
    with runtime.db.session() as session:
        cases = evalcases.list_cases(session)
        incidents = {c.incident: session.get(IncidentRow, c.incident) for c in cases}
        data = evalcases.export(cases, {k: v for k, v in incidents.items() if v}, format)
    if format == "promptfoo":
        return Response(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True), media_type="application/yaml"
        )
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")


@router.get("/v1/readiness", dependencies=[requires("read")])
def readiness(runtime: RuntimeDep) -> dict[str, Any]:
    """The seed's AI incident readiness checklist, answered from config and data."""
    with runtime.db.session() as session:
        checks = run_checks(session, runtime.config, runtime.clock.now())
    return {"ready": all(c.status == "ok" for c in checks), "checks": [c.as_json() for c in checks]}
