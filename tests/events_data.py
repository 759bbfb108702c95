"""One valid example of each event type, for tests to copy and break."""

from __future__ import annotations

import copy
from typing import Any

TS = "2026-11-20T09:00:00Z"

VALID: dict[str, dict[str, Any]] = {
    "output": {
        "id": "out-1",
        "type": "output",
        "ts": TS,
        "use_case": "support-chat",
        "model": "gpt-4o",
        "model_version": "2024-08-06",
        "prompt_version": "p3",
        "user_id": "u-1",
        "session_id": "s-1",
        "input": "What is the refund window?",
        "output": "30 days.",
        "context": ["Refunds are accepted within 30 days."],
        "latency_ms": 812.5,
        "status": "ok",
        "scores": {"quality": 0.9},
        "attributes": {"tokens": 42, "nested": {"a": [1, 2]}},
    },
    "feedback": {
        "id": "fb-1",
        "type": "feedback",
        "ts": TS,
        "use_case": "support-chat",
        "output_id": "out-1",
        "user_id": "u-1",
        "rating": "down",
        "comment": "wrong",
    },
    "safety": {
        "id": "sf-1",
        "type": "safety",
        "ts": TS,
        "use_case": "support-chat",
        "filter": "toxicity",
        "triggered": True,
        "output_id": "out-1",
        "category": "hate",
    },
    "ticket": {
        "id": "tk-1",
        "type": "ticket",
        "ts": TS,
        "use_case": "support-chat",
        "text": "The bot told me refunds take 90 days",
        "subject": "refund",
        "channel": "email",
        "user_id": "u-1",
    },
    "change": {
        "id": "chg-1",
        "type": "change",
        "ts": TS,
        "kind": "prompt_change",
        "component": "system-prompt",
        "version": "p4",
        "previous_version": "p3",
        "description": "shorter answers",
        "author": "ana",
        "rollback": {"flag": "prompt-version", "variant": "p3"},
    },
    "score": {
        "id": "sc-1",
        "type": "score",
        "ts": TS,
        "use_case": "support-chat",
        "output_id": "out-1",
        "name": "groundedness",
        "value": 0.25,
        "label": "ungrounded",
        "explanation": "claims 90 days",
        "source": "ragas",
    },
    "metric": {
        "id": "m-1",
        "type": "metric",
        "ts": "2026-11-20T10:00:00.123456789+02:00",
        "use_case": "support-chat",
        "name": "gpu_util",
        "value": -3,
        "labels": {"host": "a"},
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "output": ("id", "ts", "use_case", "model"),  # input/output absent: not captured
    "feedback": ("id", "ts", "use_case", "rating"),
    "safety": ("id", "ts", "use_case", "filter", "triggered"),
    "ticket": ("id", "ts", "use_case", "text"),
    "change": ("id", "ts", "kind", "version"),
    "score": ("id", "ts", "use_case", "output_id", "name", "value"),
    "metric": ("id", "ts", "use_case", "name", "value"),
}


def valid(event_type: str, /, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(VALID[event_type])
    event.update(changes)
    return event


def minimal(kind: str) -> dict[str, Any]:
    return {k: v for k, v in VALID[kind].items() if k in (*REQUIRED[kind], "type")}
