"""The playbooks stage: after respond has opened incidents, and on every tick of the clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.domain.clock import Clock
from tripwire.respond.playbooks import followup
from tripwire.respond.playbooks.engine import Engine
from tripwire.respond.playbooks.service import incident_service


class Context(Protocol):
    """The part of the pipeline's StageContext this stage uses."""

    session: Session
    clock: Clock
    config: TripwireConfig


class PlaybookStage:
    """Starts playbooks for new incidents; on ticks also judges deadlines, confirms rollbacks
    and ranks suspects again. Does nothing until an incident service is registered."""

    name = "playbooks"

    def handle(self, ctx: Context, events: Sequence[Any]) -> None:
        engine = _engine(ctx)
        if engine is not None:
            engine.start_new()

    def tick(self, ctx: Context) -> None:
        engine = _engine(ctx)
        if engine is None:
            return
        engine.start_new()
        engine.judge_deadlines()
        followup.confirm_rollbacks(engine)
        followup.rerank(engine)


def _engine(ctx: Context) -> Engine | None:
    incidents = incident_service(ctx.session, ctx.clock, ctx.config)
    return None if incidents is None else Engine(ctx.session, ctx.clock, ctx.config, incidents)
