"""User communications: drafts from an incident's facts, and the lint that keeps them specific."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tripwire.api.auth import requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.communicate.drafts import Kind
from tripwire.communicate.lint import Scope, lint
from tripwire.communicate.page import draft_for

router = APIRouter(tags=["communications"])


class LintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=20_000)]
    use_cases: Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=20)] = []
    resolved: bool = False
    follow_up: bool = False


@router.get("/v1/incidents/{ident}/communications/draft", dependencies=[requires("read")])
def get_draft(ident: str, runtime: RuntimeDep, kind: Kind = "initial") -> dict[str, Any]:
    """A draft message to affected users (`initial`, `resolution` or `follow_up`), linted."""
    with runtime.db.session() as session:
        found = draft_for(session, runtime.config.communicate, ident, kind)
    if found is None:
        raise ApiError(404, f"no incident {ident!r}")
    return {
        "incident_id": ident,
        "kind": found.kind,
        "subject": found.subject,
        "text": found.text,
        "findings": [f.as_json() for f in found.findings],
    }


@router.post("/v1/communications/lint", dependencies=[requires("read")])
def lint_text(body: LintIn) -> dict[str, Any]:
    """Check a message before it goes out: vague scope, no time window, blaming the AI, ..."""
    scope = Scope(tuple(body.use_cases), body.resolved, body.follow_up)
    findings = lint(body.text, scope)
    return {"ok": not findings, "findings": [f.as_json() for f in findings]}
