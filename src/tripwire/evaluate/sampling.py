"""Which outputs get scored: a per use case rate, with a floor per segment so that every active
model version / prompt version gets enough samples for the detectors, even a small canary.

The choice is a hash of the output id, so a replay samples the same outputs every time.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from tripwire.config.evaluate import EvaluateConfig

Segment = tuple[str, str, str, str]  # use case, model, model version, prompt version
HOUR = timedelta(hours=1)


def unit_hash(key: str, salt: str = "") -> float:
    """A stable, uniform number in [0, 1) for `key`."""
    digest = hashlib.blake2b((salt + key).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def segment_of(payload: dict[str, Any]) -> Segment:
    return (
        str(payload.get("use_case", "")),
        str(payload.get("model", "")),
        str(payload.get("model_version", "")),
        str(payload.get("prompt_version", "")),
    )


class Sampler:
    """Samples at the use case's rate, and always the first `min_per_segment` outputs of each
    segment in each event-time hour (the stratification floor)."""

    def __init__(self, config: EvaluateConfig) -> None:
        self.config = config
        self._next_hour: datetime | None = None  # when the current hour's counts end
        self._counts: dict[Segment, int] = {}

    def choose(self, payload: dict[str, Any], ts: datetime) -> bool:
        # One comparison per output; the hour is worked out only when it changes.
        if self._next_hour is None or ts >= self._next_hour:
            self._next_hour = ts.replace(minute=0, second=0, microsecond=0) + HOUR
            self._counts = {}
        segment = segment_of(payload)
        seen = self._counts.get(segment, 0)
        rate = self.config.for_use_case(segment[0]).sample_rate
        if rate is None:
            rate = self.config.sample_rate
        chosen = seen < self.config.min_per_segment or unit_hash(str(payload["id"])) < rate
        if chosen:
            self._counts[segment] = seen + 1
        return chosen

    def judge(self, payload: dict[str, Any]) -> bool:
        """Among scored outputs, those the LLM judge also sees (an independent hash)."""
        rate = self.config.for_use_case(str(payload.get("use_case", ""))).judge_sample_rate
        if rate is None:
            rate = self.config.judge.sample_rate
        return unit_hash(str(payload["id"]), salt="judge:") < rate
