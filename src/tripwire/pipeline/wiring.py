"""Everything a running Tripwire process needs, built once from settings and config."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock, SystemClock
from tripwire.evaluate.judge.worker import JudgeWorker
from tripwire.flags.service import seed_declared
from tripwire.ingest.admission import Admission
from tripwire.notify.worker import OutboxWorker
from tripwire.pipeline.background import Background, PeriodicTask
from tripwire.pipeline.follower import Follower
from tripwire.pipeline.stages import default_stages
from tripwire.store.db import Database
from tripwire.store.migrate import upgrade
from tripwire.store.secrets import instance_secret


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
        clock = clock or SystemClock()
        with db.session() as session:
            # Playbooks flip declared flags (kill switches, rollbacks) before anyone reads them.
            seed_declared(session, config.flags, clock.now())
        if settings.secret_key is None:
            # Signed acknowledge links and CSRF tokens must work out of the box and survive
            # restarts: generate the key once and keep it in the database.
            with db.session() as session:
                generated = instance_secret(session, "secret_key", clock.now())
            settings = settings.model_copy(update={"secret_key": SecretStr(generated)})
        return cls(settings, config, db, clock)

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
            PeriodicTask(
                "judge", 2.0, JudgeWorker(self.db, self.config.evaluate.judge, self.clock).run_once
            ),
        ]

    def secret_key(self) -> bytes:
        """The key that signs links and CSRF tokens (see `open`)."""
        key = self.settings.secret_key
        if key is None:
            raise RuntimeError("Runtime.open sets the secret key; build runtimes with it")
        return key.get_secret_value().encode()

    def start_background(self) -> None:
        if self.background is None and self.settings.workers:
            self.background = Background(self.periodic_tasks())
            self.background.start()

    def close(self) -> None:
        if self.background is not None:
            self.background.stop()
            self.background = None
        self.db.dispose()
