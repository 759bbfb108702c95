"""`playbooks:` in tripwire.yaml: the steps run for each incident type, and their switches.

Tripwire ships one playbook per incident type (respond/playbooks/defaults.yaml); a playbook
given here replaces the shipped one for its type.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Condition = Literal["rolled_back", "not_rolled_back", "pattern", "real_harm_possible"]
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any) -> timedelta:
    """`90s`, `15m`, `1h`, `2d`, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError("a duration such as 90s, 15m, 1h or 2d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class StepSpec(BaseModel):
    """One step. With `action` it runs by itself and records its result on the timeline;
    without, it becomes a task for `role`, due `due` after the incident was detected."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    title: str = Field(min_length=1, max_length=300)
    action: str | None = None
    role: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,63}$")
    due: timedelta | None = None
    severities: list[Literal["P0", "P1", "P2", "P3"]] | None = None
    only_if: Condition | None = None
    escalate_to: list[str] = Field(default_factory=list)
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, value: Any) -> timedelta | None:
        return None if value is None else parse_duration(value)


class PlaybookSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    steps: list[StepSpec] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _unique(cls, steps: list[StepSpec]) -> list[StepSpec]:
        ids = [s.id for s in steps]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"step ids must be unique; repeated: {', '.join(repeated)}")
        return steps


class PlaybooksConfig(BaseModel):
    """Switches for the automatic steps, mitigation flags per use case, and overrides."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    auto_kill_switch: bool = Field(
        False, description="flip a use case's kill switch automatically in safety incidents"
    )
    auto_rollback: bool = Field(True, description="roll back a clear, reversible top suspect")
    rollback_min_score: float = Field(0.6, ge=0.0, le=1.0)
    rollback_check_after: timedelta = timedelta(minutes=30)
    recovery_share: float = Field(0.5, gt=0.0, le=1.0)
    mitigations: dict[str, dict[str, bool | str]] = Field(
        default_factory=dict, description="use case -> {flag key: value} applied to mitigate"
    )
    quality_regression: PlaybookSpec | None = None
    safety: PlaybookSpec | None = None
    hallucination: PlaybookSpec | None = None
    availability: PlaybookSpec | None = None

    @field_validator("rollback_check_after", mode="before")
    @classmethod
    def _check_after(cls, value: Any) -> timedelta:
        return parse_duration(value)
