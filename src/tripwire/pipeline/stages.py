"""The default stages, in lifecycle order. Each stage package adds its own entry here."""

from __future__ import annotations

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.detect.stage import DetectStage
from tripwire.evaluate.stage import EvaluateStage
from tripwire.pipeline.stage import Stage
from tripwire.respond.stage import RespondStage


def default_stages(config: TripwireConfig, settings: Settings) -> list[Stage]:
    """evaluate -> detect -> respond; a stage with nothing configured runs its defaults."""
    stages: list[Stage] = [EvaluateStage(config.evaluate)]
    stages.append(DetectStage(config))
    stages.append(RespondStage())  # respond: after detect
    return stages
