from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tripwire.respond.attribution.metrics import MetricSpec, choose_metric, metric_from_name
from tripwire.respond.attribution.scoring import (
    ChangeFacts,
    Stats,
    combine,
    culprit_probability,
    gap_and_se,
    segment_evidence,
    timing_factor,
)

ONSET = datetime(2026, 11, 20, 12, tzinfo=UTC)
PROMPT = ChangeFacts("chg-1", ONSET, "prompt_change", "v14", "chat", "v13")
GROUNDED = MetricSpec("score", "groundedness")


def stats(mean: float, n: int, sd: float = 0.08) -> Stats:
    return Stats(n, mean, sd**2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("score:groundedness", MetricSpec("score", "groundedness")),
        ("mean_quality", MetricSpec("score", "quality")),
        ("negative_feedback_rate", MetricSpec("feedback")),
        ("safety_trigger_rate", MetricSpec("safety")),
        ("latency_p95", MetricSpec("latency")),
        ("error_rate", MetricSpec("error")),
        ("tickets:wrong_answer", None),
    ],
)
def test_it_reads_detector_metric_names(name: str, expected: MetricSpec | None) -> None:
    assert metric_from_name(name) == expected


def test_an_incident_without_a_splittable_signal_uses_its_types_usual_metric() -> None:
    assert choose_metric("hallucination", ["tickets:wrong_answer"]) == GROUNDED
    assert choose_metric("safety", []) == MetricSpec("safety")


def test_a_degraded_new_segment_is_strong_evidence_and_says_so() -> None:
    evidence = segment_evidence(
        GROUNDED,
        "prompt_version",
        PROMPT,
        (stats(0.71, 120), stats(0.85, 150), stats(0.86, 400)),
        expected=0.15,
    )
    assert evidence.strength > 0.95
    assert evidence.sentence == (
        "groundedness of outputs with prompt v14 fell from 0.86 to 0.71 (n=120); "
        "outputs with v13 in the same hours stayed at 0.85 (n=150)"
    )


def test_a_new_segment_as_good_as_the_old_one_clears_the_change() -> None:
    evidence = segment_evidence(
        GROUNDED,
        "prompt_version",
        PROMPT,
        (stats(0.72, 200), stats(0.71, 200), stats(0.86, 400)),
        expected=0.15,
    )
    assert evidence.strength < 0.05
    assert "does not explain" in evidence.sentence


def test_too_few_outputs_stay_undecided_instead_of_clearing_the_change() -> None:
    strength, _, power = culprit_probability(gap=-0.05, se=0.2, expected=0.1)
    assert 0.4 < strength < 0.5
    assert power < 0.2


def test_a_change_whose_version_no_output_carries_gets_neutral_evidence() -> None:
    evidence = segment_evidence(
        GROUNDED, None, PROMPT, (Stats(0, 0, 0), Stats(0, 0, 0), stats(0.86, 10)), 0.1
    )
    assert evidence.strength == 0.5
    assert "only timing and scope" in evidence.sentence


def test_rates_are_worse_when_higher() -> None:
    gap, se = gap_and_se(stats(0.3, 100, 0.46), stats(0.08, 100, 0.27), higher_is_worse=True)
    assert gap == pytest.approx(0.22)
    assert gap / se > 3


def test_timing_prefers_changes_just_before_the_onset() -> None:
    just_before = timing_factor(ONSET - timedelta(minutes=5), ONSET)
    hours_before = timing_factor(ONSET - timedelta(hours=10), ONSET)
    long_after = timing_factor(ONSET + timedelta(hours=2), ONSET)
    assert just_before > hours_before > long_after
    assert timing_factor(ONSET + timedelta(minutes=10), ONSET) == 1.0


def test_evidence_outweighs_timing() -> None:
    strong_but_older = combine(0.97, timing_factor(ONSET - timedelta(hours=6), ONSET), 1.0)
    neutral_and_recent = combine(0.5, 1.0, 1.0)
    assert strong_but_older > neutral_and_recent


def test_a_drop_shared_by_both_versions_clears_the_change_even_with_few_new_outputs() -> None:
    from tripwire.respond.attribution.scoring import segments_probability

    base = stats(0.86, 400)
    everywhere = (stats(0.72, 8), stats(0.71, 60), base)
    only_new = (stats(0.60, 8), stats(0.86, 60), base)
    assert segments_probability(GROUNDED, everywhere, expected=0.26, overall=0.14) < 0.05
    assert segments_probability(GROUNDED, only_new, expected=0.26, overall=0.03) > 0.95
