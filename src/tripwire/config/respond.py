"""The `respond` section of tripwire.yaml: severity rules, use-case criticality, people, roles,
on-call schedules, escalation policies and notification channels (docs/respond.md)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from tripwire.domain.events import parse_rfc3339
from tripwire.domain.incidents import IncidentType, Severity, reserved_actor

Criticality = Literal["low", "standard", "high", "critical"]
CRITICALITIES: tuple[Criticality, ...] = ("low", "standard", "high", "critical")
Role = Literal["incident_commander", "communications_lead", "engineering_lead", "safety_lead"]
ROLES: tuple[Role, ...] = (
    "incident_commander",
    "communications_lead",
    "engineering_lead",
    "safety_lead",
)
NOTIFY_EVENTS = (
    "incident.opened",
    "incident.acknowledged",
    "incident.mitigated",
    "incident.resolved",
    "incident.closed",
    "incident.severity_changed",
    "incident.updated",
    "incident.page",
    "incident.task",
    "incident.stakeholder",
    "incident.digest",
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=float(value))
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError("a duration is seconds or a string like 30s, 5m, 2h, 1d")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityRule(_Strict):
    """When every condition given holds, the incident is at least `severity`."""

    name: str
    severity: Severity
    type: list[IncidentType] | None = None
    criticality: list[Criticality] | None = None
    min_magnitude: float | None = Field(None, ge=0)
    min_exposed_users: int | None = Field(None, ge=0)
    min_exposed_outputs: int | None = Field(None, ge=0)


DEFAULT_RULES: list[dict[str, Any]] = [
    {
        # The line sits at 2.5x: at open the detector's estimate rests on a few dozen
        # triggered checks (about +-25 %), and a real 3x surge must open as P0.
        "name": "critical safety failure (about 3x normal or worse)",
        "type": ["safety"],
        "min_magnitude": 1.5,
        "severity": "P0",
    },
    {
        "name": "safety incident in a high-stakes use case",
        "type": ["safety"],
        "criticality": ["high", "critical"],
        "severity": "P0",
    },
    {
        "name": "hallucination in a high-stakes use case",
        "type": ["hallucination"],
        "criticality": ["critical"],
        "severity": "P0",
    },
    {"name": "safety incident", "type": ["safety"], "severity": "P1"},
    {
        "name": "high-stakes use case (medical, legal)",
        "type": ["quality_regression", "hallucination", "safety"],
        "criticality": ["critical"],
        "severity": "P1",
    },
    {
        # Wrong or harmful answers in a medical or legal product harm whoever reads them; a
        # slower or flakier one harms by its size: a p95 up 16 % on a slow provider drift
        # paged P1 in a medical use case (docs/detect-studies.md, "A slow latency drift is not a
        # P1").
        "name": "clear outage in a high-stakes use case (+50 %)",
        "type": ["availability"],
        "criticality": ["critical"],
        "min_magnitude": 0.5,
        "severity": "P1",
    },
    {"name": "severe degradation (doubled or halved)", "min_magnitude": 1.0, "severity": "P1"},
    {"name": "many people exposed", "min_exposed_users": 1000, "severity": "P1"},
    {"name": "important use case", "criticality": ["high", "critical"], "severity": "P2"},
    {"name": "clear degradation (+50 %)", "min_magnitude": 0.5, "severity": "P2"},
    {"name": "people exposed", "min_exposed_users": 50, "severity": "P2"},
]


CONFIRM_TYPES: tuple[IncidentType, ...] = ("quality_regression", "hallucination")
# Held only while the change is small: at the "severe degradation (doubled)" rule's size.
CONFIRM_BELOW: dict[IncidentType, float] = {"availability": 1.0}
# Customers' complaints sorted by a classifier: a chance cluster of a few tickets, not a fact.
CONFIRM_SIGNALS: tuple[str, ...] = ("ticket_topic",)


# A relative change: >= 0 and finite (an infinite size holds for ever: that is `confirm_types`).
HoldSize = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# Minutes a hold may wait for a confirmation: >= 0 and finite.
HoldMinutes = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class SeverityConfig(_Strict):
    """The most severe matching rule wins; `default` when none matches. An incident of one of
    `confirm_types` that rests on a single detector stream whose change is not yet confirmed
    is held at `unconfirmed` at most (docs/detect.md, "Severity from evidence")."""

    default: Severity = "P3"
    rules: list[SeverityRule] = Field(
        default_factory=lambda: [SeverityRule.model_validate(r) for r in DEFAULT_RULES]
    )
    unconfirmed: Severity | None = Field(
        "P2",
        description="the most an unconfirmed single-stream incident opens at (null: no cap)",
    )
    confirm_types: list[IncidentType] = Field(
        default_factory=lambda: list(CONFIRM_TYPES),
        description="types held at `unconfirmed` until confirmed: judges' scores, thumbs-down "
        "and tickets, whose chance excesses are most false alarms; safety pages at open "
        "(flagged content is a fact, and the safety rules' deadlines run from the open), "
        "availability too when its change is large (`confirm_below`)",
    )
    confirm_below: dict[IncidentType, HoldSize] = Field(
        default_factory=lambda: dict(CONFIRM_BELOW),
        description="types held at `unconfirmed` too while unconfirmed and their change is "
        "smaller than this relative size: an error rate doubled is an outage people see, a "
        "latency p95 up 20 % may be chance or a slow drift, and in a critical use case every "
        "incident asks P1",
    )
    confirm_signals: list[str] = Field(
        default_factory=lambda: list(CONFIRM_SIGNALS),
        description="signal kinds whose unconfirmed alerts hold any type at `unconfirmed` "
        "while the incident rests on them alone, and which do not confirm each other: ticket "
        "topics are one source (the same customers, one classifier), and a chance cluster of "
        "inappropriate-response tickets is not flagged content (docs/detect-studies.md, "
        "'Ticket topics neither page alone nor confirm each other')",
    )
    confirm_within: dict[IncidentType, HoldMinutes] = Field(
        default_factory=dict,
        description="types held at `unconfirmed` too while unconfirmed and their detector "
        "would confirm a real change of the size reported within this many minutes (the "
        "alert's `confirm_in`), e.g. `{availability: 20}`: on a dense stream a real surge "
        "waits a few minutes and a chance cluster of errors, never confirmed, never pages; a "
        "sparse stream's alert would wait hours, so it pages at once. Off by default: where "
        "an alert overstates a real change its confirmation can take hours "
        "(docs/detect-studies.md, 'A dense stream's errors surge waits for its confirmation')",
    )
    thin_events: float = Field(
        0.0,
        ge=0,
        allow_inf_nan=False,
        description="any type is held at `unconfirmed` too while unconfirmed and its alert "
        "counted fewer than this many events (flagged checks, errors): a sparse rate's alarm "
        "rests on a handful of them and its size is a rough guess. Off by default (0): at 20 "
        "it holds the chance clusters of 8-17 errors or tickets that paged P1 about once per "
        "30 use-case-weeks on the fresh tuning products, and real sparse outages too, "
        "confirmed up to hours later (docs/detect-studies.md, 'Thin evidence' and 'A small "
        "safety rise waits for its confirmation')",
    )
    reassess_every: Duration = timedelta(minutes=15)


class UseCaseConfig(_Strict):
    criticality: Criticality = "standard"
    escalation_policy: str | None = None


class PersonConfig(_Strict):
    name: str | None = None
    email: str | None = None
    notify: list[str] = Field(default_factory=list, description="channels that page this person")


class Rotation(_Strict):
    """Members take turns; each shift lasts `every` (daily or weekly) from `start` at
    `handoff_time` local time."""

    members: list[str] = Field(min_length=1)
    every: Literal["daily", "weekly"] = "weekly"
    start: date
    handoff_time: time = time(9, 0)


Instant = Annotated[datetime, BeforeValidator(parse_rfc3339)]


class Override(_Strict):
    """`person` is on call instead of the rotation from `start` to `end` (RFC 3339)."""

    person: str
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _order(self) -> Override:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ScheduleConfig(_Strict):
    time_zone: str = "UTC"
    rotations: list[Rotation] = Field(min_length=1)
    overrides: list[Override] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from None
        return value


_TARGET = re.compile(r"^(schedule|person|role):[\w.-]+$")


class EscalationLevel(_Strict):
    targets: list[str] = Field(min_length=1, description="schedule:X, person:X or role:X")
    timeout: Duration = timedelta(minutes=10)

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for target in value:
            if not _TARGET.match(target):
                raise ValueError(f"{target!r}: write schedule:NAME, person:NAME or role:NAME")
        return value


class EscalationPolicy(_Strict):
    levels: list[EscalationLevel] = Field(min_length=1)
    repeat: int = Field(0, ge=0, le=10, description="times to start again from level 1")


class RoleSource(_Strict):
    schedule: str | None = None
    person: str | None = None
    types: list[IncidentType] | None = None  # only for these incident types
    page_at_open: bool = False


def _default_roles() -> dict[Role, RoleSource]:
    return {"safety_lead": RoleSource(types=["safety"], page_at_open=True)}


class ChannelConfig(BaseModel):
    """One notification channel; `type` picks the plug-in, the rest are its options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    events: list[str] | None = None
    min_severity: Severity = "P3"

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            if name not in NOTIFY_EVENTS:
                raise ValueError(f"unknown event {name!r}; choose from {', '.join(NOTIFY_EVENTS)}")
        return value

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Urgency = Literal["page", "working_hours", "digest", "none"]


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name") from None
    return value


Zone = Annotated[str, AfterValidator(_zone_name)]


class WorkingHours(_Strict):
    """When a P2 may reach people: `start` to `end` local time on `days`."""

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    start: time = time(9, 0)
    end: time = time(18, 0)
    time_zone: Zone = "UTC"

    @model_validator(mode="after")
    def _order(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("working_hours.end must be after start (same day)")
        return self


class DigestConfig(_Strict):
    """The daily digest of `digest` incidents (P3), sent at `at` in `time_zone` (default: the
    working hours' zone) to `targets` (default: level 1 of the default escalation policy) and
    `channels`."""

    at: time = time(9, 0)
    time_zone: Zone | None = None
    targets: list[str] = Field(default_factory=list, description="schedule:X, person:X")
    channels: list[str] = Field(default_factory=list)


class SeverityRoute(_Strict):
    """How one severity reaches people: `page` at once at any hour, `working_hours` (deferred
    to the next working-hours start), `digest` (listed in the daily digest, never paged) or
    `none`. `escalation_policy` overrides the use case's; `also_page` adds targets."""

    urgency: Urgency
    escalation_policy: str | None = None
    also_page: list[str] = Field(default_factory=list)

    @field_validator("also_page")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for target in value:
            if not _TARGET.match(target):
                raise ValueError(f"{target!r}: write schedule:NAME, person:NAME or role:NAME")
        return value


DEFAULT_URGENCY: dict[Severity, Urgency] = {
    "P0": "page",
    "P1": "page",
    "P2": "working_hours",
    "P3": "digest",
}


def _default_routes() -> dict[Severity, SeverityRoute]:
    return {sev: SeverityRoute(urgency=u) for sev, u in DEFAULT_URGENCY.items()}


class UrgencyConfig(_Strict):
    """Who is told of an incident, how and when, per severity (docs/respond.md)."""

    working_hours: WorkingHours = WorkingHours()
    digest: DigestConfig = DigestConfig()
    severities: dict[Severity, SeverityRoute] = Field(default_factory=_default_routes)

    @field_validator("severities")
    @classmethod
    def _complete(cls, value: dict[Severity, SeverityRoute]) -> dict[Severity, SeverityRoute]:
        # A severity left out keeps its default, so overriding P2 alone is enough.
        return {**_default_routes(), **value}

    def route(self, severity: str) -> SeverityRoute:
        found = {str(k): v for k, v in self.severities.items()}.get(severity)
        return found or SeverityRoute(urgency="page")


class StakeholderGroup(_Strict):
    """People told of an incident without being paged (legal, leadership, support, trust &
    safety). Each member gets their own acknowledge link through their `notify` channels;
    `channels` get a copy for the group's shared inbox or chat; `escalation_contact` is paged
    when a deadline on the group passes unacknowledged."""

    members: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    escalation_contact: str | None = None
    description: str = ""


GroupName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class RespondConfig(_Strict):
    """Everything respond needs; every part is optional."""

    severity: SeverityConfig = SeverityConfig()
    use_cases: dict[str, UseCaseConfig] = Field(default_factory=dict)
    critical_keywords: list[str] = Field(
        default_factory=lambda: ["med", "health", "clinic", "legal", "law", "finance"]
    )
    people: dict[str, PersonConfig] = Field(default_factory=dict)
    schedules: dict[str, ScheduleConfig] = Field(default_factory=dict)
    escalation_policies: dict[str, EscalationPolicy] = Field(default_factory=dict)
    default_escalation_policy: str | None = "default"
    roles: dict[Role, RoleSource] = Field(default_factory=_default_roles)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    broadcast: list[str] = Field(default_factory=list, description="channels told of every change")
    auto_resolve: bool = True
    join_grace: Duration = Field(
        timedelta(minutes=30), description="unused: `join_window` decides what may join"
    )
    join_window: Duration = Field(
        timedelta(hours=2),
        description="a signal joins an open incident only if its onset is this close to the "
        "onset of one of the incident's active signals",
    )
    resolve_after: Duration = Field(
        timedelta(hours=1),
        description="an incident whose signals all cleared is mitigated (monitoring) and "
        "resolves once they stayed clear this long",
    )
    reopen_window: Duration = Field(
        timedelta(hours=2),
        description="a signal that fires again this soon after the auto-resolution reopens "
        "the incident instead of opening a new one",
    )
    ack_link_ttl: Duration = timedelta(hours=24)
    urgency: UrgencyConfig = UrgencyConfig()
    stakeholders: dict[GroupName, StakeholderGroup] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> RespondConfig:
        problems = list(self._dangling())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _dangling(self) -> list[str]:
        out: list[str] = [
            f"people.{name}: the name Tripwire acts under; give the person another name"
            for name in self.people
            if reserved_actor(name)
        ]
        for name, person in self.people.items():
            out += [
                f"people.{name}.notify: no channel {c!r}"
                for c in person.notify
                if c not in self.channels
            ]
        out += [f"broadcast: no channel {c!r}" for c in self.broadcast if c not in self.channels]
        for name, sched in self.schedules.items():
            out += [
                f"schedules.{name}.overrides: no person {o.person!r}"
                for o in sched.overrides
                if o.person not in self.people
            ]
            for rot in sched.rotations:
                out += [
                    f"schedules.{name}: no person {m!r}"
                    for m in rot.members
                    if m not in self.people
                ]
        for name, policy in self.escalation_policies.items():
            for level in policy.levels:
                out += [
                    f"escalation_policies.{name}: {t}"
                    for t in level.targets
                    if not self._known_target(t)
                ]
        out += [
            f"use_cases.{name}.escalation_policy: no policy {uc.escalation_policy!r}"
            for name, uc in self.use_cases.items()
            if uc.escalation_policy and uc.escalation_policy not in self.escalation_policies
        ]
        for role, src in self.roles.items():
            if src.schedule and src.schedule not in self.schedules:
                out.append(f"roles.{role}.schedule: no schedule {src.schedule!r}")
            if src.person and src.person not in self.people:
                out.append(f"roles.{role}.person: no person {src.person!r}")
        return out + self._dangling_routes()

    def _dangling_routes(self) -> list[str]:
        out: list[str] = []
        for sev, route in self.urgency.severities.items():
            if route.escalation_policy and route.escalation_policy not in self.escalation_policies:
                out.append(f"urgency.severities.{sev}: no policy {route.escalation_policy!r}")
            out += [
                f"urgency.severities.{sev}.also_page: {t}"
                for t in route.also_page
                if not self._known_target(t)
            ]
        digest = self.urgency.digest
        out += [f"urgency.digest.targets: {t}" for t in digest.targets if not self._known_target(t)]
        out += [
            f"urgency.digest: no channel {c!r}" for c in digest.channels if c not in self.channels
        ]
        for name, group in self.stakeholders.items():
            out += [
                f"stakeholders.{name}: no person {m!r}"
                for m in [*group.members, *filter(None, [group.escalation_contact])]
                if m not in self.people
            ]
            out += [
                f"stakeholders.{name}: no channel {c!r}"
                for c in group.channels
                if c not in self.channels
            ]
        return out

    def _known_target(self, target: str) -> bool:
        kind, _, name = target.partition(":")
        if kind == "schedule":
            return name in self.schedules
        if kind == "person":
            return name in self.people
        return name in ROLES
