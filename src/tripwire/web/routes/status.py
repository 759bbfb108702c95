"""The public status page (no sign-in): the page itself, and the links and forms subscribers
use (subscribe by e-mail, confirm, unsubscribe). The rules live in tripwire.communicate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.communicate import subscribers
from tripwire.communicate.context import Invalid, PageContext
from tripwire.communicate.page import status_page as page_view
from tripwire.runtime.wiring import Runtime
from tripwire.web.session import cross_site, public_page, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=200)]
FormToken = Annotated[str, Form(max_length=200)]


@router.get("/status", response_class=HTMLResponse, dependencies=[public_page()])
def status_page(request: Request) -> Response:
    return _page(request)


def _page(request: Request, message: str | None = None, status: int = 200) -> Response:
    runtime = runtime_of(request)
    config = runtime.config.communicate.status_page
    with runtime.db.read() as session:
        view = page_view(session, config, runtime.clock, runtime.settings.public_url)
    context = {
        "viewer": None,
        "s": view.summary,
        "history": view.history,
        "past": view.past,
        "days": config.history_days,
        "subscribe_email": config.subscribers.email_channel is not None,
        "subscribe_webhook": config.subscribers.webhooks,
        "message": message,
    }
    return templates.TemplateResponse(request, "status.html", context, status_code=status)


def _change(runtime: Runtime, change: Callable[[PageContext], Any]) -> Any:
    with runtime.db.session() as session:
        ctx = PageContext(
            session,
            runtime.config.communicate.status_page,
            runtime.clock.now(),
            runtime.settings.public_url,
            runtime.secret_key(),
        )
        return change(ctx)


def _message(
    request: Request, message: str, token: str | None = None, status: int = 200
) -> Response:
    runtime = runtime_of(request)
    context = {
        "viewer": None,
        "name": runtime.config.communicate.status_page.name,
        "message": message,
        "unsubscribe_token": token,
    }
    return templates.TemplateResponse(request, "status_message.html", context, status_code=status)


@router.post("/status/subscribe", response_class=HTMLResponse, dependencies=[public_page()])
def subscribe(request: Request, email: Annotated[str, Form(max_length=320)]) -> Response:
    runtime = runtime_of(request)
    if cross_site(request, runtime.settings.public_url):
        return _message(request, "This form only works from the status page.", status=403)
    try:
        _change(runtime, lambda ctx: subscribers.subscribe_email(ctx, email))
    except Invalid as exc:
        return _page(request, str(exc), status=422)
    return _page(request, "Check your inbox: we sent a link to confirm the subscription.")


@router.get(
    "/status/subscribers/confirm", response_class=HTMLResponse, dependencies=[public_page()]
)
def confirm(request: Request, token: Token) -> Response:
    done = _change(runtime_of(request), lambda ctx: subscribers.confirm(ctx, token))
    if not done:
        return _message(request, "This link is not valid (any more).", status=404)
    return _message(request, "Subscribed: you will receive every update of this page.")


@router.get(
    "/status/subscribers/unsubscribe", response_class=HTMLResponse, dependencies=[public_page()]
)
def unsubscribe_form(request: Request, token: Token) -> Response:
    # A GET never unsubscribes: mail scanners follow links.
    return _message(request, "Stop receiving updates from this page?", token=token)


@router.post(
    "/status/subscribers/unsubscribe", response_class=HTMLResponse, dependencies=[public_page()]
)
def unsubscribe(request: Request, token: FormToken) -> Response:
    done = _change(runtime_of(request), lambda ctx: subscribers.unsubscribe(ctx, token))
    if not done:
        return _message(request, "This link is not valid (any more).", status=404)
    return _message(request, "Unsubscribed: you will receive no more updates.")
