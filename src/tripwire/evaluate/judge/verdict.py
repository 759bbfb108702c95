"""Strict parsing of a judge's JSON verdict, with a small repair pass for common slips."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_LABEL = 64
MAX_EXPLANATION = 500

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:")


class VerdictError(ValueError):
    """The reply is not a usable verdict; the message says why (fed back to the judge)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    score: float
    label: str | None
    explanation: str | None


def parse_verdict(reply: str, labels: tuple[str, ...]) -> Verdict:
    """The verdict in `reply`; raises VerdictError when it cannot be read strictly."""
    data = _load(reply)
    if not isinstance(data, dict):
        raise VerdictError("the reply must be a JSON object")
    score = data.get("score")
    if isinstance(score, str):
        try:
            score = float(score.strip())
        except ValueError:
            raise VerdictError("score must be a number from 0 to 1") from None
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise VerdictError("score must be a number from 0 to 1")
    label = data.get("label")
    if label is not None:
        label = str(label).strip().lower()[:MAX_LABEL]
        if label not in labels:
            label = None
    explanation = data.get("explanation")
    explanation = str(explanation)[:MAX_EXPLANATION] if explanation is not None else None
    return Verdict(float(score), label, explanation)


def _load(reply: str) -> Any:
    fenced = _FENCE.search(reply)
    text = fenced.group(1) if fenced else reply
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise VerdictError("no JSON object in the reply")
    body = text[start : end + 1]
    try:
        return json.loads(body)
    except ValueError:
        pass
    repaired = body.replace("'", '"') if '"' not in body else body
    repaired = _TRAILING_COMMA.sub(r"\1", repaired)
    repaired = _BARE_KEY.sub(r'\1"\2":', repaired)
    repaired = re.sub(r"\bTrue\b", "true", re.sub(r"\bFalse\b", "false", repaired))
    repaired = re.sub(r"\bNone\b", "null", repaired)
    try:
        return json.loads(repaired)
    except json.JSONDecodeError as exc:
        raise VerdictError(f"the reply is not valid JSON ({exc.msg})") from None
