"""Publishing on the status page: a person gives an incident a public title and first update,
posts updates through the four public statuses, resolves it publicly; and schedules
maintenance. Every change is attributed and reaches subscribers through the outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from tripwire.communicate import subscribers
from tripwire.communicate.context import Conflict, Invalid, Missing, PageContext
from tripwire.communicate.queries import public_row, use_cases
from tripwire.communicate.statuspage import IMPACTS, PUBLIC_STATUSES, component_ids
from tripwire.store.tables.statuspage import MaintenanceRow, PublicIncidentRow, PublicUpdateRow

MAX_TITLE = 200
MAX_BODY = 5000
MAX_MAINTENANCE = timedelta(days=7)
__all__ = ["Conflict", "Invalid", "Missing", "PageContext"]


def clean_text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise Invalid(f"{what} is empty: write what the public should read")
    if len(text) > limit:
        raise Invalid(f"{what} is longer than {limit} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise Invalid(f"{what} contains control characters")
    return text


def check_status(status: str) -> str:
    if status not in PUBLIC_STATUSES:
        raise Invalid(f"status must be one of {', '.join(PUBLIC_STATUSES)}, not {status[:40]!r}")
    return status


def check_components(ctx: PageContext, given: Mapping[str, str]) -> dict[str, str]:
    known = set(component_ids(ctx.config, use_cases(ctx.session)))
    allowed = ("operational", *IMPACTS)
    for key, impact in given.items():
        if key not in known:
            raise Invalid(f"unknown component {key[:80]!r}; known: {', '.join(sorted(known))}")
        if impact not in allowed:
            raise Invalid(f"component impact must be one of {', '.join(allowed)}")
    return dict(given)


def publish(
    ctx: PageContext,
    incident: int,
    title: str,
    body: str,
    status: str,
    components: Mapping[str, str],
    actor: str,
) -> PublicIncidentRow:
    """Put incident number `incident` on the page under `title` with its first update."""
    if public_row(ctx.session, incident) is not None:
        raise Conflict("this incident is already public: post an update instead")
    row = PublicIncidentRow(
        incident=incident,
        title=clean_text(title, "the public title", MAX_TITLE),
        status=check_status(status),
        impact="none",
        components={},
        created_by=actor,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    _apply(ctx, row, status, body, check_components(ctx, components), actor)
    return row


def post_update(
    ctx: PageContext,
    incident: int,
    status: str,
    body: str,
    components: Mapping[str, str] | None,
    actor: str,
) -> PublicIncidentRow:
    """A public update; `components` changes the named ones (None keeps them as they are)."""
    row = public_row(ctx.session, incident)
    if row is None:
        raise Missing("this incident is not on the status page: publish it first")
    check_status(status)
    changed = check_components(ctx, components or {})
    _apply(ctx, row, status, body, changed, actor)
    return row


def _apply(
    ctx: PageContext,
    row: PublicIncidentRow,
    status: str,
    body: str,
    changed: Mapping[str, str],
    actor: str,
) -> None:
    text = clean_text(body, "the update", MAX_BODY)
    current = {**(row.components or {}), **changed}
    current = {k: v for k, v in current.items() if v != "operational"}
    snapshot = dict(current)
    if status == "resolved":  # a public resolution gives every component back
        snapshot, current = dict.fromkeys([*current, *changed], "operational"), {}
    row.status, row.components, row.updated_at = status, current, ctx.now
    row.resolved_at = (row.resolved_at or ctx.now) if status == "resolved" else None
    update = PublicUpdateRow(
        public_incident=row.id,
        status=status,
        body=text,
        components=snapshot,
        created_by=actor,
        created_at=ctx.now,
    )
    ctx.session.add(update)
    ctx.session.flush()
    subscribers.announce_incident(ctx, row, update)


def schedule_maintenance(
    ctx: PageContext,
    title: str,
    body: str,
    components: Sequence[str],
    starts_at: datetime,
    ends_at: datetime,
    actor: str,
) -> MaintenanceRow:
    if ends_at <= starts_at:
        raise Invalid("the maintenance must end after it starts")
    if ends_at - starts_at > MAX_MAINTENANCE:
        raise Invalid("a maintenance window lasts at most 7 days")
    if ends_at <= ctx.now:
        raise Invalid("the maintenance window is already over")
    if not components:
        raise Invalid("name at least one component under maintenance")
    check_components(ctx, dict.fromkeys(components, "operational"))
    row = MaintenanceRow(
        title=clean_text(title, "the title", MAX_TITLE),
        body=clean_text(body, "the description", MAX_BODY),
        components=list(dict.fromkeys(components)),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    subscribers.announce_maintenance(ctx, row)
    return row


def cancel_maintenance(ctx: PageContext, ident: int) -> MaintenanceRow:
    row = ctx.session.get(MaintenanceRow, ident)
    if row is None or row.cancelled_at is not None:
        raise Missing(f"no scheduled maintenance {ident}")
    row.cancelled_at = ctx.now
    return row
