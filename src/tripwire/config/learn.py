"""`learn:` in tripwire.yaml: which incidents need a test case to close, and action-item
reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tripwire.config.respond import Duration


class ActionItemsConfig(BaseModel):
    """Owners are reminded when an action item falls due, then again every `remind_every`
    while it stays open or in progress."""

    model_config = ConfigDict(extra="forbid")

    remind_every: Duration = Field(default=timedelta(days=1), gt=timedelta(0))
    default_due_days: int | None = Field(default=14, ge=1, le=365)


class LearnConfig(BaseModel):
    """`eval_case_min_severity`: incidents this severe or worse close only with at least one
    evaluation test case. P3 (the default) means every incident; `null` turns the rule off."""

    model_config = ConfigDict(extra="forbid")

    eval_case_min_severity: Literal["P0", "P1", "P2", "P3"] | None = "P3"
    action_items: ActionItemsConfig = Field(default_factory=ActionItemsConfig)
