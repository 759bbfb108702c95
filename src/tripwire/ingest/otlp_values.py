"""OTLP attribute values as plain Python, and GenAI message content as text."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any


def any_value(value: Any) -> Any:
    """An OTLP `AnyValue` as str, bool, int, float, list, dict or None."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return getattr(value, kind)


def attributes(key_values: Iterable[Any]) -> dict[str, Any]:
    """OTLP `KeyValue`s as a dict; a repeated key keeps its last value."""
    return {kv.key: any_value(kv.value) for kv in key_values}


def messages_text(value: Any) -> str | None:
    """The text of GenAI messages: a JSON string or structured `[{role, parts}]` messages.

    One message gives its text; several give one `role: text` line each. A plain string that is
    not JSON is taken as the text itself. Returns None when nothing usable is there.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if not isinstance(parsed, list | dict):
            return value
        value = parsed
    messages = value if isinstance(value, list) else [value]
    rendered = [(_role(m), _message_text(m)) for m in messages]
    rendered = [(role, text) for role, text in rendered if text]
    if not rendered:
        return None
    if len(rendered) == 1:
        return rendered[0][1]
    return "\n".join(f"{role}: {text}" if role else text for role, text in rendered)


def _role(message: Any) -> str:
    return str(message.get("role") or "") if isinstance(message, dict) else ""


def _message_text(message: Any) -> str:
    if isinstance(message, str):
        return message
    if not isinstance(message, dict):
        return ""
    parts = message.get("parts")
    if isinstance(parts, list):
        return "\n".join(t for t in (_part_text(p) for p in parts) if t)
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI-style content blocks
        return "\n".join(t for t in (_part_text(p) for p in content) if t)
    return ""


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = part.get("type", "text")
    if kind == "text":
        text = part.get("content", part.get("text"))
        return text if isinstance(text, str) else ""
    if kind == "tool_call":
        return f"[tool call {part.get('name', '?')}]"
    if kind == "tool_call_response":
        response = part.get("response", part.get("result"))
        return response if isinstance(response, str) else json.dumps(response, default=str)
    return ""


def indexed_text(attrs: dict[str, Any], prefix: str, suffix: str) -> str | None:
    """Flattened messages such as `gen_ai.prompt.0.content` (OpenLLMetry) or
    `llm.input_messages.0.message.content` (OpenInference), joined in index order."""
    found: list[tuple[int, str]] = []
    for key, value in attrs.items():
        if key.startswith(prefix) and key.endswith(suffix) and isinstance(value, str):
            middle = key[len(prefix) : len(key) - len(suffix)]
            if middle.isascii() and middle.isdigit() and len(middle) <= 6:
                found.append((int(middle), value))
    if not found:
        return None
    return "\n".join(text for _, text in sorted(found))
