"""OpenTelemetry GenAI spans -> Tripwire events (the mapping is in docs/events.md).

Pure: takes a decoded `ExportTraceServiceRequest`, returns raw event objects to validate like any
other event. Evaluations whose output is not in the same request are left for the caller to
resolve against the store (`MappedEvent.response_id` / `parent`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tripwire.ingest.otlp_decode import hex_id, is_hex_id
from tripwire.ingest.otlp_shape import Shapes
from tripwire.ingest.otlp_span import output_event, unix_time
from tripwire.ingest.otlp_values import attributes

EVALUATION_EVENT = "gen_ai.evaluation.result"
GENAI_MARKERS = frozenset(
    {
        "gen_ai.operation.name",
        "gen_ai.request.model",
        "gen_ai.response.model",
        "gen_ai.provider.name",
        "gen_ai.system",
        "llm.model_name",
    }
)
# GenAI operations that are not one answer to a person: no output event for them.
NOT_OUTPUTS = frozenset({"embeddings", "execute_tool", "create_agent"})
PASSING_LABELS = frozenset({"pass", "passed", "correct", "true", "yes", "good", "relevant"})
FAILING_LABELS = frozenset({"fail", "failed", "incorrect", "false", "no", "bad", "irrelevant"})
# Instrumentations that put all content they capture on the span itself: nothing can follow
# in log records, so a content-less output of theirs is not held for a join.
SPAN_ONLY_SCOPES = ("openinference.",)


@dataclass(slots=True)
class MappedEvent:
    """A raw event from span `span` (`<trace hex>-<span hex>`). A score whose output is not
    settled yet has no `output_id`: it is the output whose `gen_ai.response.id` is
    `response_id`, else the output of span `parent` (the evaluated span, or the evaluator span's
    parent). `joinable`: an output without content whose content may still arrive as log
    records (see `tripwire.ingest.genai_join`)."""

    span: str
    raw: dict[str, Any]
    response_id: str | None = None
    parent: str | None = None
    joinable: bool = False


@dataclass
class OtlpMapping:
    """What a request holds: events to validate, spans that could not be mapped, spans ignored."""

    events: list[MappedEvent] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    spans: int = 0
    ignored_spans: int = 0
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_response: dict[str, dict[str, Any]] = field(default_factory=dict)


def map_request(request: Any) -> OtlpMapping:
    """Map every span of an `ExportTraceServiceRequest`; then `settle` the evaluations."""
    result = OtlpMapping()
    shapes = Shapes()
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        service = resource.get("service.name")
        for scope_spans in resource_spans.scope_spans:
            scope = str(scope_spans.scope.name)
            for span in scope_spans.spans:
                result.spans += 1
                _map_span(span, service, scope, result, shapes)
    return result


def unsettled(mapping: OtlpMapping) -> tuple[set[str], set[str]]:
    """Response ids and output ids that the request itself cannot resolve: look them up."""
    response_ids: set[str] = set()
    output_ids: set[str] = set()
    for mapped in mapping.events:
        if mapped.response_id and mapped.response_id not in mapping.by_response:
            response_ids.add(mapped.response_id)
        if mapped.parent and mapped.parent not in mapping.outputs:
            output_ids.add(mapped.parent)
    return response_ids, output_ids


StoredOutputs = dict[str, tuple[str, str | None]]


def settle(mapping: OtlpMapping, by_response: StoredOutputs, by_id: StoredOutputs) -> None:
    """Give every evaluation its output: the one with its `gen_ai.response.id` (this request,
    then the store), else the output of its `parent` span (this request, then the store).
    Evaluations that match nothing become problems. `by_*` map a key to (output id, use case).
    """
    kept: list[MappedEvent] = []
    for mapped in mapping.events:
        if mapped.raw["type"] == "score" and "output_id" not in mapped.raw:
            found = _find_output(mapped, mapping, by_response, by_id)
            if found is None:
                mapping.problems.append((mapped.span, _unmatched(mapped)))
                continue
            link_output(mapped, *found)
        kept.append(mapped)
    mapping.events = kept


def _find_output(
    mapped: MappedEvent, mapping: OtlpMapping, by_response: StoredOutputs, by_id: StoredOutputs
) -> tuple[str, str | None] | None:
    rid, parent = mapped.response_id or "", mapped.parent or ""
    if rid in mapping.by_response:
        return mapping.by_response[rid]["id"], mapping.by_response[rid]["use_case"]
    if rid in by_response:
        return by_response[rid]
    if parent in mapping.outputs:
        return parent, mapping.outputs[parent]["use_case"]
    return by_id.get(parent)


def _unmatched(mapped: MappedEvent) -> str:
    if mapped.response_id:
        return (
            f"evaluation {mapped.raw['id']}: no output with gen_ai.response.id "
            f"{mapped.response_id!r} is known; send the evaluated span first"
        )
    if mapped.parent:
        return (
            f"evaluation {mapped.raw['id']}: its parent span {mapped.parent} is no known "
            "output; send the evaluated span first or set gen_ai.response.id"
        )
    return (
        f"evaluation {mapped.raw['id']}: it is neither on a GenAI span nor carries "
        "gen_ai.response.id, so it cannot be matched to an output"
    )


def _map_span(span: Any, service: Any, scope: str, result: OtlpMapping, shapes: Shapes) -> None:
    trace_id, span_id = span.trace_id, span.span_id
    if not _valid_ids(trace_id, span_id):
        result.problems.append(("(unknown span)", "span without a valid trace id and span id"))
        return
    key = f"{trace_id.hex()}-{span_id.hex()}"
    attrs = attributes(span.attributes)
    use_case = attrs.get("tripwire.use_case") or service
    output = None
    if _is_output(attrs):
        output = output_event(key, span, attrs, use_case, scope, shapes.of(attrs))
    if output is not None:
        result.outputs[key] = output
        response_id = attrs.get("gen_ai.response.id")
        if isinstance(response_id, str) and response_id:
            result.by_response[response_id] = output
        result.events.append(MappedEvent(key, output, joinable=_joinable(output, scope)))
    evaluations = _evaluations(key, span, use_case, output, result) if span.events else 0
    if output is None and not evaluations:
        result.ignored_spans += 1


_NO_TRACE, _NO_SPAN = bytes(16), bytes(8)


def _valid_ids(trace_id: bytes, span_id: bytes) -> bool:
    """`is_hex_id` of both, in one call per span."""
    valid_trace = len(trace_id) == 16 and trace_id != _NO_TRACE
    return valid_trace and len(span_id) == 8 and span_id != _NO_SPAN


def _is_output(attrs: dict[str, Any]) -> bool:
    genai = not attrs.keys().isdisjoint(GENAI_MARKERS)
    genai = genai or attrs.get("openinference.span.kind") == "LLM"
    operation = attrs.get("gen_ai.operation.name")
    # Only a string can name an operation; an array or map value is no reason to fail.
    return genai and not (isinstance(operation, str) and operation in NOT_OUTPUTS)


def _joinable(output: dict[str, Any], scope: str) -> bool:
    """No content on the span, from an instrumentation that may send it as log records."""
    absent = "input" not in output and "output" not in output
    return absent and not scope.startswith(SPAN_ONLY_SCOPES)


def _evaluations(
    key: str, span: Any, use_case: Any, output: dict[str, Any] | None, result: OtlpMapping
) -> int:
    count = 0
    for index, event in enumerate(span.events):
        if event.name != EVALUATION_EVENT:
            continue
        count += 1
        attrs = attributes(event.attributes)
        raw = _score_event(f"{key}-eval{index}", event, span, attrs, use_case)
        mapped = MappedEvent(key, raw, _str_or_none(attrs.get("gen_ai.response.id")))
        if output is not None:
            mapped.parent = key  # an evaluation recorded on the evaluated span itself
        elif is_hex_id(span.parent_span_id, 8):
            mapped.parent = f"{hex_id(span.trace_id)}-{hex_id(span.parent_span_id)}"
        if output is not None and mapped.response_id is None:
            link_output(mapped, output["id"], output["use_case"])
        result.events.append(mapped)
    return count


def _score_event(
    event_id: str, event: Any, span: Any, attrs: dict[str, Any], use_case: Any
) -> dict[str, Any]:
    when = int(event.time_unix_nano) or int(span.end_time_unix_nano)
    raw: dict[str, Any] = {
        "id": event_id,
        "type": "score",
        "ts": unix_time(when),
        "use_case": use_case,
        "name": attrs.get("gen_ai.evaluation.name"),
        "value": score_value(attrs),
    }
    optional = {
        "label": attrs.get("gen_ai.evaluation.score.label"),
        "explanation": attrs.get("gen_ai.evaluation.explanation"),
    }
    raw.update({k: v for k, v in optional.items() if v is not None})
    return raw


def score_value(attrs: dict[str, Any]) -> Any:
    value = attrs.get("gen_ai.evaluation.score.value")
    if value is not None:
        return value
    label = str(attrs.get("gen_ai.evaluation.score.label", "")).strip().lower()
    if label in PASSING_LABELS:
        return 1.0
    if label in FAILING_LABELS:
        return 0.0
    return None  # refused by validation: a score needs a value in [0, 1]


def link_output(mapped: MappedEvent, output_id: str, use_case: str | None) -> None:
    """Attach a score to an output found in the store."""
    mapped.raw["output_id"] = output_id
    if use_case is not None:
        mapped.raw["use_case"] = use_case
    mapped.response_id = mapped.parent = None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
