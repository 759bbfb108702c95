"""Flags and kill switches: what each serves, its history (who, when, why), and the buttons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.flags import service as flags
from tripwire.flags.model import FlagInvalid
from tripwire.respond.playbooks.flips import change_flag
from tripwire.web.session import ReadViewer, RespondViewer, Viewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(max_length=2000)]


@router.get("/ui/flags", response_class=HTMLResponse)
def flags_page(request: Request, viewer: ReadViewer) -> Response:
    return _render(request, viewer)


def _render(
    request: Request, viewer: Viewer, error: str | None = None, status: int = 200
) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        items = flags.list_flags(session)
        recent = {f.key: flags.history(session, f.key, 1) for f in items}
    context = {"viewer": viewer, "flags": items, "recent": recent, "error": error}
    return templates.TemplateResponse(request, "flags.html", context, status_code=status)


@router.get("/ui/flags/{key}", response_class=HTMLResponse)
def flag_page(request: Request, key: str, viewer: ReadViewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        flag = flags.find_flag(session, key)
        changes = flags.history(session, key, 200) if flag else []
    if flag is None:
        context = {"viewer": viewer, "reason": f"There is no flag {key[:128]!r}."}
        return templates.TemplateResponse(request, "missing.html", context, status_code=404)
    context = {"viewer": viewer, "flag": flag, "changes": changes}
    return templates.TemplateResponse(request, "flag.html", context)


@router.post("/ui/flags/{key}/kill")
def kill(
    request: Request, key: str, viewer: RespondViewer, reason: Reason = "",
    confirm: str = Form(""), incident: Annotated[str, Form(max_length=64)] = "",
) -> Response:  # fmt: skip
    """Flip the kill switch: a reason and the confirmation box are required."""
    if not reason.strip() or confirm != "yes":
        return _render(
            request, viewer, "Give a reason and tick the box to flip a kill switch.", 422
        )
    return _change(request, viewer, key, None, reason.strip(), incident.strip() or None)


@router.post("/ui/flags/{key}/value")
def set_value(
    request: Request, key: str, viewer: RespondViewer, value: str = Form(""),
    reason: Reason = "", incident: Annotated[str, Form(max_length=64)] = "",
) -> Response:  # fmt: skip
    """Serve another value (a variant, or true/false), with a reason."""
    if not reason.strip():
        return _render(request, viewer, "Say why the flag changes.", 422)
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        flag = flags.find_flag(session, key)
    if flag is None:
        return _render(request, viewer, f"There is no flag {key[:128]!r}.", 404)
    chosen: Any = value == "true" if flag.type == "boolean" else value
    return _change(
        request, viewer, key, {"value": chosen}, reason.strip(), incident.strip() or None
    )


def _change(
    request: Request, viewer: Viewer, key: str, fields: dict[str, Any] | None, reason: str,
    incident: str | None,
) -> Response:  # fmt: skip
    runtime = runtime_of(request)
    actor = flags.Actor(viewer.name, "ui", reason, incident)
    try:
        with runtime.db.session() as session:
            incidents = runtime.playbook_incidents(session) if incident else None
            change_flag(session, runtime.clock, key, fields, actor, incidents=incidents)
    except flags.FlagNotFound:
        return _render(request, viewer, f"There is no flag {key[:128]!r}.", 404)
    except (FlagInvalid, LookupError) as exc:
        return _render(request, viewer, str(exc), 422)
    return RedirectResponse(f"/ui/flags/{key}", status_code=303)
