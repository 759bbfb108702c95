"""Evaluator results as `score` events (docs/events.md), linked to their output."""

from __future__ import annotations

import hashlib
from typing import Any

from tripwire.domain.events import MAX_ID, MAX_NAME
from tripwire.evaluate.protocol import EvalResult

SOURCE_PREFIX = "tripwire:"
MAX_EXPLANATION = 2000


def score_id(output_id: str, evaluator: str) -> str:
    """Deterministic, so scoring the same output twice stores one score (idempotent)."""
    candidate = f"{output_id}#{evaluator}"
    if len(candidate) <= MAX_ID:
        return candidate
    digest = hashlib.sha256(candidate.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"score-{evaluator[: MAX_ID - 47]}-{digest}"


def score_payload(output: dict[str, Any], result: EvalResult, evaluator: str) -> dict[str, Any]:
    """The normalised JSON of the score event for `output` (its ts is the output's event time).

    `evaluator` names the producer (the `source` becomes `tripwire:<evaluator>`); `result.name`
    is the score's own name, e.g. the `llm_judge` evaluator produces `quality`.
    """
    payload: dict[str, Any] = {
        "id": score_id(str(output["id"]), evaluator),
        "type": "score",
        "ts": output["ts"],
        "use_case": output["use_case"],
        "output_id": output["id"],
        "name": result.name[:MAX_NAME],
        "value": float(result.score),
        "source": (SOURCE_PREFIX + evaluator)[:MAX_NAME],
    }
    if result.label:
        payload["label"] = result.label[:MAX_NAME]
    if result.explanation:
        payload["explanation"] = result.explanation[:MAX_EXPLANATION]
    return payload
