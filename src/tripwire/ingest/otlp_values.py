"""OTLP attribute values as plain Python, and GenAI message content as text."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

import orjson


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


_SCALARS = frozenset({"string_value", "bool_value", "int_value", "double_value"})


def attributes(key_values: Iterable[Any]) -> dict[str, Any]:
    """OTLP `KeyValue`s as a dict; a repeated key keeps its last value."""
    found: dict[str, Any] = {}
    for kv in key_values:  # every attribute of every span: scalars without a call each
        value = kv.value
        text = value.string_value  # most values are text: one access tells a non-empty one
        if text:
            found[kv.key] = text
            continue
        kind = value.WhichOneof("value")
        found[kv.key] = getattr(value, kind) if kind in _SCALARS else any_value(value)
    return found


def messages_text(value: Any) -> str | None:
    """The text of GenAI messages, or None when there is none (see `messages_content`)."""
    return messages_content(value) or None


def messages_content(value: Any) -> str | None:
    """The text of GenAI messages: a JSON string or structured `[{role, parts}]` messages, an
    OpenAI request (`{"messages": [...]}`) or response (`{"choices": [...]}`).

    One message gives its text; several give one `role: text` line each. A plain string that is
    not JSON is taken as the text itself. Returns "" when messages are there but their text is
    empty (captured, and empty), None when there is no content at all (not captured).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip() in REDACTED:
            return None
        try:
            parsed = orjson.loads(value)  # what is not JSON (or NaN, or huge) is plain text
        except orjson.JSONDecodeError:
            return value
        messages = _as_messages(parsed)
        return value if messages is None else _messages_text(messages)
    messages = _as_messages(value)
    return None if messages is None else _messages_text(messages)


# What instrumentations write in place of content they were told to hide.
REDACTED = frozenset({"__REDACTED__", "<redacted>", "[REDACTED]"})


def _as_messages(value: Any) -> list[Any] | None:
    """The messages (each a dict or a string), or None when `value` does not look like them."""
    if isinstance(value, dict):
        if isinstance(value.get("messages"), list):
            value = value["messages"]
        elif isinstance(value.get("choices"), list):
            value = [c.get("message", c) for c in value["choices"] if isinstance(c, dict)]
        elif any(k in value for k in ("role", "parts", "content")):
            value = [value]
        else:
            return None
    if not isinstance(value, list) or not value:
        return None
    for message in value:
        if not isinstance(message, (str, dict)):  # a tuple: no union built per call
            return None
    return value


def _messages_text(messages: list[Any]) -> str:
    if len(messages) == 1:  # the usual case: one message gives its text, whatever its role
        return _message_text(messages[0])
    return render([(_role(m), _message_text(m)) for m in messages])


def render(messages: list[tuple[str, str]]) -> str:
    """(role, text) pairs as text: one message gives its text, several one `role: text` line
    each; messages without text are left out; "" when none has text."""
    shown = [(role, text) for role, text in messages if text]
    if len(shown) == 1:
        return shown[0][1]
    return "\n".join(f"{role}: {text}" if role else text for role, text in shown)


def _role(message: Any) -> str:
    return str(message.get("role") or "") if isinstance(message, dict) else ""


def _message_text(message: Any) -> str:
    if isinstance(message, str):
        return message
    if not isinstance(message, dict):
        return ""
    parts = message.get("parts")
    if isinstance(parts, list):
        if len(parts) == 1:  # the usual message: one text part, nothing to join
            return _part_text(parts[0])
        return "\n".join([t for t in map(_part_text, parts) if t])
    content = message.get("content")
    if isinstance(content, str) and content:
        return content
    if isinstance(content, list):  # OpenAI-style content blocks
        return "\n".join([t for t in map(_part_text, content) if t])
    return tool_calls_text(message.get("tool_calls"))


def tool_calls_text(calls: Any) -> str:
    """OpenAI-style `tool_calls` as `[tool call NAME]` lines ("" when there are none)."""
    if not isinstance(calls, list):
        return ""
    names = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        names.append(f"[tool call {name if isinstance(name, str) and name else '?'}]")
    return "\n".join(names)


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = part.get("type", "text")
    if kind == "text":
        text = part["content"] if "content" in part else part.get("text")
        return text if isinstance(text, str) else ""
    if kind == "tool_call":
        return f"[tool call {part.get('name', '?')}]"
    if kind == "tool_call_response":
        response = part.get("response", part.get("result"))
        return response if isinstance(response, str) else json.dumps(response, default=str)
    return ""


def indexed_text(attrs: dict[str, Any], prefix: str, suffix: str) -> str | None:
    """Flattened messages such as `gen_ai.prompt.0.content` (OpenLLMetry) joined in index
    order, or None when there are none."""
    return indexed_messages(attrs, prefix, suffix, None) or None


def indexed_messages(
    attrs: dict[str, Any], prefix: str, content: str, role: str | None
) -> str | None:
    """Flattened messages: `<prefix>N<content>` texts and `<prefix>N<role>` roles, e.g.
    `llm.output_messages.0.message.content` (OpenInference). A message with a role and no
    text is there and empty ("" when no message has text); None when there are no messages."""
    texts: dict[int, str] = {}
    roles: dict[int, str] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix):
            continue
        index, dot, rest = key[len(prefix) :].partition(".")
        if not (index.isascii() and index.isdigit() and len(index) <= 6) or not dot:
            continue
        if "." + rest == content and isinstance(value, str):
            texts[int(index)] = value
        elif role is not None and "." + rest == role:
            roles[int(index)] = str(value)
    found = sorted(set(texts) | set(roles))
    if not found:
        return None
    return render([(roles.get(i, ""), texts.get(i, "")) for i in found])
