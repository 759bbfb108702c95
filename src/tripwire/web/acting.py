"""How an incident-page action runs: one transaction through the service that owns the rule,
then the page again (htmx swaps it in place) or a redirect back (a plain form post)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tripwire.communicate.messages import Refused as MessageRefused
from tripwire.flags.model import FlagInvalid
from tripwire.respond.playbooks.rollback import RollbackError
from tripwire.respond.service import Conflict, NotFound
from tripwire.runtime.wiring import Runtime
from tripwire.web.routes.incidents import render
from tripwire.web.session import Viewer, runtime_of

Change = Callable[[Session, Runtime], Any]


class Refused(Exception):
    """The input cannot be acted on; the message says what to fix (shown on the page)."""


def needs(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise Refused(f"Write {what} first.")
    return value


def act(
    request: Request, viewer: Viewer, ident: str, change: Change, notice: str, anchor: str = ""
) -> Response:
    """Run `change`; refusals and the notice show in the panel `anchor` names."""
    runtime = runtime_of(request)
    where = anchor.removeprefix("#")
    try:
        with runtime.db.session() as session:
            change(session, runtime)
    except NotFound:
        return render(request, viewer, ident, status=404)
    except (Conflict, Refused, RollbackError, FlagInvalid, LookupError, ValueError) as exc:
        return render(request, viewer, ident, _say(exc), _status(exc), where=where)
    if request.headers.get("hx-request"):
        return render(request, viewer, ident, notice=notice, where=where)
    return RedirectResponse(f"/ui/incidents/{ident}{anchor}", status_code=303)


def _say(exc: Exception) -> str:
    """The refusal, with what the message lint found when that is the reason."""
    text = str(exc)
    if isinstance(exc, MessageRefused) and exc.findings:
        text += ": " + " ".join(f.message for f in exc.findings)
    return text


def _status(exc: Exception) -> int:
    if isinstance(exc, RollbackError):
        return exc.status
    return 422 if isinstance(exc, Refused | FlagInvalid) else 409
