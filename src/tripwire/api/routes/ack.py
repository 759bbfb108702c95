"""Acknowledge links in pages: GET shows a confirmation page, only POST acknowledges, so a
mail scanner or chat unfurler that prefetches the link acknowledges nothing."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from tripwire.api.auth import public
from tripwire.api.deps import RuntimeDep
from tripwire.respond.acklink import AckClaim, BadLink, read_token
from tripwire.respond.acknowledge import acknowledge_link
from tripwire.respond.service import Conflict, NotFound
from tripwire.runtime.wiring import Runtime

router = APIRouter(tags=["incidents"])
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width">'
        f"<meta name=referrer content=no-referrer><title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui;max-width:36em;margin:3em auto;padding:0 1em}"
        "button{font-size:1.1em;padding:.5em 1.5em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
    return HTMLResponse(document, status_code=status, headers=headers)


def _claim(runtime: Runtime, token: str) -> AckClaim:
    secret = runtime.settings.secret_key
    if secret is None:
        raise BadLink("acknowledge links are off (no TRIPWIRE_SECRET_KEY)")
    return read_token(secret.get_secret_value(), token, runtime.clock.now())


@router.get("/ack/{token}", response_class=HTMLResponse, dependencies=[public()])
def confirm(token: str, runtime: RuntimeDep) -> HTMLResponse:
    """The signed token is the credential; this page only asks to confirm."""
    try:
        claim = _claim(runtime, token)
    except BadLink as exc:
        return _page("Link not valid", f"<p>{html.escape(str(exc))}</p>", 400)
    who = html.escape(claim.person)
    what = (
        "Confirm you received the notification about" if claim.notice is not None else "Acknowledge"
    )
    then = "" if claim.notice is not None else " Escalation stops once you do."
    form = (
        f"<p>{what} <strong>{html.escape(claim.incident)}</strong> as {who}?{then}</p>"
        f'<form method=post action="/ack/{html.escape(token)}"><button>Acknowledge</button></form>'
        f"{_open_link(claim)}"
    )
    return _page(f"Acknowledge {claim.incident}", form)


@router.post("/ack/{token}", response_class=HTMLResponse, dependencies=[public()])
def acknowledge(token: str, runtime: RuntimeDep) -> HTMLResponse:
    try:
        claim = _claim(runtime, token)
    except BadLink as exc:
        return _page("Link not valid", f"<p>{html.escape(str(exc))}</p>", 400)
    try:
        with runtime.db.session() as session:
            done = acknowledge_link(runtime.incidents(session), claim)
    except NotFound:
        return _page("Not found", "<p>That incident does not exist.</p>", 404)
    except Conflict as exc:
        return _page("Nothing to do", f"<p>{html.escape(str(exc))}</p>", 409)
    body = f"<p>Thank you, {html.escape(claim.person)}. {html.escape(done)}</p>"
    return _page(f"{claim.incident} acknowledged", body + _open_link(claim))


def _open_link(claim: AckClaim) -> str:
    """The incident in the UI (it asks to sign in first)."""
    target = f"/ui/incidents/{html.escape(claim.incident)}"
    return f'<p><a href="{target}">Open {html.escape(claim.incident)} in Tripwire</a></p>'
