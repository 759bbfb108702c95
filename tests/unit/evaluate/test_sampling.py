from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tripwire.config.evaluate import EvaluateConfig, UseCaseEvaluate
from tripwire.evaluate.sampling import Sampler, unit_hash

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def out(i: int, prompt: str = "p1", use_case: str = "chat") -> dict[str, object]:
    return {"id": f"o{i}", "use_case": use_case, "model": "m", "prompt_version": prompt}


def test_sampling_is_a_stable_function_of_the_id() -> None:
    config = EvaluateConfig(sample_rate=0.3, min_per_segment=0)
    first = [Sampler(config).choose(out(i), T0) for i in range(200)]
    again = [Sampler(config).choose(out(i), T0) for i in range(200)]
    assert first == again
    assert 40 <= sum(first) <= 80


def test_a_small_segment_gets_its_floor_of_samples() -> None:
    sampler = Sampler(EvaluateConfig(sample_rate=0.01, min_per_segment=20))
    big = sum(sampler.choose(out(i, "p1"), T0) for i in range(2000))
    canary = sum(sampler.choose(out(10_000 + i, "p2"), T0) for i in range(25))
    assert canary >= 20
    assert big < 60


def test_the_floor_resets_every_event_time_hour() -> None:
    sampler = Sampler(EvaluateConfig(sample_rate=0.0, min_per_segment=5))
    first = sum(sampler.choose(out(i), T0) for i in range(10))
    later = sum(sampler.choose(out(100 + i), T0 + timedelta(hours=1)) for i in range(10))
    assert (first, later) == (5, 5)


def test_a_use_case_rate_overrides_the_default() -> None:
    config = EvaluateConfig(
        sample_rate=0.0, min_per_segment=0, use_cases={"med": UseCaseEvaluate(sample_rate=1.0)}
    )
    sampler = Sampler(config)
    assert all(sampler.choose(out(i, use_case="med"), T0) for i in range(50))
    assert not any(sampler.choose(out(i, use_case="chat"), T0) for i in range(50))


def test_unit_hash_is_in_the_unit_interval() -> None:
    values = [unit_hash(str(i)) for i in range(1000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert 0.4 < sum(values) / len(values) < 0.6
