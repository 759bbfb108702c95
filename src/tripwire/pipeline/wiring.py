"""Everything a running Tripwire process needs, built once from settings and config."""

from __future__ import annotations

from dataclasses import dataclass, field

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock, SystemClock
from tripwire.ingest.admission import Admission
from tripwire.notify.worker import OutboxWorker
from tripwire.pipeline.background import Background, PeriodicTask
from tripwire.pipeline.follower import Follower
from tripwire.pipeline.stages import default_stages
from tripwire.store.db import Database
from tripwire.store.migrate import upgrade


@dataclass
class Runtime:
    """The database, the configuration, the clock and the background tasks of one process."""

    settings: Settings
    config: TripwireConfig
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    admission: Admission = field(init=False)
    background: Background | None = None

    def __post_init__(self) -> None:
        self.admission = Admission(self.settings.max_inflight_ingest)

    @classmethod
    def open(
        cls, settings: Settings, config: TripwireConfig, clock: Clock | None = None
    ) -> Runtime:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        upgrade(db.engine)
        return cls(settings, config, db, clock or SystemClock())

    def periodic_tasks(self) -> list[PeriodicTask]:
        follower = Follower(
            self.db,
            default_stages(self.config, self.settings),
            self.config,
            self.settings,
            self.clock,
        )
        return [
            PeriodicTask("pipeline", 0.5, lambda: follower.step() > 0),
            PeriodicTask("timers", 5.0, follower.tick),
            PeriodicTask(
                "outbox",
                0.2,
                OutboxWorker(self.db, self.config.respond, self.settings, self.clock).run_once,
            ),
        ]

    def start_background(self) -> None:
        if self.background is None and self.settings.workers:
            self.background = Background(self.periodic_tasks())
            self.background.start()

    def close(self) -> None:
        if self.background is not None:
            self.background.stop()
            self.background = None
        self.db.dispose()
