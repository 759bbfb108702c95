"""Attach the web UI (pages, static files, sign-in redirects) to the application."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tripwire.web.routes import (
    audience,
    deadletter,
    flags,
    home,
    incident_actions,
    incidents,
    monitors,
    oncall,
    outputs,
    postmortems,
    readiness,
    session,
    status,
    statuspage,
)
from tripwire.web.session import Forbidden, LoginRequired
from tripwire.web.templating import STATIC, templates

PAGES = [
    session.router,
    home.router,
    incidents.router,
    audience.router,  # before incident_actions: its `{action}` would take `stakeholders`
    incident_actions.router,
    monitors.router,
    outputs.router,
    flags.router,
    oncall.router,
    postmortems.router,
    statuspage.router,
    readiness.router,
    status.router,
    deadletter.router,
]


def install_web(app: FastAPI) -> None:
    for router in PAGES:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/ui/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        reason = (
            "The form expired or came from another site; reload the page and try again."
            if exc.scope == "csrf"
            else f"Your token lacks the `{exc.scope}` scope needed here."
        )
        context = {"viewer": None, "reason": reason}
        return templates.TemplateResponse(request, "forbidden.html", context, status_code=403)


__all__ = ["install_web"]
