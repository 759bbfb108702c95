"""Drafts of user communications, specific about scope, from an incident's facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tripwire.communicate.lint import Finding, Scope, lint

Kind = Literal["initial", "resolution", "follow_up"]

WHAT_WENT_WRONG = {
    "quality_regression": "answers from {feature} were less accurate and less helpful than usual",
    "hallucination": "{feature} gave some answers that stated facts that were not true",
    "safety": "{feature} produced responses that break our content rules",
    "availability": "{feature} was slow or unavailable",
}
WHAT_TO_DO = {
    "quality_regression": "please review answers you received in that period before relying on "
    "them, or regenerate them now",
    "hallucination": "please double-check any facts, figures or advice from answers you received "
    "in that period, and do not rely on them without verifying",
    "safety": "please disregard and do not share responses from that period that seem "
    "inappropriate; you can report any you saw to support",
    "availability": "requests that failed in that period can be re-run now",
}


@dataclass(frozen=True, slots=True)
class DraftFacts:
    type: str
    use_case: str | None
    feature_name: str
    started_at: datetime
    ended_at: datetime | None
    exposed_users: int
    exposed_outputs: int


@dataclass(frozen=True, slots=True)
class Draft:
    kind: Kind
    subject: str
    text: str
    findings: list[Finding]


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def draft(facts: DraftFacts, kind: Kind) -> Draft:
    """A message people can edit and send; `findings` lints it (a fresh draft should be clean,
    apart from `no-prevention`, which only a person can fill in)."""
    feature = facts.feature_name
    wrong = WHAT_WENT_WRONG.get(facts.type, "{feature} did not work as it should").format(
        feature=feature
    )
    period = f"from {_when(facts.started_at)}" + (
        f" to {_when(facts.ended_at)}" if facts.ended_at else " until now"
    )
    reach = (
        f" It affected {facts.exposed_users} people and {facts.exposed_outputs} answers."
        if facts.exposed_users or facts.exposed_outputs
        else ""
    )
    advice = WHAT_TO_DO.get(facts.type, "please review what you received in that period")
    if kind == "initial":
        subject = f"We are fixing a problem with {feature}"
        body = (
            f"We found a problem: {period}, {wrong}.{reach} We are working on it now and will "
            f"update you when it is fixed. In the meantime, {advice}."
        )
    elif kind == "resolution":
        subject = f"Fixed: a problem with {feature}"
        body = (
            f"We fixed a problem with {feature}: {period}, {wrong}.{reach} It is working "
            f"normally again. If you used {feature} in that period, {advice}. "
            "To prevent this happening again, we are [say what you changed]."
        )
    else:
        subject = f"What we changed after the problem with {feature}"
        body = (
            f"{period.capitalize()}, {wrong}. We have added [the checks or safeguards] so that "
            f"this is caught before it reaches you. If you used {feature} in that period and "
            f"have not yet done so, {advice}."
        )
    scope = Scope(
        use_cases=(feature,), resolved=kind == "resolution", follow_up=kind == "follow_up"
    )
    return Draft(kind, subject, body, lint(body, scope))
