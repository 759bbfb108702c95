"""Escalation policies as a pure step function: which level pages next, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tripwire.config.respond import EscalationPolicy


@dataclass(frozen=True, slots=True)
class Step:
    """Page `level` (0-based) now, in round `round_` (0 = first pass); escalate again at
    `next_at` unless acknowledged (None: the policy is exhausted after this level)."""

    level: int
    round_: int
    next_at: datetime | None


def first_step(policy: EscalationPolicy, now: datetime) -> Step:
    return Step(0, 0, _after(policy, 0, 0, now))


def next_step(policy: EscalationPolicy, level: int, round_: int, now: datetime) -> Step | None:
    """The step after `level` in `round_`; None when every level and repeat has been used."""
    if level + 1 < len(policy.levels):
        return Step(level + 1, round_, _after(policy, level + 1, round_, now))
    if round_ < policy.repeat:
        return Step(0, round_ + 1, _after(policy, 0, round_ + 1, now))
    return None


def _after(policy: EscalationPolicy, level: int, round_: int, now: datetime) -> datetime | None:
    last = level + 1 >= len(policy.levels) and round_ >= policy.repeat
    return None if last else now + policy.levels[level].timeout
