"""The public status page as Statuspage-compatible JSON, publishing on it, maintenance and
subscriptions. The rules live in tripwire.communicate; this module maps them to HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tripwire.api.auth import bearer, public, requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.communicate import publish, subscribers
from tripwire.communicate.context import Conflict, Invalid, Missing, PageContext
from tripwire.communicate.page import status_summary
from tripwire.communicate.queries import as_public
from tripwire.communicate.statuspage import display_name, incident_json
from tripwire.domain.clock import sane_instant
from tripwire.respond.queries import get_incident
from tripwire.runtime.access import identify
from tripwire.runtime.wiring import Runtime

router = APIRouter(tags=["status page"])
T = TypeVar("T")
Text = Annotated[str, StringConstraints(max_length=10_000)]
MaintenanceId = Annotated[int, Path(ge=1, le=2**62)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublishIn(_Body):
    title: Text = Field(description="the public title (never the internal one)")
    body: Text = Field(description="the first public update")
    status: str = Field("investigating", description="investigating | identified | monitoring")
    components: dict[str, str] = Field(
        default_factory=dict,
        description="component id -> degraded_performance | partial_outage | major_outage",
        max_length=200,
    )


class PublicUpdateIn(_Body):
    status: str = Field(description="investigating | identified | monitoring | resolved")
    body: Text
    components: dict[str, str] | None = Field(None, max_length=200)


class MaintenanceIn(_Body):
    title: Text
    body: Text
    components: list[str] = Field(min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-01-31T22:00:00Z")
        return sane_instant(value)


class SubscribeIn(_Body):
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    webhook_url: Annotated[str, StringConstraints(max_length=2048)] | None = None


def actor(request: Request, runtime: Runtime) -> str:
    """The name of the token that made the request (auth already checked it)."""
    secret = bearer(request)
    identity = identify(runtime, secret) if secret else None
    return identity.name if identity else "unknown"


@contextmanager
def page_context(runtime: Runtime) -> Iterator[PageContext]:
    """A write transaction with the page's rules mapped to HTTP errors."""
    try:
        with runtime.db.session() as session:
            yield PageContext(
                session,
                runtime.config.communicate.status_page,
                runtime.clock.now(),
                runtime.settings.public_url,
                runtime.secret_key(),
            )
    except Invalid as exc:
        raise ApiError(422, str(exc)) from None
    except Missing as exc:
        raise ApiError(404, str(exc)) from None
    except Conflict as exc:
        raise ApiError(409, str(exc)) from None


def _incident_number(ctx: PageContext, ident: str) -> int:
    row = get_incident(ctx.session, ident)
    if row is None:
        raise Missing(f"no incident {ident[:40]!r}")
    return row.number


def _public(ctx: PageContext, change: Callable[[int], Any], ident: str) -> dict[str, Any]:
    row = change(_incident_number(ctx, ident))
    [incident] = as_public(ctx.session, [row])
    names = {k: display_name(ctx.config, k) for u in incident.updates for k in u.components}
    return incident_json(incident, names)


@router.get("/status/summary.json", dependencies=[public()])
def summary(runtime: RuntimeDep) -> dict[str, Any]:
    """Components (use cases) with their status, published incidents with every update, and
    scheduled maintenance. Unpublished incidents never appear."""
    with runtime.db.read() as session:
        return status_summary(
            session,
            runtime.config.communicate.status_page,
            runtime.clock,
            runtime.settings.public_url,
        )


@router.post("/v1/incidents/{ident}/public", status_code=201, dependencies=[requires("respond")])
def publish_incident(
    ident: str, body: PublishIn, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """Put an incident on the status page under a public title, with its first update and the
    components it affects (422 for any status but the four public ones)."""
    who = actor(request, runtime)
    with page_context(runtime) as ctx:

        def change(number: int) -> Any:
            return publish.publish(
                ctx, number, body.title, body.body, body.status, body.components, who
            )

        return _public(ctx, change, ident)


@router.post("/v1/incidents/{ident}/public/updates", dependencies=[requires("respond")])
def post_public_update(
    ident: str, body: PublicUpdateIn, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """A public update; `resolved` resolves the incident publicly and restores its components."""
    who = actor(request, runtime)
    with page_context(runtime) as ctx:

        def change(number: int) -> Any:
            return publish.post_update(ctx, number, body.status, body.body, body.components, who)

        return _public(ctx, change, ident)


@router.post("/v1/status-page/maintenance", status_code=201, dependencies=[requires("respond")])
def schedule(body: MaintenanceIn, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Announce a maintenance window; its components show `under_maintenance` while it runs."""
    who = actor(request, runtime)
    with page_context(runtime) as ctx:
        row = publish.schedule_maintenance(
            ctx, body.title, body.body, body.components, body.starts_at, body.ends_at, who
        )
        return {"id": str(row.id), "name": row.title}


@router.delete("/v1/status-page/maintenance/{ident}", dependencies=[requires("respond")])
def cancel(ident: MaintenanceId, runtime: RuntimeDep) -> dict[str, Any]:
    with page_context(runtime) as ctx:
        row = publish.cancel_maintenance(ctx, ident)
        return {"id": str(row.id), "cancelled": True}


class Subscribed(BaseModel):
    id: int
    url: str
    secret: str = Field(description="whsec_...: verifies the signatures (shown only now)")
    unsubscribe_url: str


class ConfirmationSent(BaseModel):
    status: str = "confirmation_sent"


@router.post(
    "/status/subscribers",
    status_code=202,
    dependencies=[public()],
    response_model=ConfirmationSent,
    responses={201: {"model": Subscribed, "description": "a webhook subscriber, active now"}},
)
def subscribe(body: SubscribeIn, runtime: RuntimeDep) -> JSONResponse:
    """Follow the page by e-mail (a confirmation link is sent; 202) or by webhook (active at
    once; 201 with the signing secret, shown only now)."""
    if (body.email is None) == (body.webhook_url is None):
        raise ApiError(422, "give exactly one of email or webhook_url")
    with page_context(runtime) as ctx:
        if body.email is not None:
            subscribers.subscribe_email(ctx, body.email)
            return JSONResponse({"status": "confirmation_sent"}, status_code=202)
        assert body.webhook_url is not None
        allow = runtime.settings.allow_private_webhooks
        made = subscribers.subscribe_webhook(ctx, body.webhook_url, allow)
        return JSONResponse(made, status_code=201)
