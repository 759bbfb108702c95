"""The typing rules: an incident's type from all its signals and the content of its outputs."""

from __future__ import annotations

from tripwire.respond.classify import Clue, Content, decide

GROUNDED_BUILTIN = Clue(
    "hallucination", "groundedness-score", "score_mean", "tripwire:groundedness", 0.3
)
GROUNDED_PRODUCT = Clue("hallucination", "groundedness-score", "score_mean", "product", 0.3)
WRONG_TICKETS = Clue("hallucination", "tickets-wrong-answer", "ticket_topic", None, 2.0)
QUALITY = Clue("quality_regression", "quality-score", "score_mean", "product", 0.4)
THUMBS = Clue("quality_regression", "negative-feedback", "negative_feedback", None, 0.8)
SAFETY = Clue("safety", "safety-triggers", "safety_trigger", None, 2.0)
ERRORS = Clue("availability", "errors", "error_rate", None, 3.0)
NOTHING = Content()
REFUSALS = Content(scored=40, refusals=12, scored_before=40, refusals_before=1)


def test_a_groundedness_drop_alone_is_a_hallucination() -> None:
    verdict = decide([GROUNDED_PRODUCT], NOTHING, "quality_regression")
    assert verdict.type == "hallucination"
    assert "groundedness-score (product) +30%" in verdict.reason


def test_the_builtin_evaluator_scoring_refusals_does_not_make_a_hallucination() -> None:
    verdict = decide([GROUNDED_BUILTIN], REFUSALS, "hallucination")
    assert verdict.type == "quality_regression"
    assert "12 of 40 scored outputs refuse" in verdict.reason
    assert decide([GROUNDED_BUILTIN, QUALITY], NOTHING, "hallucination").type == (
        "quality_regression"
    )


def test_a_shallower_quality_drop_leaves_a_product_groundedness_drop_a_hallucination() -> None:
    shallow = Clue("quality_regression", "quality-score", "score_mean", "product", 0.1)
    assert decide([GROUNDED_PRODUCT, shallow, THUMBS], NOTHING, "hallucination").type == (
        "hallucination"
    )
    assert decide([GROUNDED_PRODUCT, QUALITY], NOTHING, "hallucination").type == (
        "quality_regression"
    )


def test_wrong_answer_tickets_are_never_explained_away() -> None:
    assert decide([WRONG_TICKETS, QUALITY], REFUSALS, "quality_regression").type == (
        "hallucination"
    )


def test_safety_then_availability_then_quality() -> None:
    assert decide([THUMBS, ERRORS, SAFETY], NOTHING, "quality_regression").type == "safety"
    assert decide([THUMBS, ERRORS], NOTHING, "quality_regression").type == "availability"
    assert decide([THUMBS], NOTHING, "availability").type == "quality_regression"


def test_no_evidence_keeps_the_type() -> None:
    assert decide([], NOTHING, "availability").type == "availability"


def test_a_refusal_wave_needs_more_refusals_than_before() -> None:
    usual = Content(scored=40, refusals=6, scored_before=40, refusals_before=6)
    assert not usual.refusal_wave()
    assert REFUSALS.refusal_wave()
    assert not Content(scored=3, refusals=3).refusal_wave()


def test_an_outage_with_a_groundedness_drop_is_availability_not_a_hallucination() -> None:
    """Failing answers score as ungrounded: the drop beside an error surge is its symptom."""
    for grounded in (GROUNDED_PRODUCT, GROUNDED_BUILTIN):
        verdict = decide([ERRORS, grounded], NOTHING, "availability")
        assert verdict.type == "availability"
        assert "read as its symptom" in verdict.reason
    # people reporting wrong answers during an outage still make it a hallucination
    assert decide([ERRORS, WRONG_TICKETS], NOTHING, "availability").type == "hallucination"
