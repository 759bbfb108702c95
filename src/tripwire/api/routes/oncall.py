"""On-call: who is on call now, upcoming shifts, overrides, escalation policies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tripwire.api.auth import Caller, requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.api.openapi import INSTANT_PATTERN, instant_schema
from tripwire.domain.clock import isoformat_z, sane_instant
from tripwire.domain.events import parse_rfc3339
from tripwire.respond.oncall_view import add_override, now_on_call, shifts

router = APIRouter(tags=["on-call"])
# A time the API reads: documented as RFC 3339 in the years 1970 to 2199 (the rest is a 422).
INSTANT = Query(None, json_schema_extra={"pattern": INSTANT_PATTERN})


def _instant(value: str | None, default: datetime, name: str) -> datetime:
    if value is None:
        return default
    try:
        return sane_instant(parse_rfc3339(value))
    except ValueError as exc:
        raise ApiError(422, f"{name}: {exc}") from None


@router.get("/v1/oncall", dependencies=[requires("read")])
def who_is_on_call(runtime: RuntimeDep, at: str | None = INSTANT) -> dict[str, Any]:
    """Who is on call for each schedule now (or `at`), and where each role comes from."""
    when = _instant(at, runtime.clock.now(), "at")
    with runtime.db.session() as session:
        return now_on_call(session, runtime.config.respond, when)


@router.get("/v1/oncall/{schedule}", dependencies=[requires("read")])
def schedule_shifts(
    schedule: str,
    runtime: RuntimeDep,
    start: Annotated[
        str | None, Query(alias="from", json_schema_extra={"pattern": INSTANT_PATTERN})
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", json_schema_extra={"pattern": INSTANT_PATTERN})
    ] = None,
) -> dict[str, Any]:
    """The shifts of one schedule between `from` and `to` (default: the next 14 days)."""
    if schedule not in runtime.config.respond.schedules:
        raise ApiError(404, f"no schedule {schedule!r}")
    begin = _instant(start, runtime.clock.now(), "from")
    stop = _instant(end, begin + timedelta(days=14), "to")
    if stop <= begin or stop - begin > timedelta(days=366):
        raise ApiError(422, "`to` must be after `from`, at most a year later")
    with runtime.db.session() as session:
        found = shifts(session, runtime.config.respond, schedule, begin, stop)
    return {
        "schedule": schedule,
        "from": isoformat_z(begin),
        "to": isoformat_z(stop),
        "shifts": found,
    }


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: Annotated[str, Field(min_length=1, max_length=256)]
    start: Annotated[datetime, Field(json_schema_extra=instant_schema)]
    end: Annotated[datetime, Field(json_schema_extra=instant_schema)]
    by: Annotated[
        str | None,
        Field(max_length=256, deprecated=True, description="Ignored: the token's name is used."),
    ] = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _ts(cls, value: object) -> datetime:
        return sane_instant(parse_rfc3339(value))


@router.post("/v1/oncall/{schedule}/overrides", status_code=201, dependencies=[requires("respond")])
def override(schedule: str, body: OverrideIn, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    """Put `person` on call for `schedule` from `start` to `end`."""
    if schedule not in runtime.config.respond.schedules:
        raise ApiError(404, f"no schedule {schedule[:128]!r}")
    try:
        with runtime.db.session() as session:
            row = add_override(
                session,
                runtime.config.respond,
                schedule,
                body.person,
                body.start,
                body.end,
                who,
                runtime.clock.now(),
            )
            return {
                "id": row.id,
                "schedule": schedule,
                "person": row.person,
                "start": isoformat_z(row.start),
                "end": isoformat_z(row.end),
            }
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None


@router.get("/v1/escalation-policies", dependencies=[requires("read")])
def policies(runtime: RuntimeDep) -> dict[str, Any]:
    config = runtime.config.respond
    return {
        "default": config.default_escalation_policy,
        "policies": {
            name: {
                "repeat": p.repeat,
                "levels": [
                    {"targets": lvl.targets, "timeout_seconds": lvl.timeout.total_seconds()}
                    for lvl in p.levels
                ],
            }
            for name, p in config.escalation_policies.items()
        },
    }
