"""What a span's attribute keys alone decide, worked out once per set of keys.

The spans of one instrumentation carry the same attribute keys, span after span. Which of them
an output keeps as its `attributes`, and which flattened message lists (`gen_ai.prompt.0.content`
...) there are to read, depend on those keys only: an export of 500 such spans works them out
once, not 500 times.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tripwire.domain.events import MAX_OBJECT_KEYS

# Content has its own fields (`input`, `output`): not repeated among the kept attributes.
CONTENT_KEYS = frozenset(
    {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.prompt",
        "gen_ai.completion",
    }
)
FLATTENED_CONTENT = ("gen_ai.prompt.", "gen_ai.completion.")
# Prefixes of flattened messages: OpenLLMetry's and OpenInference's.
FLATTENED_PREFIXES = (*FLATTENED_CONTENT, "llm.input_messages.", "llm.output_messages.")
INPUT_TOKENS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
    "llm.usage.prompt_tokens",
)
OUTPUT_TOKENS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
    "llm.usage.completion_tokens",
)
# An output's optional fields, each from the first of its attributes that is set.
OPTIONAL_FIELDS = (
    ("session_id", ("gen_ai.conversation.id", "session.id")),
    ("user_id", ("user.id", "enduser.id")),
    ("model_version", ("tripwire.model_version",)),
    ("prompt_version", ("tripwire.prompt_version",)),
    ("context", ("tripwire.context",)),
    ("input_tokens", INPUT_TOKENS),
    ("output_tokens", OUTPUT_TOKENS),
)
# Fields read from the first usable of their keys (absent keys are skipped, so only the
# present ones need asking); the others take `a or b` of their keys, absent ones included.
TOKEN_FIELDS = frozenset({"input_tokens", "output_tokens"})
# Room for `otel.span.name` and `otel.scope.name` beside the kept attributes.
MAX_KEPT = MAX_OBJECT_KEYS - 2
# Shapes remembered per export: one per instrumentation is the usual case; a sender varying
# its keys span by span costs the work per span, never memory.
MAX_SHAPES = 64


@dataclass(frozen=True, slots=True)
class SpanShape:
    """`kept`: the `gen_ai.*` keys an output keeps as attributes (not content), sorted, at most
    `MAX_KEPT`. `flattened`: the `FLATTENED_PREFIXES` that some key starts with. `optional`:
    the `OPTIONAL_FIELDS` that one of their keys is there for, token counts with the present
    keys only."""

    kept: tuple[str, ...]
    flattened: frozenset[str]
    optional: tuple[tuple[str, tuple[str, ...]], ...]


def shape_of(keys: Collection[str]) -> SpanShape:
    keys_set = frozenset(keys)
    kept = sorted(
        k
        for k in keys
        if k.startswith("gen_ai.") and k not in CONTENT_KEYS and not k.startswith(FLATTENED_CONTENT)
    )
    flattened = frozenset(p for p in FLATTENED_PREFIXES if any(k.startswith(p) for k in keys))
    optional = tuple(
        (field, _present(sources, keys_set) if field in TOKEN_FIELDS else sources)
        for field, sources in OPTIONAL_FIELDS
        if not keys_set.isdisjoint(sources)
    )
    return SpanShape(tuple(kept[:MAX_KEPT]), flattened, optional)


def _present(keys: tuple[str, ...], known: frozenset[str]) -> tuple[str, ...]:
    return tuple(k for k in keys if k in known)


class Shapes:
    """The shapes met in one export, by the attribute keys in their order."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, ...], SpanShape] = {}

    def of(self, attrs: dict[str, Any]) -> SpanShape:
        keys = tuple(attrs)
        shape = self._known.get(keys)
        if shape is None:
            shape = shape_of(keys)
            if len(self._known) < MAX_SHAPES:
                self._known[keys] = shape
        return shape
