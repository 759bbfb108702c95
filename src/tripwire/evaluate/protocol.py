"""What an evaluator is: a named function from one output to a bounded score."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tripwire.config.evaluate import UseCaseEvaluate
from tripwire.domain.events import content_captured


@dataclass(frozen=True, slots=True)
class EvalInput:
    """One production interaction as evaluators see it. `context` is the grounding documents.

    `content_captured` is False when the product did not capture the answer (`output` is then
    "" but means "unknown", not "empty"); only evaluators that declare `needs_content = False`
    see such outputs.
    """

    output: str
    input: str = ""
    context: tuple[str, ...] = ()
    use_case: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    settings: UseCaseEvaluate = field(default_factory=UseCaseEvaluate)
    content_captured: bool = True

    @property
    def context_text(self) -> str:
        return "\n".join(self.context)


@dataclass(frozen=True, slots=True)
class EvalResult:
    """A verdict: `score` in [0, 1], higher is better; `label` is a short word, `explanation`
    says in plain words why (never the sensitive text itself)."""

    name: str
    score: float
    label: str | None = None
    explanation: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"evaluator {self.name!r} returned {self.score}, outside [0, 1]")


class Evaluator(Protocol):
    """Scores one output. Returns None when it does not apply (e.g. groundedness without
    context); must not raise on odd text, and must be fast unless it runs in the worker.

    An evaluator judges content unless it sets `needs_content = False` (e.g. one that scores
    latency or token use): content evaluators never see an output whose content was not
    captured."""

    name: str

    def evaluate(self, item: EvalInput) -> EvalResult | None: ...


def needs_content(evaluator: Evaluator) -> bool:
    """Whether `evaluator` judges the answer's text (the default)."""
    return bool(getattr(evaluator, "needs_content", True))


def eval_input_from_payload(payload: dict[str, Any], settings: UseCaseEvaluate) -> EvalInput:
    """Build the evaluator input from a stored `output` event's JSON."""
    context = payload.get("context")
    if isinstance(context, str):
        docs: tuple[str, ...] = (context,)
    elif isinstance(context, list):
        docs = tuple(str(c) for c in context)
    else:
        docs = ()
    meta: dict[str, Any] = {
        k: payload[k]
        for k in ("model", "model_version", "prompt_version", "attributes", "id")
        if k in payload
    }
    for key in ("input_tokens", "output_tokens", "latency_ms", "status"):
        if key in payload:
            meta[key] = payload[key]
    return EvalInput(
        output=str(payload.get("output", "")),
        input=str(payload.get("input", "")),
        context=docs,
        use_case=str(payload.get("use_case", "")),
        metadata=meta,
        settings=settings,
        content_captured=content_captured(payload),
    )
