from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tripwire.config.evaluate import QualitySettings, UseCaseEvaluate
from tripwire.evaluate.protocol import EvalInput
from tripwire.evaluate.registry import create

EVALUATORS = [create(name) for name in ("quality", "groundedness", "safety")]
texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=150)
@given(
    output=texts,
    prompt=texts,
    context=st.lists(texts, max_size=3),
    expected=st.sampled_from(["text", "json"]),
)
def test_builtins_score_any_text_within_bounds(
    output: str, prompt: str, context: list[str], expected: str
) -> None:
    settings_ = UseCaseEvaluate(quality=QualitySettings(expected_format=expected))  # type: ignore[arg-type]
    item = EvalInput(output, prompt, tuple(context), "uc", settings=settings_)
    for evaluator in EVALUATORS:
        result = evaluator.evaluate(item)
        if result is not None:
            assert 0.0 <= result.score <= 1.0
            assert result.name == evaluator.name


def test_a_helpful_answer_that_cannot_help_but_mention_something_is_no_refusal() -> None:
    quality = create("quality")
    result = quality.evaluate(
        EvalInput("I can't help but recommend the blue model: it lasts longer.")
    )
    assert result is not None
    assert result.label == "ok"
