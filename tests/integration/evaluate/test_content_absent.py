"""Content not captured is not empty content: content evaluators skip it, the judge never sees
it, evaluators that do not read the text still run, and the gap is counted with its fix."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.evaluate.test_stage import output, stored
from tripwire.config.evaluate import EvaluateConfig, JudgeConfig
from tripwire.config.file import TripwireConfig
from tripwire.evaluate.capture import OFFICIAL_SETTING
from tripwire.evaluate.protocol import EvalInput, EvalResult
from tripwire.evaluate.quality import QualityEvaluator
from tripwire.evaluate.stage import EvaluateStage
from tripwire.pipeline.stage import StageContext
from tripwire.runtime.wiring import Runtime
from tripwire.store.content_gaps import content_gaps


class TokenBudget:
    """A plug-in that reads token counts, not text: it may score any output."""

    name = "token_budget"
    needs_content = False

    def __init__(self) -> None:
        self.seen: list[EvalInput] = []

    def evaluate(self, item: EvalInput) -> EvalResult:
        self.seen.append(item)
        used = item.metadata.get("output_tokens", 0)
        return EvalResult("token_budget", 1.0 if used <= 500 else 0.0)


def test_only_evaluators_that_need_no_content_score_an_output_without_it(
    runtime: Runtime,
) -> None:
    budget = TokenBudget()
    config = EvaluateConfig(sample_rate=1.0, judge=JudgeConfig(enabled=True, sample_rate=1.0))
    stage = EvaluateStage(config, [QualityEvaluator(), budget])
    bare = output(1, output=None, input=None, output_tokens=900)
    bare["attributes"] = {"otel.scope.name": "opentelemetry.instrumentation.openai_v2"}
    events = stored(runtime, [bare, output(2, output="")])
    with runtime.db.session() as session:
        ctx = StageContext(session, runtime.clock, TripwireConfig(), runtime.settings)
        stage.handle(ctx, events)
        scores = {(e.payload["output_id"], e.payload["name"]): e.payload for e in ctx.derived}
        gaps = content_gaps(session)
    assert ("o1", "quality") not in scores
    assert scores[("o1", "token_budget")]["value"] == 0.0
    assert scores[("o2", "quality")]["label"] == "empty"  # empty is empty
    assert sorted(i.content_captured for i in budget.seen) == [False, True]
    assert [(g.use_case, g.setting, g.outputs) for g in gaps] == [("chat", OFFICIAL_SETTING, 1)]
    with runtime.db.session() as session:
        jobs = session.execute(text("SELECT payload FROM jobs")).scalars().all()
    assert all("o1" not in str(job) for job in jobs)
    assert any("o2" in str(job) for job in jobs)
