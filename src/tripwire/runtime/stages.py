"""The default stages, in lifecycle order, built for one run mode."""

from __future__ import annotations

from tripwire.config.file import TripwireConfig
from tripwire.detect.stage import DetectStage, Scope
from tripwire.evaluate.stage import EvaluateStage
from tripwire.pipeline.stage import Stage, close_stages
from tripwire.respond.stage import IncidentsFactory, RespondStage
from tripwire.runtime.modes import StageOptions
from tripwire.store.partitions import partition_of


def default_stages(
    config: TripwireConfig, options: StageOptions, incidents: IncidentsFactory
) -> list[Stage]:
    """evaluate -> detect -> respond; a stage with nothing configured runs its defaults."""
    return [
        EvaluateStage(config.evaluate, event_time=options.event_time),
        DetectStage(config, lateness_minutes=lateness(config, options)),
        RespondStage(incidents, inline_delivery=options.inline_delivery),
    ]


def lateness(config: TripwireConfig, options: StageOptions) -> int:
    """How long detection waits for late events: none on event time (a replay's clock is the
    events' own time), the configured allowance on the wall clock."""
    return 0 if options.event_time else config.monitors.allowed_lateness_minutes


class PartitionedStages:
    """The stages of a partitioned pipeline: evaluate and respond are shared by every partition
    (they keep no per-use-case state that must move with a partition); detect is one stage per
    partition, scoped to its use cases, so its state commits with the partition's cursor and
    is dropped when the partition leaves this process. `timers` are the single-owner timers."""

    def __init__(
        self,
        config: TripwireConfig,
        options: StageOptions,
        incidents: IncidentsFactory,
        partitions: int,
    ) -> None:
        self.config = config
        self.partitions = partitions
        self.evaluate = EvaluateStage(config.evaluate, event_time=options.event_time)
        self.respond = RespondStage(incidents, inline_delivery=options.inline_delivery)
        self.detect: dict[int, DetectStage] = {}
        self.lateness = lateness(config, options)

    def for_partition(self, part: int) -> list[Stage]:
        detect = self.detect.get(part)
        if detect is None:
            count = self.partitions
            scope = Scope(f"{count}/{part}", lambda use_case: partition_of(use_case, count) == part)
            detect = self.detect[part] = DetectStage(self.config, scope, self.lateness)
        return [self.evaluate, detect, self.respond]

    def drop(self, part: int) -> None:
        self.detect.pop(part, None)

    def timers(self) -> list[Stage]:
        """Cross-use-case timers: escalation, deadlines, severity reassessment."""
        return [self.evaluate, self.respond]

    def close(self) -> None:
        close_stages([self.evaluate, self.respond, *self.detect.values()])
        self.detect.clear()
