"""Outputs that arrived without their content, and the setting that would turn capture on.

Instrumentations leave prompts and answers out by default (they may hold personal data), so
the first thing a new user sees can be outputs that cannot be judged. Tripwire counts them per
use case and names the exact switch for the instrumentation that sent them (from the span's
instrumentation scope, kept in `attributes["otel.scope.name"]`).
"""

from __future__ import annotations

from typing import Any

from tripwire.domain.events import content_captured

SCOPE_ATTRIBUTE = "otel.scope.name"
OFFICIAL = (
    "opentelemetry.instrumentation.openai_v2",
    "opentelemetry.instrumentation.google_genai",
    "opentelemetry.instrumentation.vertexai",
    "opentelemetry.instrumentation.openai_agents",
)
OFFICIAL_SETTING = (
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (and export logs to /v1/otlp/logs)"
)
LATEST_SETTING = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY"
OPENINFERENCE_SETTING = "OPENINFERENCE_HIDE_INPUTS=false and OPENINFERENCE_HIDE_OUTPUTS=false"
OPENLLMETRY_SETTING = "TRACELOOP_TRACE_CONTENT=true"
EVENT_SETTING = "send `input` and `output` on the output event (SDK: log_output(input=, output=))"
MAX_SCOPE = 120


def missing_content(output: dict[str, Any]) -> bool:
    """An output that should carry content and does not: no answer on a completed call, or
    nothing at all on a failed one (a failed call has no answer, but its prompt can be kept)."""
    if content_captured(output):
        return False
    return output.get("status", "ok") == "ok" or "input" not in output


def capture_setting(output: dict[str, Any]) -> str:
    """The exact setting that turns content capture on for whatever sent `output`."""
    attributes = output.get("attributes")
    scope = attributes.get(SCOPE_ATTRIBUTE) if isinstance(attributes, dict) else None
    if not isinstance(scope, str) or not scope:
        return EVENT_SETTING
    if scope.startswith(OFFICIAL):
        return OFFICIAL_SETTING
    if scope.startswith("opentelemetry.util.genai"):
        return LATEST_SETTING
    if scope.startswith("openinference."):
        return OPENINFERENCE_SETTING
    if scope.startswith("opentelemetry.instrumentation."):
        return OPENLLMETRY_SETTING  # Traceloop's OpenLLMetry names its scopes this way
    return f"turn on prompt and completion capture in instrumentation {scope[:MAX_SCOPE]!r}"
