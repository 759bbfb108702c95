from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tripwire.config.evaluate import EvaluateConfig
from tripwire.config.file import TripwireConfig
from tripwire.domain.events import EVENT_ADAPTER, event_to_json
from tripwire.evaluate.protocol import EvalInput, EvalResult
from tripwire.evaluate.quality import QualityEvaluator
from tripwire.evaluate.stage import EvaluateStage
from tripwire.evaluate.tickets.store import stored_topics
from tripwire.pipeline.stage import StageContext, run_stages
from tripwire.runtime.modes import Mode
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import StoredEvent, event_row, insert_new
from tripwire.store.tables.evaluate import TicketTopicRow


def stored(runtime: Runtime, raw: list[dict[str, Any]]) -> list[StoredEvent]:
    events = [EVENT_ADAPTER.validate_python(r) for r in raw]
    payloads = [event_to_json(e) for e in events]
    with runtime.db.session() as session:
        rows = [event_row(p, e.ts, e.ts) for p, e in zip(payloads, events, strict=True)]
        seqs = insert_new(session, rows)
    return [
        StoredEvent(seqs[p["id"]], p["id"], p["type"], e.ts, p["use_case"], p)
        for p, e in zip(payloads, events, strict=True)
    ]


def output(i: int, **extra: Any) -> dict[str, Any]:
    base = {
        "id": f"o{i}",
        "type": "output",
        "ts": "2026-11-20T09:00:00Z",
        "use_case": "chat",
        "model": "m",
        "input": "hi",
        "output": "Hello! Your order ships tomorrow.",
    }
    return base | extra


class Exploding:
    name = "exploding"

    def evaluate(self, item: EvalInput) -> EvalResult:
        raise RuntimeError("boom")


def test_evaluate_runs_first_and_hands_scores_and_topics_to_later_stages(
    runtime: Runtime,
) -> None:
    stages = runtime.stages(Mode.SERVE)
    assert stages[0].name == "evaluate"
    events = stored(
        runtime,
        [
            output(1),
            output(2, status="error", output=""),
            {
                "id": "t1",
                "type": "ticket",
                "ts": "2026-11-20T09:00:00Z",
                "use_case": "chat",
                "text": "the site is down, 503 everywhere",
            },
        ],
    )
    seen: list[StoredEvent] = []

    class Spy:
        name = "spy"

        def handle(self, ctx: StageContext, batch: Any) -> None:
            seen.extend(batch)

        def tick(self, ctx: StageContext) -> None:
            pass

    with runtime.db.session() as session:
        ctx = StageContext(session, runtime.clock, TripwireConfig(), runtime.settings)
        run_stages([stages[0], Spy()], ctx, events)
        topics = dict(ctx.ticket_topics)
        rows = session.scalars(select(TicketTopicRow)).all()
        assert [(r.event_id, r.topic, r.model) for r in rows] == [("t1", "availability", "builtin")]
        assert stored_topics(session, ["t1", "nope"])["t1"][0] == "availability"
    scores = [e for e in seen if e.type == "score"]
    assert {(s.payload["output_id"], s.payload["source"]) for s in scores} == {
        ("o1", "tripwire:quality"),
        ("o1", "tripwire:safety"),
    }  # no context: no groundedness; the failed call is availability's business
    assert {s.id for s in scores} == {"o1#quality", "o1#safety"}
    assert topics == {"t1": "availability"}


def test_a_failing_plugin_does_not_stop_the_others(runtime: Runtime) -> None:
    stage = EvaluateStage(EvaluateConfig(), [Exploding(), QualityEvaluator()])
    events = stored(runtime, [output(1)])
    with runtime.db.session() as session:
        ctx = StageContext(session, runtime.clock, TripwireConfig(), runtime.settings)
        stage.handle(ctx, events)
        assert [e.payload["name"] for e in ctx.derived] == ["quality"]


def test_scoring_twice_stores_one_score(runtime: Runtime) -> None:
    events = stored(runtime, [output(1)])
    for _ in range(2):
        stage = EvaluateStage(EvaluateConfig())
        with runtime.db.session() as session:
            ctx = StageContext(session, runtime.clock, TripwireConfig(), runtime.settings)
            stage.handle(ctx, events)
            count = len(ctx.derived)
    assert count == 0  # the second run found the deterministic ids already stored


def test_a_disabled_stage_does_nothing(runtime: Runtime) -> None:
    stage = EvaluateStage(EvaluateConfig(enabled=False))
    with runtime.db.session() as session:
        ctx = StageContext(session, runtime.clock, TripwireConfig(), runtime.settings)
        stage.handle(ctx, stored(runtime, [output(1)]))
        assert ctx.derived == []


def test_a_broken_ticket_model_falls_back_to_the_builtin(runtime: Runtime, tmp_path: Any) -> None:
    bad = tmp_path / "model.json"
    bad.write_text("{not json", encoding="utf-8")
    config = EvaluateConfig.model_validate({"tickets": {"model": str(bad)}})
    ticket = {
        "id": "t9",
        "type": "ticket",
        "ts": "2026-11-20T09:00:00Z",
        "use_case": "chat",
        "text": "I was charged twice for my subscription",
    }
    with runtime.db.session() as session:
        ctx = StageContext(session, runtime.clock, TripwireConfig(), runtime.settings)
        EvaluateStage(config).handle(ctx, stored(runtime, [ticket]))
        assert ctx.ticket_topics == {"t9": "not_ai"}


class Counting:
    """Scores every output 1.0 and counts its calls."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def evaluate(self, item: EvalInput) -> EvalResult:
        self.calls += 1
        return EvalResult(name="counting", score=1.0)


def test_handle_stores_what_prepare_scored_and_scores_the_rest_itself(runtime: Runtime) -> None:
    counting = Counting()
    stage = EvaluateStage(EvaluateConfig(), [counting])
    prepared = stored(runtime, [output(1), output(2), output(3, status="error", output="")])
    late = stored(runtime, [output(4)])
    stage.prepare(prepared)  # outside any transaction, as the follower does
    assert counting.calls == 2  # the failed output is not scored
    with runtime.db.session() as session:
        ctx = StageContext(session, runtime.clock, TripwireConfig(), runtime.settings)
        stage.handle(ctx, prepared + late)
        assert counting.calls == 3  # only o4, which was not prepared
        assert sorted(e.id for e in ctx.derived) == ["o1#counting", "o2#counting", "o4#counting"]
