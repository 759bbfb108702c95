"""The default stages, in lifecycle order, built for one run mode."""

from __future__ import annotations

from tripwire.config.file import TripwireConfig
from tripwire.detect.stage import DetectStage
from tripwire.evaluate.stage import EvaluateStage
from tripwire.pipeline.stage import Stage
from tripwire.respond.stage import IncidentsFactory, RespondStage
from tripwire.runtime.modes import StageOptions


def default_stages(
    config: TripwireConfig, options: StageOptions, incidents: IncidentsFactory
) -> list[Stage]:
    """evaluate -> detect -> respond; a stage with nothing configured runs its defaults."""
    return [
        EvaluateStage(config.evaluate, event_time=options.event_time),
        DetectStage(config),
        RespondStage(incidents, inline_delivery=options.inline_delivery),
    ]
