"""Ticket topics (docs/evaluate.md)."""

from __future__ import annotations

TOPICS: tuple[str, ...] = (
    "wrong_answer",
    "inappropriate_response",
    "ai_quality_other",
    "availability",
    "not_ai",
)


def ticket_text(text: str, subject: str | None = None) -> str:
    """What the classifier reads: the subject line, then the body."""
    return f"{subject}\n{text}" if subject else text
