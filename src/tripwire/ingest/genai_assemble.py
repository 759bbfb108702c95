"""Pure rules of the GenAI content join: what an output's log-record parts say, and when they
are all there.

Message events (`gen_ai.*.message`) give the prompt and `gen_ai.choice` events the answer; a
`gen_ai.client.inference.operation.details` event gives both at once and wins. Capture is
per call: if any message carries content, capture was on, so a choice without content is an
empty answer ("" and scored as empty); if none does, the content is absent (not captured).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tripwire.ingest.otlp_logs import DETAILS, EVALUATION, INPUT, OUTPUT
from tripwire.ingest.otlp_span import cut
from tripwire.ingest.otlp_values import render
from tripwire.store.genai import Part


def content(parts: Sequence[Part]) -> tuple[str | None, str | None]:
    """(input, output) from the parts, each None when not captured."""
    inputs = [p for p in parts if p.kind == INPUT]
    choices = sorted((p for p in parts if p.kind == OUTPUT), key=lambda p: p.data.get("index", 0))
    captured_in = any(p.data.get("text") is not None for p in inputs)
    captured_out = any(p.data.get("text") is not None for p in choices)
    prompt = render([(str(p.data.get("role", "")), p.data.get("text") or "") for p in inputs])
    answer = render([("assistant", p.data.get("text") or "") for p in choices])
    found_in = prompt if captured_in else None
    found_out = answer if captured_out or (captured_in and choices) else None
    for details in (p for p in parts if p.kind == DETAILS):
        found_in = _or(details.data.get("input"), found_in)
        found_out = _or(details.data.get("output"), found_out)
    return found_in, found_out


def assemble(output: dict[str, Any], parts: Sequence[Part]) -> dict[str, Any]:
    """The output event with the content its parts carry (content on the span stays)."""
    prompt, answer = content(parts)
    joined = dict(output)
    if prompt is not None and "input" not in joined:
        joined["input"] = cut(prompt)
    if answer is not None and "output" not in joined:
        joined["output"] = cut(answer)
    return joined


def complete(output: dict[str, Any], parts: Sequence[Part]) -> bool:
    """Whether nothing more is expected: the operation details, or every choice of a
    completed call (one per finish reason on the span), or the prompt of a failed call."""
    if any(p.kind == DETAILS for p in parts):
        return True
    if output.get("status", "ok") != "ok":
        return any(p.kind == INPUT for p in parts)
    reasons = (output.get("attributes") or {}).get("gen_ai.response.finish_reasons")
    expected = len(reasons) if isinstance(reasons, list) and reasons else 1
    return sum(1 for p in parts if p.kind == OUTPUT) >= expected


def scores(output: dict[str, Any], parts: Sequence[Part]) -> list[dict[str, Any]]:
    """The `score` events of the evaluation parts (validated when they arrived)."""
    return [score_event(p, output["id"], output["use_case"]) for p in parts if p.kind == EVALUATION]


def score_event(part: Part, output_id: str, use_case: str) -> dict[str, Any]:
    """The raw `score` event of an evaluation part for output `output_id`."""
    data = part.data
    raw: dict[str, Any] = {
        "id": f"{output_id}-log{part.id[:16]}",
        "type": "score",
        "ts": data.get("ts"),
        "use_case": use_case,
        "output_id": output_id,
        "name": data.get("name"),
        "value": data.get("value"),
    }
    raw.update({k: data[k] for k in ("label", "explanation") if data.get(k) is not None})
    return raw


def _or(value: Any, fallback: str | None) -> str | None:
    return value if isinstance(value, str) else fallback
