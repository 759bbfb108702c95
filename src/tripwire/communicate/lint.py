"""Lint for user communications: specific about scope, accountable, not over-technical.

Each rule is a plain check over the text; a finding says what is wrong and how to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    message: str
    excerpt: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"rule": self.rule, "message": self.message, "excerpt": self.excerpt}


@dataclass(frozen=True, slots=True)
class Scope:
    """What the message should name: the affected use case(s) and whether it closes the loop."""

    use_cases: tuple[str, ...] = ()
    resolved: bool = False
    follow_up: bool = False


VAGUE = re.compile(
    r"\b(some (users|customers|people)|may have been (affected|impacted)|"
    r"a (small )?(number|subset) of (users|customers)|certain (users|customers)|"
    r"intermittent(ly)? issues?|some issues?)\b",
    re.I,
)
BLAME = re.compile(
    r"\b(the (ai|model|algorithm|bot) (decided|chose|went rogue|made a mistake|misbehaved)|"
    r"(ai|model) hallucinat\w*|blame)\b",
    re.I,
)
JARGON = re.compile(
    r"\b(tokens?|temperature|embeddings?|prompt templates?|system prompt|llm|inference|weights|"
    r"rag|vector (store|database)|fine-?tun\w*|context window|logits?)\b",
    re.I,
)
TIME = re.compile(
    r"\b(\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}|(mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}|utc|gmt)\b",
    re.I,
)
OUTPUT_ADVICE = re.compile(
    r"\b(review|re-?check|double-?check|discard|disregard|regenerate|re-?run|verify|ignore)\b", re.I
)
PREVENTION = re.compile(
    r"\b(to prevent|prevent (this|it|recurrence)|going forward|we have added|we added|"
    r"from now on|so that this)\b",
    re.I,
)


def lint(text: str, scope: Scope) -> list[Finding]:
    """Every problem found in `text`; an empty list means the message is ready to send."""
    findings: list[Finding] = []
    if match := VAGUE.search(text):
        findings.append(
            Finding(
                "vague-scope",
                "Say exactly who and what was affected "
                "(which use cases, how many people or answers).",
                match.group(0),
            )
        )
    if scope.use_cases and not any(u.lower() in text.lower() for u in scope.use_cases):
        findings.append(
            Finding("no-use-case", "Name the affected feature: " + ", ".join(scope.use_cases) + ".")
        )
    if not TIME.search(text):
        findings.append(
            Finding("no-time-window", "Give the time period (start and end, with a time zone).")
        )
    if not OUTPUT_ADVICE.search(text):
        findings.append(
            Finding(
                "no-output-advice",
                "Tell people what to do with answers "
                "they received during that period (review, discard, regenerate).",
            )
        )
    if match := BLAME.search(text):
        findings.append(
            Finding(
                "blames-the-ai",
                "Take accountability for the product; do not blame the model.",
                match.group(0),
            )
        )
    if match := JARGON.search(text):
        findings.append(
            Finding(
                "over-technical",
                "Leave out how the AI works; say what happened, "
                "what it means for them and what you are doing.",
                match.group(0),
            )
        )
    if (scope.resolved or scope.follow_up) and not PREVENTION.search(text):
        findings.append(
            Finding("no-prevention", "Say what you changed to prevent it happening again.")
        )
    return findings
