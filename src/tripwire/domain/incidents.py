"""Incident vocabulary (docs/respond.md) and the status machine, as pure rules.

Statuses only move forward: triggered -> acknowledged -> mitigated -> resolved -> closed.
Skipping ahead is allowed (an incident can be resolved without ever being acknowledged, as in
PagerDuty), moving back is not. `closed` needs the post-incident rule to pass: a P0 or P1
incident closes only once its post-incident review (post-mortem) is marked done.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

IncidentType = Literal["quality_regression", "safety", "hallucination", "availability"]
INCIDENT_TYPES: tuple[IncidentType, ...] = (
    "quality_regression",
    "safety",
    "hallucination",
    "availability",
)

Severity = Literal["P0", "P1", "P2", "P3"]
SEVERITIES: tuple[Severity, ...] = ("P0", "P1", "P2", "P3")  # most severe first

# The actor of what Tripwire does by itself (auto-resolve, rules raising a severity). Respond
# tells automation from people by it, so no token or person may take the name.
AUTOMATION = "tripwire"


def reserved_actor(name: str) -> bool:
    return name.strip().casefold() == AUTOMATION


Status = Literal["triggered", "acknowledged", "mitigated", "resolved", "closed"]
STATUSES: tuple[Status, ...] = ("triggered", "acknowledged", "mitigated", "resolved", "closed")
OPEN_STATUSES: tuple[Status, ...] = ("triggered", "acknowledged", "mitigated")

Action = Literal["acknowledge", "mitigate", "resolve", "close"]
ACTIONS: tuple[Action, ...] = ("acknowledge", "mitigate", "resolve", "close")
TARGET: dict[Action, Status] = {
    "acknowledge": "acknowledged",
    "mitigate": "mitigated",
    "resolve": "resolved",
    "close": "closed",
}
REVIEW_REQUIRED: frozenset[Severity] = frozenset({"P0", "P1"})

# When two signals of different types turn out to be one problem, the incident takes the more
# specific type: a thumbs-down rise accompanies every failure, a safety surge does not.
TYPE_PRECEDENCE: tuple[IncidentType, ...] = (
    "safety",
    "hallucination",
    "availability",
    "quality_regression",
)


class IllegalTransition(ValueError):
    """The action is not allowed from the incident's current status; the message says why."""


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The status part of an incident: its status, version and the time of each step."""

    status: Status
    version: int
    detected_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def rank(severity: Severity) -> int:
    """0 for P0 (most severe) up to 3 for P3."""
    return SEVERITIES.index(severity)


def more_severe(a: Severity, b: Severity) -> Severity:
    return a if rank(a) <= rank(b) else b


def stronger_type(a: IncidentType, b: IncidentType) -> IncidentType:
    return a if TYPE_PRECEDENCE.index(a) <= TYPE_PRECEDENCE.index(b) else b


def allowed(status: Status, action: Action, severity: Severity, review_done: bool) -> str | None:
    """None when `action` may run from `status`; otherwise the reason it may not."""
    target = TARGET[action]
    if STATUSES.index(target) <= STATUSES.index(status):
        return f"the incident is already {status}; it cannot move back to or stay at {target}"
    if action == "close":
        if status != "resolved":
            return "only a resolved incident can be closed; resolve it first"
        if severity in REVIEW_REQUIRED and not review_done:
            return (
                f"a {severity} incident closes only after its post-incident review is done: "
                "complete its post-mortem (root cause, an action item, an eval case)"
            )
    return None


def severity_change_refused(status: Status, severity: Severity, review_done: bool) -> str | None:
    """A closed incident keeps the rule that closed it: it may not become a P0/P1 without the
    review that such an incident needs before closing."""
    if status == "closed" and severity in REVIEW_REQUIRED and not review_done:
        return (
            f"the incident is closed without a post-incident review; a {severity} needs one: "
            "complete the review first"
        )
    return None


def apply(
    state: Lifecycle, action: Action, at: datetime, severity: Severity, review_done: bool
) -> Lifecycle:
    """The lifecycle after `action` at `at`; raises IllegalTransition when it is not allowed.

    Resolving an unmitigated incident also marks it mitigated at the same time (resolution ends
    the harm); acknowledging is never implied, so MTTA only counts real acknowledgements.
    """
    reason = allowed(state.status, action, severity, review_done)
    if reason is not None:
        raise IllegalTransition(reason)
    at = max(at, state.detected_at)
    new = replace(state, status=TARGET[action], version=state.version + 1)
    if action == "acknowledge":
        return replace(new, acknowledged_at=at)
    if action == "mitigate":
        return replace(new, mitigated_at=at)
    if action == "resolve":
        return replace(new, mitigated_at=state.mitigated_at or at, resolved_at=at)
    return replace(new, closed_at=at)
