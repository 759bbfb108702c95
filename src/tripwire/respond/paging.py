"""Turning "page level 2" or "tell the broadcast channels" into outbox rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.respond import RespondConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import isoformat_z
from tripwire.domain.incidents import Severity, rank
from tripwire.notify.outbox import enqueue
from tripwire.respond import queries
from tripwire.respond.acklink import AckClaim, make_token
from tripwire.respond.ids import incident_id
from tripwire.respond.oncall import Cover, all_covers, on_call
from tripwire.respond.views import notice_json
from tripwire.store.tables.respond import IncidentRow

LABELS = {
    "quality_regression": "Quality regression",
    "safety": "Safety incident",
    "hallucination": "Hallucination",
    "availability": "Availability incident",
}


@dataclass(frozen=True, slots=True)
class Paged:
    """Who a target resolved to (empty with `problem` when nobody could be found)."""

    people: list[str]
    problem: str | None = None


def who_is_on_call(
    session: Session, config: RespondConfig, schedule: str, at: datetime
) -> str | None:
    sched = config.schedules.get(schedule)
    if sched is None:
        return None
    stored = [Cover(o.person, o.start, o.end) for o in queries.overrides(session, schedule, at)]
    shift = on_call(sched, all_covers(sched, stored), at)
    return None if shift is None else shift.person


def resolve_target(
    session: Session, config: RespondConfig, incident: IncidentRow, target: str, at: datetime
) -> Paged:
    kind, _, name = target.partition(":")
    if kind == "person":
        return Paged([name]) if name in config.people else Paged([], f"unknown person {name}")
    if kind == "schedule":
        person = who_is_on_call(session, config, name, at)
        return Paged([person]) if person else Paged([], f"nobody is on call for {name}")
    holders = [r.person for r in queries.roles(session, incident.number) if r.role == name]
    return Paged(holders) if holders else Paged([], f"nobody holds the role {name}")


def describe(incident: IncidentRow) -> str:
    where = f" in {incident.use_case}" if incident.use_case else ""
    return (
        f"[{incident.severity}] {LABELS.get(incident.type, incident.type)}{where}: "
        f"{incident.title} ({incident_id(incident.number)}, {incident.status})"
    )


@dataclass(frozen=True, slots=True)
class Message:
    """What a notification says; `ack`: carry a per-recipient acknowledge link."""

    event: str
    text: str
    subject: str
    ack: bool = False


class Pager:
    """Writes pages and broadcasts for one transaction."""

    def __init__(self, session: Session, config: RespondConfig, settings: Settings) -> None:
        self.session = session
        self.config = config
        self.settings = settings

    def page_person(
        self, incident: IncidentRow, person: str, reason: str, now: datetime
    ) -> list[str]:
        """Page `person` through each of their channels; returns the channels used."""
        info = self.config.people.get(person)
        if info is None:
            return []
        text = f"You are paged ({reason}). {describe(incident)}"
        for channel in info.notify:
            message = Message("incident.page", text, f"PAGE {describe(incident)}", ack=True)
            self.tell(incident, person, channel, message, now)
        return list(info.notify)

    def tell(
        self,
        incident: IncidentRow,
        person: str | None,
        channel: str,
        message: Message,
        now: datetime,
        notice: int | None = None,
    ) -> str:
        """Send `message` about `incident` to `person` (None: the channel's own recipients)
        through `channel`; each channel gets its own acknowledge link. Returns the outbox id."""
        payload = self._payload(incident, message.event, now)
        payload["text"], payload["subject"] = message.text, message.subject
        info = self.config.people.get(person or "")
        if person is not None and info is not None:
            payload["recipient"] = {"person": person, "name": info.name, "email": info.email}
            link = self._ack_url(incident, person, now, channel, notice) if message.ack else None
            if link:
                payload["ack_url"] = link
        return self._put(incident, channel, message.event, payload, now)

    def broadcast(self, incident: IncidentRow, event: str, text: str, now: datetime) -> int:
        """Tell every broadcast channel that listens to `event` at this severity."""
        sent = 0
        for name in self.config.broadcast:
            channel = self.config.channels[name]
            if channel.events is not None and event not in channel.events:
                continue
            if rank(incident.severity) > rank(channel.min_severity):  # type: ignore[arg-type]
                continue
            payload = self._payload(incident, event, now)
            payload["text"] = text
            payload["subject"] = describe(incident)
            self._put(incident, name, event, payload, now)
            sent += 1
        return sent

    def _payload(self, incident: IncidentRow, event: str, now: datetime) -> dict[str, Any]:
        return {
            "event": event,
            "at": isoformat_z(now),
            "incident": notice_json(incident, self.settings.public_url),
        }

    def _put(
        self,
        incident: IncidentRow,
        channel: str,
        event: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> str:
        return enqueue(
            self.session,
            channel=channel,
            event=event,
            payload=payload,
            ordering_key=incident_id(incident.number),
            now=now,
        )

    def _ack_url(
        self,
        incident: IncidentRow,
        person: str,
        now: datetime,
        channel: str | None = None,
        notice: int | None = None,
    ) -> str | None:
        secret = self.settings.secret_key
        if secret is None:
            return None
        expires = now + self.config.ack_link_ttl
        claim = AckClaim(incident_id(incident.number), person, expires, channel, notice)
        token = make_token(secret.get_secret_value(), claim)
        return f"{self.settings.public_url.rstrip('/')}/ack/{token}"


def severity_at_least(severity: str, floor: Severity) -> bool:
    return rank(severity) <= rank(floor)  # type: ignore[arg-type]
