"""What the incident page shows of the people an incident reached: its affected users (counts,
the first of them, the scope that made them affected), the messages to them with their lint
result and delivery, and the stakeholder groups that can be told.

Only presentation here: how many rows a panel shows. Who is affected is respond's rule, what a
message may say and who approves it are communicate's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.communicate.audience import decode_cursor, encode_cursor
from tripwire.communicate.delivery import message_json, recipients
from tripwire.communicate.drafts import Kind
from tripwire.communicate.messages import LEAD, messages
from tripwire.config.file import TripwireConfig
from tripwire.respond.affected import affected_summary, scope_of
from tripwire.respond.ids import incident_id
from tripwire.respond.queries import get_incident
from tripwire.store.tables.respond import IncidentRow

USERS_SHOWN = 8  # in the incident page's panel; the affected-users page pages the rest
USERS_PER_PAGE = 100
RECIPIENTS_SHOWN = 5
RECIPIENTS_PER_PAGE = 100
KINDS: tuple[Kind, ...] = ("initial", "resolution", "follow_up")
PANEL_TTL = timedelta(seconds=60)


def people_context(
    session: Session, config: TripwireConfig, number: int, roles: dict[str, str]
) -> dict[str, Any]:
    """The messages and stakeholder panels of incident `number` (cheap: read with the page)."""
    return {
        "messages": [_message(session, row) for row in messages(session, number)],
        "message_kinds": KINDS,
        "comms_lead": roles.get(LEAD),
        "user_channel": config.communicate.user_messages.channel,
        "stakeholder_groups": sorted(config.respond.stakeholders),
    }


class PanelCache:
    """Affected-users panels counted less than `ttl` ago, per incident and state. The incident
    page fetches its panel again after every action (htmx swaps the page), and each count reads
    the incident's whole window: within `ttl` the panel shows the last count, with its time."""

    def __init__(self, ttl: timedelta = PANEL_TTL, size: int = 256) -> None:
        self.ttl, self.size = ttl, size
        self._panels: dict[tuple[Any, ...], dict[str, Any]] = {}

    def get(self, key: tuple[Any, ...], now: datetime) -> dict[str, Any] | None:
        panel = self._panels.get(key)
        if panel is None or not now - self.ttl <= panel["counted_at"] <= now:
            return None
        return panel

    def put(self, key: tuple[Any, ...], panel: dict[str, Any]) -> None:
        if len(self._panels) >= self.size:
            self._panels.clear()  # crude but bounded: a full cache only costs a recount
        self._panels[key] = panel


def affected_panel(
    session: Session, config: TripwireConfig, ident: str, now: datetime, cache: PanelCache
) -> dict[str, Any] | None:
    """The affected-users panel: counts, the first users, the scope. It reads every output in
    the incident's window (a week of them for a long incident), so the page fetches it apart
    (htmx, on load) and stays fast; None when there is no incident."""
    incident = get_incident(session, ident)
    if incident is None:
        return None
    key = (incident.number, incident.status, incident.resolved_at, incident.type)
    panel = cache.get(key, now)
    if panel is None:
        panel = _count(session, config, incident, now)
        cache.put(key, panel)
    return panel


def _count(
    session: Session, config: TripwireConfig, incident: IncidentRow, now: datetime
) -> dict[str, Any]:
    scope = scope_of(session, incident, now, config.communicate.affected_users)
    totals, first = affected_summary(session, scope, limit=USERS_SHOWN)
    return {
        "counted_at": now,
        "ident": incident_id(incident.number),
        "use_case": incident.use_case,
        "users": totals.users,
        "outputs": totals.outputs,
        "unattributed": totals.unattributed_outputs,
        "scope": scope.as_json(),
        "first": first,
        "more": totals.users > len(first),
    }


def _message(session: Session, row: Any) -> dict[str, Any]:
    out = message_json(session, row)
    out["first_recipients"] = (
        recipients(session, row.id, limit=RECIPIENTS_SHOWN) if row.status == "sent" else []
    )
    return out


def users_page(
    session: Session, config: TripwireConfig, ident: str, now: datetime, cursor: str | None
) -> dict[str, Any] | None:
    """One page of the affected users, ordered by user id; None when there is no incident.
    A cursor this page did not hand out starts from the first user."""
    incident = get_incident(session, ident)
    if incident is None:
        return None
    try:
        after = decode_cursor(cursor)
    except ValueError:
        after = None
    scope = scope_of(session, incident, now, config.communicate.affected_users)
    totals, users = affected_summary(session, scope, after=after, limit=USERS_PER_PAGE + 1)
    more = len(users) > USERS_PER_PAGE
    users = users[:USERS_PER_PAGE]
    return {
        "ident": incident_id(incident.number),
        "title": incident.title,
        "totals": totals,
        "scope": scope.as_json(),
        "users": users,
        "next": encode_cursor(users[-1].user_id) if more and users else None,
    }


def recipients_page(session: Session, row: Any, after: int) -> dict[str, Any]:
    """One message with a page of its recipients and their delivery state."""
    shown = recipients(session, row.id, after=max(after, 0), limit=RECIPIENTS_PER_PAGE + 1)
    more = len(shown) > RECIPIENTS_PER_PAGE
    shown = shown[:RECIPIENTS_PER_PAGE]
    return {
        "message": message_json(session, row),
        "recipients": shown,
        "next": shown[-1]["id"] if more and shown else None,
    }
