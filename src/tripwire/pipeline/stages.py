"""The default stages, in lifecycle order. Each stage package adds its own entry here."""

from __future__ import annotations

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.detect.stage import DetectStage
from tripwire.pipeline.stage import Stage


def default_stages(config: TripwireConfig, settings: Settings) -> list[Stage]:
    """evaluate -> detect -> respond; a stage with nothing configured runs its defaults."""
    stages: list[Stage] = []
    stages.append(DetectStage(config))
    return stages
