"""Alert intake: Prometheus Alertmanager webhooks and PagerDuty Events API v2 bodies open,
join or resolve incidents (docs/api.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from tripwire.api.auth import POLICY_ATTR, bearer, requires, scopes_for
from tripwire.api.body import read_json
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.domain.ids import uuid7
from tripwire.domain.tokens import grants
from tripwire.respond.ids import incident_id
from tripwire.respond.intake import alertmanager_alerts, pagerduty_event
from tripwire.respond.queries import open_signal
from tripwire.respond.service import Conflict, IncidentService
from tripwire.respond.signals import ingest_alert

router = APIRouter(tags=["alerts"])
MAX_BODY = 512 * 1024  # PagerDuty's own limit; Alertmanager groups are far smaller


@router.post("/v1/alerts/alertmanager", dependencies=[requires("ingest")])
async def alertmanager(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Alertmanager webhook (version 4): firing alerts open or join, resolved ones resolve."""
    body = await read_json(request, MAX_BODY)
    try:
        alerts = alertmanager_alerts(body, runtime.clock.now())
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    touched: list[str] = []
    with runtime.db.session() as session:
        service = runtime.incidents(session)
        for alert in alerts:
            incident = ingest_alert(service, alert)
            if incident is not None and incident_id(incident.number) not in touched:
                touched.append(incident_id(incident.number))
    return {"status": "success", "alerts": len(alerts), "incidents": touched}


def bearer_or_routing_key() -> Any:
    """Like requires("ingest"), but a missing bearer is left for the body's routing_key."""

    def check(request: Request, runtime: RuntimeDep) -> bool:
        secret = bearer(request)
        if secret is None:
            return False
        held = scopes_for(runtime, secret)
        if held is None:
            raise ApiError(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        if not grants(held, "ingest"):
            raise ApiError(403, "this token lacks the `ingest` scope")
        return True

    setattr(check, POLICY_ATTR, "ingest")
    return Depends(check)


def _invalid(message: str) -> JSONResponse:
    body = {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [message],
        "error": message,
    }
    return JSONResponse(body, status_code=400)


@router.post("/v1/alerts/pagerduty", status_code=202, dependencies=[bearer_or_routing_key()])
async def pagerduty(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """PagerDuty Events API v2; answers like PagerDuty (202 with the dedup_key)."""
    authed = bearer(request) is not None  # checked by the dependency when present
    if not authed:
        # Authenticate before validating, so strangers learn nothing about the payload rules.
        try:
            body = await read_json(request, MAX_BODY)
        except ApiError:
            body = None
        key = body.get("routing_key") if isinstance(body, dict) else None
        held = scopes_for(runtime, key) if isinstance(key, str) and key else None
        if held is None:
            raise ApiError(
                401,
                "send a bearer token, or a routing_key that is an ingest token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not grants(held, "ingest"):
            raise ApiError(403, "this routing_key is a token without the `ingest` scope")
    else:
        body = await read_json(request, MAX_BODY)
    try:
        event = pagerduty_event(body, runtime.clock.now(), uuid7())
    except ValueError as exc:
        return _invalid(str(exc))
    with runtime.db.session() as session:
        service = runtime.incidents(session)
        _apply(service, event.action, event.dedup_key, event.alert)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key},
        status_code=202,
    )


def _apply(service: IncidentService, action: str, dedup_key: str, alert: Any) -> None:
    if alert is not None:
        ingest_alert(service, alert)
        return
    found = open_signal(service.session, f"pd:{dedup_key}")
    if found is None or found[0].status != "triggered":
        return  # like PagerDuty: acknowledging what is not open (or already acked) is a no-op
    try:
        service.acknowledge(found[0].number, "pagerduty", f"acknowledge event for {dedup_key}")
    except Conflict:
        return
