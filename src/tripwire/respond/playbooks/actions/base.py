"""What an automatic step receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.playbooks import StepSpec
from tripwire.domain.clock import Clock
from tripwire.respond.playbooks.service import IncidentFacts, IncidentService

OutcomeState = Literal["done", "skipped", "failed", "manual"]


@dataclass
class ActionContext:
    """One incident's playbook run: the transaction, the clock, the incident and the facts
    earlier steps established (`rolled_back`, `pattern`, `suspects`, ...)."""

    session: Session
    clock: Clock
    config: TripwireConfig
    incidents: IncidentService
    incident: IncidentFacts
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @property
    def actor(self) -> str:
        return f"playbook:{self.incident.type}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """`manual`: the action could not act on its own; the step becomes a task for a person
    (`text` says why and what to do)."""

    state: OutcomeState
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    kind: str = "playbook_step"  # the timeline kind; "evidence" lists it with the evidence


Action = Callable[[ActionContext, StepSpec], Outcome]
