"""The composition root: everything a running Tripwire process needs, built once from settings
and config. The faces (API, UI, CLI) and the demo get services and stages from here; no other
module builds a service or decides how the stages run."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import SecretStr
from sqlalchemy.orm import Session

from tripwire.communicate.autopublish import HOOK as AUTO_PUBLISH
from tripwire.communicate.followup import HOOK as USER_FOLLOW_UP
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock, SystemClock
from tripwire.domain.events import Event
from tripwire.evaluate.judge.worker import JudgeWorker
from tripwire.flags.service import seed_declared
from tripwire.ingest.admission import Admission
from tripwire.ingest.genai_join import JoinLimits, JoinWorker
from tripwire.ingest.retention import Retention
from tripwire.learn.action_items import HOOK as ACTION_ITEM_REMINDERS
from tripwire.notify.worker import OutboxWorker
from tripwire.pipeline.follower import Follower, Timers, new_holder
from tripwire.pipeline.replay import Prepared, Progress, ReplayResult, replay
from tripwire.pipeline.stage import Stage, close_stages
from tripwire.respond.exposure import ExposureMemo, ExposureOf, exposure
from tripwire.respond.hooks import IncidentHook
from tripwire.respond.playbooks.adapter import RespondIncidents
from tripwire.respond.playbooks.hook import HOOK as PLAYBOOKS
from tripwire.respond.service import IncidentService
from tripwire.runtime.activity import ActivityBoard, SharedAdmission
from tripwire.runtime.background import Background, PeriodicTask
from tripwire.runtime.gc_tuning import tune_for_service
from tripwire.runtime.modes import Mode, StageOptions
from tripwire.runtime.priority import RATIO, IngestFirst
from tripwire.runtime.stages import PartitionedStages, default_stages
from tripwire.store.db import Database
from tripwire.store.migrate import upgrade
from tripwire.store.partitions import INFO_KEY, ensure_partitions, partition_count
from tripwire.store.secrets import instance_secret

# Events per partition step: large enough that a step's fixed costs (lease, cursor, commit)
# are spread thin, small enough that an ingest batch arriving mid-step waits little.
PIPELINE_STEP = 2_500


def default_hooks() -> list[IncidentHook]:
    """The hooks Tripwire ships: playbooks (and the change attribution they run), and the
    follow-up to affected users after resolution, the reminders of due action items, and the
    status page's auto-publish (off unless configured)."""
    return [PLAYBOOKS, USER_FOLLOW_UP, ACTION_ITEM_REMINDERS, AUTO_PUBLISH]


@dataclass
class Runtime:
    """The database, the configuration, the clock, the incident hooks and the background
    tasks of one process. Build it with `Runtime.open`; `close` releases everything."""

    settings: Settings
    config: TripwireConfig
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    hooks: list[IncidentHook] = field(default_factory=default_hooks)
    admission: Admission = field(init=False)
    background: Background | None = None
    # The ingest of every process of `serve --processes N` (`share_ingest`), when one of them.
    ingest_board: ActivityBoard | None = None

    def __post_init__(self) -> None:
        self.admission = Admission(self.settings.max_inflight_ingest)

    @classmethod
    def open(
        cls,
        settings: Settings,
        config: TripwireConfig,
        clock: Clock | None = None,
        hooks: Sequence[IncidentHook] | None = None,
    ) -> Runtime:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        upgrade(db.engine)
        clock = clock or SystemClock()
        with db.session() as session:
            count = ensure_partitions(session, settings.pipeline_partitions, clock.now())
        # Every session knows the partition count: ingest assigns each event its partition.
        db.sessions.configure(info={INFO_KEY: count})
        with db.session() as session:
            # Playbooks flip declared flags (kill switches, rollbacks) before anyone reads them.
            seed_declared(session, config.flags, clock.now())
        if settings.secret_key is None:
            # Signed acknowledge links and CSRF tokens must work out of the box and survive
            # restarts: generate the key once and keep it in the database.
            with db.session() as session:
                generated = instance_secret(session, "secret_key", clock.now())
            settings = settings.model_copy(update={"secret_key": SecretStr(generated)})
        chosen = default_hooks() if hooks is None else list(hooks)
        return cls(settings, config, db, clock, chosen)

    def share_ingest(self, board: ActivityBoard, slot: int) -> None:
        """One of the processes of `serve --processes N`: publish this process's ingest in
        `slot` of `board`, and have its pipeline give way to the ingest of every process.
        Call before the app and the background work start."""
        self.admission = SharedAdmission(self.settings.max_inflight_ingest, board, slot)
        self.ingest_board = board

    # -- services ----------------------------------------------------------------------------

    def incidents(
        self, session: Session, clock: Clock | None = None, exposure_of: ExposureOf = exposure
    ) -> IncidentService:
        """The incident service bound to `session` (and this process's clock unless given)."""
        return IncidentService(
            session,
            clock or self.clock,
            self.config,
            self.settings,
            hooks=self.hooks,
            exposure_of=exposure_of,
        )

    def playbook_incidents(self, session: Session) -> RespondIncidents:
        """The incident service as flags and rollbacks see it (timeline entries, pages)."""
        return RespondIncidents(self.incidents(session))

    # -- the pipeline ------------------------------------------------------------------------

    def stages(self, mode: Mode) -> list[Stage]:
        """evaluate -> detect -> respond, configured for `mode`."""
        options = StageOptions.for_mode(mode, single_writer=self.db.is_sqlite)
        # One memo per set of stages (one replay): a failed chunk ends the replay, and what the
        # memo counted goes with it.
        counted: ExposureOf = ExposureMemo() if options.memo_exposure else exposure
        return default_stages(
            self.config,
            options,
            lambda session, clock: self.incidents(session, clock, counted),
        )

    def replay(
        self, events: Sequence[Event] | Prepared, progress: Progress | None = None
    ) -> ReplayResult:
        """Store `events` and run every stage on event time (see `tripwire.pipeline.replay`)."""
        stages = self.stages(Mode.REPLAY)
        try:
            return replay(self.db, events, stages, self.config, self.settings, progress)
        finally:
            close_stages(stages)

    def partitioned_stages(self, mode: Mode) -> PartitionedStages:
        """The stages of this process's share of the partitioned pipeline."""
        options = StageOptions.for_mode(mode, single_writer=False)
        with self.db.session() as session:
            count = partition_count(session)
        return PartitionedStages(
            self.config, options, lambda session, clock: self.incidents(session, clock), count
        )

    def periodic_tasks(self, mode: Mode = Mode.SERVE) -> list[PeriodicTask]:
        """The background work: this process's pipeline partitions, the single-owner timers,
        outbox delivery, the judge, the release of held GenAI outputs and retention."""
        stages = self.partitioned_stages(mode)
        holder = new_holder()
        follower = Follower(
            self.db,
            stages,
            self.config,
            self.settings,
            self.clock,
            PIPELINE_STEP,
            holder=holder,
            # Only `serve` answers ingest requests; a `worker` has nobody to give way to.
            pause=self._ingest_first() if mode is Mode.SERVE else None,
        )
        timers = Timers(
            self.db, stages.timers(), self.config, self.settings, self.clock, holder=holder
        )
        outbox = OutboxWorker(self.db, self.config.respond, self.settings, self.clock)
        judge = JudgeWorker(self.db, self.config.evaluate.judge, self.clock)
        joins = JoinWorker(self.db, JoinLimits.from_settings(self.settings), self.clock)
        return [
            PeriodicTask(
                "pipeline", 0.5, lambda: follower.step() > 0, follower.close, follower.halt
            ),
            PeriodicTask("timers", 1.0, timers.tick),
            # Polled by every worker: an idle poll backs off, a little (a page is what waits).
            PeriodicTask("outbox", 0.2, outbox.run_once, outbox.close, idle_max=0.5),
            PeriodicTask("judge", 2.0, judge.run_once, idle_max=10.0),
            PeriodicTask("genai-join", 1.0, joins.run_once, idle_max=2.0),
            PeriodicTask("retention", 600.0, self.retention(holder).tick),
        ]

    def _ingest_first(self) -> IngestFirst:
        """The pipeline's pause before each step: for this process's ingest, or for that of
        all N processes sharing the board. N pipelines then give way to the same ingest, so
        each may wait N times as long: together they keep about the share one would."""
        board = self.ingest_board
        if board is None:
            return IngestFirst(self.admission)
        return IngestFirst(board, ratio=RATIO * board.processes)

    def retention(self, holder: str = "cli") -> Retention:
        """Drops raw events past `TRIPWIRE_RETENTION_DAYS`."""
        return Retention(self.db, self.clock, self.settings.retention_days, holder)

    def start_background(self, mode: Mode = Mode.SERVE) -> None:
        """Start the background work on daemon threads (unless settings turn it off)."""
        if self.background is None and (self.settings.workers or mode is Mode.WORKER):
            self.background = Background(self.periodic_tasks(mode))
            self.background.start()

    def run_worker(self, stop: threading.Event) -> None:
        """`tripwire worker`: the background work until `stop` is set, then a clean close."""
        tune_for_service()
        self.start_background(Mode.WORKER)
        stop.wait()
        self.close()

    # -- the rest ----------------------------------------------------------------------------

    def secret_key(self) -> bytes:
        """The key that signs links and CSRF tokens (see `open`)."""
        key = self.settings.secret_key
        if key is None:
            raise RuntimeError("Runtime.open sets the secret key; build runtimes with it")
        return key.get_secret_value().encode()

    def close(self) -> None:
        """Drain and stop the background work, close its pools, release the database."""
        if self.background is not None:
            self.background.stop()
            self.background = None
        self.db.dispose()
