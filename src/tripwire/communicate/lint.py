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
    # Names only the team knows (monitors, metrics, model ids, versions): never in a message.
    internal_terms: tuple[str, ...] = ()


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
# Left for a person to fill in: `[say what you changed]`, `{feature}`, TODO, TBD, XXX.
PLACEHOLDER = re.compile(r"\[[^\]\n]{0,200}\]|\{[^}\n]{0,200}\}|\b(TODO|TBD|FIXME|XXX)\b")
# Identifiers read like internal names: snake_case (`mean_score`, `safety_trigger_rate`),
# `name:value` or `name@value` (`safety-triggers:chat`, `groundedness@product`).
IDENTIFIER = re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b|\b[\w.-]+[:@][\w.-]*[A-Za-z_][\w.-]*")
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
    findings += _unfinished(text, scope)
    if (scope.resolved or scope.follow_up) and not PREVENTION.search(text):
        findings.append(
            Finding("no-prevention", "Say what you changed to prevent it happening again.")
        )
    return findings


def _unfinished(text: str, scope: Scope) -> list[Finding]:
    """Placeholders nobody filled in, and internal names users cannot know."""
    found: list[Finding] = []
    if match := PLACEHOLDER.search(text):
        found.append(
            Finding(
                "placeholder",
                "Replace the placeholder with what really happened or what you did.",
                match.group(0),
            )
        )
    named = {u.lower() for u in scope.use_cases}
    for match in IDENTIFIER.finditer(text):
        if match.group(0).lower() not in named and not _is_time(match.group(0)):
            found.append(
                Finding(
                    "internal-name",
                    "Leave out internal names (monitors, metrics, versions); "
                    "describe the feature as users know it.",
                    match.group(0),
                )
            )
            break
    lowered = text.lower()
    for term in scope.internal_terms:
        if len(term) >= 3 and term.lower() not in named and _mentions(lowered, term.lower()):
            found.append(
                Finding(
                    "internal-name",
                    "Leave out model ids, monitor and metric names; users do not know them.",
                    term,
                )
            )
            break
    return found


def _is_time(token: str) -> bool:
    """Times and e-mail addresses (a support address) are not internal names."""
    return bool(re.fullmatch(r"[\d:.-]+|[\w.+-]+@[\w-]+\.[\w.-]+", token))


def _mentions(text: str, term: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", text) is not None
