"""An incident's affected users as the faces show them: a page of users with counts, every user
for an export (CSV or JSON), and the facts a draft and the lint need."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.config.communicate import AffectedUsersConfig
from tripwire.respond.affected import (
    AffectedScope,
    AffectedTotals,
    AffectedUser,
    affected_totals,
    affected_users,
    scope_of,
)
from tripwire.respond.ids import incident_id
from tripwire.respond.queries import get_incident, signals
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.respond import IncidentRow

EXPORT_PAGE = 5000


class BadCursor(ValueError):
    """The paging cursor was not one this API handed out."""


@dataclass(frozen=True, slots=True)
class Audience:
    incident: IncidentRow
    scope: AffectedScope
    totals: AffectedTotals


def audience(
    session: Session, ident: str, now: datetime, config: AffectedUsersConfig
) -> Audience | None:
    incident = get_incident(session, ident)
    if incident is None:
        return None
    scope = scope_of(session, incident, now, config)
    return Audience(incident, scope, affected_totals(session, scope))


def encode_cursor(user_id: str) -> str:
    return base64.urlsafe_b64encode(user_id.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadCursor("cursor is not one this API returned; start again without it") from None


def page_json(session: Session, found: Audience, cursor: str | None, limit: int) -> dict[str, Any]:
    """docs/api.md: `{"count", "users": [{"user_id", "outputs"}], "cursor"}` and the scope."""
    users = affected_users(session, found.scope, after=decode_cursor(cursor), limit=limit + 1)
    more = len(users) > limit
    users = users[:limit]
    return {
        "incident_id": incident_id(found.incident.number),
        "count": found.totals.users,
        "outputs": found.totals.outputs,
        "unattributed_outputs": found.totals.unattributed_outputs,
        "users": [{"user_id": u.user_id, "outputs": u.outputs} for u in users],
        "cursor": encode_cursor(users[-1].user_id) if more and users else None,
        "scope": found.scope.as_json(),
    }


def every_user(session: Session, scope: AffectedScope) -> Iterator[AffectedUser]:
    """All affected users, read a page at a time."""
    after: str | None = None
    while True:
        users = affected_users(session, scope, after=after, limit=EXPORT_PAGE)
        yield from users
        if len(users) < EXPORT_PAGE:
            return
        after = users[-1].user_id


def as_csv(users: list[AffectedUser]) -> str:
    """`user_id,outputs`; a user id a spreadsheet would run as a formula is quoted with `'`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["user_id", "outputs"])
    for user in users:
        cell = "'" + user.user_id if user.user_id[:1] in ("=", "+", "-", "@") else user.user_id
        writer.writerow([cell, user.outputs])
    return out.getvalue()


def internal_terms(session: Session, found: Audience) -> tuple[str, ...]:
    """Names users must not read in a message: the incident's monitors and metrics, and the
    models and versions its affected outputs came from (a sample of them)."""
    terms: set[str] = set()
    for signal in signals(session, found.incident.number):
        terms |= {signal.monitor, signal.metric, *map(str, signal.segment.values())}
    if found.scope.use_case is not None:
        rows = session.execute(
            select(
                EventRow.payload["model"].as_string(),
                EventRow.payload["model_version"].as_string(),
                EventRow.payload["prompt_version"].as_string(),
            )
            .where(
                EventRow.use_case == found.scope.use_case,
                EventRow.type == "output",
                EventRow.ts >= found.scope.start,
                EventRow.ts <= found.scope.end,
            )
            .distinct()
            .limit(50)
        )
        for row in rows:
            terms |= {str(v) for v in row if v}
    return tuple(sorted(t for t in terms if t))
