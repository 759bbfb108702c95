"""The outputs detection remembers (to join feedback to its output's versions) are bounded per
process, not per partition: a worker holding 64 partitions must not remember 64 times more."""

from __future__ import annotations

from typing import Any

import pytest

from tripwire.config.file import TripwireConfig
from tripwire.detect.cells import PROCESS_OUTPUTS, Counter, OutputMemory
from tripwire.detect.engine import Engine


def _output(counter: Counter, output_id: str, model: str) -> None:
    counter.observe("output", "chat", {"id": output_id, "model": model}, None)


def _feedback_on(counter: Counter, output_id: str) -> Any:
    """The version info the counter joined a feedback on `output_id` to (None: unknown)."""
    counter.take()
    counter.observe("feedback", "chat", {"output_id": output_id, "rating": "down"}, None)
    ((_, info),) = counter.take()
    return info


def test_sixty_four_partitions_share_one_budget_and_the_oldest_go_first() -> None:
    memory = OutputMemory(limit=1_000)
    counters = [Counter(memory=memory) for _ in range(64)]
    for n in range(50):  # 64 x 50 = 3,200 outputs, round robin over the partitions
        for part, counter in enumerate(counters):
            _output(counter, f"p{part}-o{n}", f"model-{part}")
    assert len(memory) == 1_000  # not 64 x 1,000
    # The last 1,000 outputs stayed (rounds 35..49, and part of round 34); older ones went,
    # in every partition alike.
    assert _feedback_on(counters[0], "p0-o49") == ("model-0", "", "")
    assert _feedback_on(counters[63], "p63-o35") == ("model-63", "", "")
    assert _feedback_on(counters[0], "p0-o33") is None
    assert _feedback_on(counters[63], "p63-o0") is None


def test_counters_sharing_a_memory_never_read_each_others_outputs() -> None:
    memory = OutputMemory(limit=10)
    first, second = Counter(memory=memory), Counter(memory=memory)
    _output(first, "same-id", "model-a")
    _output(second, "same-id", "model-b")
    assert _feedback_on(first, "same-id") == ("model-a", "", "")
    assert _feedback_on(second, "same-id") == ("model-b", "", "")


def test_every_engine_of_a_process_shares_the_process_memory_by_default() -> None:
    config = TripwireConfig()
    engines = [Engine(config.monitors) for _ in range(3)]
    assert all(engine.counter.memory is PROCESS_OUTPUTS for engine in engines)


def test_a_memory_needs_room() -> None:
    with pytest.raises(ValueError, match="at least one output"):
        OutputMemory(limit=0)
