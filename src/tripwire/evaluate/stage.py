"""`EvaluateStage`: the first lifecycle stage. Scores sampled outputs with the fast built-in
evaluators inline (stored as derived `score` events, so detection sees them in the same step),
queues slow LLM-judge work for the worker, and classifies tickets that came without a topic."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tripwire.config.evaluate import EvaluateConfig
from tripwire.config.file import TripwireConfig
from tripwire.domain.clock import Clock
from tripwire.domain.events import EVENT_ADAPTER, content_captured, event_to_json
from tripwire.evaluate.capture import capture_setting, missing_content
from tripwire.evaluate.judge.jobs import enqueue_judge_jobs
from tripwire.evaluate.protocol import Evaluator, eval_input_from_payload, needs_content
from tripwire.evaluate.registry import create
from tripwire.evaluate.sampling import Sampler
from tripwire.evaluate.scores import score_payload
from tripwire.evaluate.tickets.store import classify_ticket_events
from tripwire.store.content_gaps import record_gaps
from tripwire.store.events import StoredEvent, insert_derived

log = logging.getLogger("tripwire.evaluate")


class EvaluateContext(Protocol):
    """The part of the pipeline's StageContext this stage uses."""

    session: Session
    clock: Clock
    config: TripwireConfig
    derived: list[StoredEvent]
    ticket_topics: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Scores:
    """What scoring one sampled output gave: its score events, and whether its content was
    captured (then the LLM judge may see it too)."""

    judged: bool
    payloads: list[dict[str, Any]]


class EvaluateStage:
    """Stage `evaluate`: see the module docstring. Holds per-process state (the sampler's
    per-segment counts, the quality evaluator's running typical lengths).

    `event_time` says the clock is event time (replay): the LLM judge then runs only when the
    configuration asks for it (`judge.replay`), since a replay would call the judge for days of
    history at once.
    """

    name = "evaluate"

    def __init__(
        self,
        config: EvaluateConfig,
        evaluators: Sequence[Evaluator] | None = None,
        *,
        event_time: bool = False,
    ):
        self.config = config
        self.event_time = event_time
        self.evaluators = (
            list(evaluators) if evaluators is not None else [create(n) for n in config.evaluators]
        )
        self.sampler = Sampler(config)
        self._prepared: dict[str, _Scores | None] = {}  # event id -> what `prepare` computed

    def prepare(self, events: Sequence[StoredEvent]) -> None:
        """Sample and score `events` ahead of `handle`, outside the step's transaction (see
        `tripwire.pipeline.stage.Prepares`): `handle` then only stores what was computed here.
        Replaces what an earlier call prepared."""
        self._prepared = {}
        if not self.config.enabled:
            return
        for event in events:
            try:
                self._prepared[event.id] = self._scores_of(event)
            except Exception:  # `handle` computes it again, where a failure is quarantined
                log.debug("preparing scores failed for event %s", event.id, exc_info=True)

    def handle(self, ctx: EvaluateContext, events: Sequence[StoredEvent]) -> None:
        _count_missing_content(ctx, events)
        if not self.config.enabled:
            return
        prepared = self._prepared
        judged: list[StoredEvent] = []
        payloads: list[dict[str, Any]] = []
        for event in events:
            scores = prepared[event.id] if event.id in prepared else self._scores_of(event)
            if scores is not None:
                payloads.extend(scores.payloads)
                if scores.judged:
                    judged.append(event)
        if payloads:
            ctx.derived.extend(insert_derived(ctx.session, payloads, ctx.clock.now()))
        if judged:
            self._queue_judge(ctx, judged)
        tickets = [e for e in events if e.type == "ticket" and not e.payload.get("topic")]
        if tickets and self.config.tickets.enabled:
            topics = classify_ticket_events(ctx.session, tickets, self.config.tickets, ctx.clock)
            ctx.ticket_topics.update(topics)

    def tick(self, ctx: EvaluateContext) -> None:
        """Nothing runs on timers here: the judge worker drains its queue on its own."""

    @property
    def content_free(self) -> list[Evaluator]:
        """The evaluators that may score an output whose content was not captured."""
        return [e for e in self.evaluators if not needs_content(e)]

    def _scores_of(self, event: StoredEvent) -> _Scores | None:
        """The score events of one output if the sampler chooses it (None: not scored). Pure
        computation, apart from the sampler's and the evaluators' running statistics."""
        if not _scorable(event) or not self.sampler.choose(event.payload, event.ts):
            return None
        judged = content_captured(event.payload)
        evaluators = self.evaluators if judged else self.content_free
        item = eval_input_from_payload(event.payload, self.config.for_use_case(event.use_case))
        payloads: list[dict[str, Any]] = []
        for evaluator in evaluators:
            try:
                result = evaluator.evaluate(item)
            except Exception:  # one broken plug-in must not stop the pipeline
                log.exception("evaluator %s failed on output %s", evaluator.name, event.id)
                continue
            if result is not None:
                payloads.append(_normalised(score_payload(event.payload, result, evaluator.name)))
        return _Scores(judged, payloads)

    def _queue_judge(self, ctx: EvaluateContext, outputs: list[StoredEvent]) -> None:
        judge = self.config.judge
        if not judge.enabled or not judge.rubrics:
            return
        if self.event_time and not judge.replay:
            return
        picked = [e.payload for e in outputs if self.sampler.judge(e.payload)]
        if picked:
            enqueue_judge_jobs(ctx.session, picked, judge, ctx.clock.now())


def _count_missing_content(ctx: EvaluateContext, events: Sequence[StoredEvent]) -> None:
    """Count outputs stored without content, per use case and the setting that fixes it."""
    gaps = [
        (e.use_case, capture_setting(e.payload), e.ts)
        for e in events
        if e.type == "output" and e.use_case and missing_content(e.payload)
    ]
    if gaps:
        record_gaps(ctx.session, gaps)


def _scorable(event: StoredEvent) -> bool:
    """Outputs that completed: an error or timeout is availability's business, not quality's."""
    return event.type == "output" and event.payload.get("status", "ok") == "ok"


def _normalised(payload: dict[str, Any]) -> dict[str, Any]:
    return event_to_json(EVENT_ADAPTER.validate_python(payload))
