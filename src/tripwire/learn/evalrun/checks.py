"""Checking one answer against one stored assertion, without a model.

The deterministic assertions (promptfoo's names) run here: `contains`, `icontains`, `equals`,
`starts-with`, `regex`, `is-json`, `is-refusal`, and Tripwire's `grounded` (the built-in
groundedness evaluator against the case's context); each may be negated with `not-`.
Model-graded ones (`llm-rubric`, `factuality`, `similar`, `moderation`) need a judge: they are
reported as skipped here and run under promptfoo from `tripwire evals export`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tripwire.evaluate.groundedness import GroundednessEvaluator
from tripwire.evaluate.protocol import EvalInput
from tripwire.evaluate.quality import REFUSAL

Verdict = Literal["pass", "fail", "skip"]
GROUNDED_THRESHOLD = 0.7
MAX_PATTERN = 1000  # a stored regex is bounded so a hostile one cannot stall the gate for long
MODEL_GRADED = frozenset({"llm-rubric", "factuality", "similar", "moderation"})


@dataclass(frozen=True, slots=True)
class Outcome:
    type: str
    verdict: Verdict
    why: str


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _contains(answer: str, a: dict[str, Any], _: tuple[str, ...]) -> tuple[bool, str]:
    v = _text(a.get("value"))
    return v in answer, f"contains {v[:60]!r}"


def _icontains(answer: str, a: dict[str, Any], _: tuple[str, ...]) -> tuple[bool, str]:
    v = _text(a.get("value"))
    return v.lower() in answer.lower(), f"contains {v[:60]!r} (any case)"


def _equals(answer: str, a: dict[str, Any], _: tuple[str, ...]) -> tuple[bool, str]:
    v = _text(a.get("value"))
    return answer.strip() == v.strip(), f"equals {v[:60]!r}"


def _starts_with(answer: str, a: dict[str, Any], _: tuple[str, ...]) -> tuple[bool, str]:
    v = _text(a.get("value"))
    return answer.startswith(v), f"starts with {v[:60]!r}"


def _regex(answer: str, a: dict[str, Any], _: tuple[str, ...]) -> tuple[bool, str]:
    pattern = _text(a.get("value"))[:MAX_PATTERN]
    try:
        found = re.search(pattern, answer) is not None
    except re.error as exc:
        raise ValueError(f"bad regex: {exc}") from None
    return found, f"matches /{pattern[:60]}/"


def _is_json(answer: str, a: dict[str, Any], _: tuple[str, ...]) -> tuple[bool, str]:
    try:
        json.loads(answer)
    except ValueError:
        return False, "is JSON"
    return True, "is JSON"


def _is_refusal(answer: str, a: dict[str, Any], _: tuple[str, ...]) -> tuple[bool, str]:
    return REFUSAL.search(answer[:300]) is not None, "is a refusal"


def _grounded(answer: str, a: dict[str, Any], context: tuple[str, ...]) -> tuple[bool, str]:
    if not context:
        raise ValueError("the case has no context to be grounded in")
    threshold = float(a.get("threshold") or GROUNDED_THRESHOLD)
    result = GroundednessEvaluator().evaluate(EvalInput(output=answer, context=context))
    score = result.score if result else 1.0
    return score >= threshold, f"grounded in the context (score {score:.2f} >= {threshold:g})"


CHECKS: dict[str, Callable[[str, dict[str, Any], tuple[str, ...]], tuple[bool, str]]] = {
    "contains": _contains,
    "icontains": _icontains,
    "equals": _equals,
    "starts-with": _starts_with,
    "regex": _regex,
    "is-json": _is_json,
    "is-refusal": _is_refusal,
    "grounded": _grounded,
}


def check(answer: str, assertion: dict[str, Any], context: tuple[str, ...]) -> Outcome:
    """The verdict of one assertion on `answer`; unknown or model-graded types are skipped."""
    kind = str(assertion.get("type", ""))
    negated = kind.startswith("not-") and kind[4:] in CHECKS
    base = kind[4:] if negated else kind
    run = CHECKS.get(base)
    if run is None:
        why = "needs a model judge: run it under promptfoo" if base in MODEL_GRADED else "unknown"
        return Outcome(kind, "skip", why)
    try:
        ok, what = run(answer, assertion, context)
    except ValueError as exc:
        return Outcome(kind, "fail", str(exc))
    ok = ok != negated
    wanted = f"not {what}" if negated else what
    return Outcome(kind, "pass" if ok else "fail", ("ok: " if ok else "expected: ") + wanted)
