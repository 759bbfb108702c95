"""An incident's type from all of its evidence, with the reason in words.

The evidence is every signal of the incident (which monitors fired, of which type, by how much,
from which score source) and the content of the outputs since its onset (how many the built-in
quality evaluator labelled refusals, truncated or empty answers). Rules, most specific first:

1. flagged or blocked content (safety triggers, inappropriate-response tickets): `safety`;
2. claims not supported by their context (a groundedness drop, wrong-answer tickets):
   `hallucination`, unless the quality evidence explains the drop: Tripwire's own groundedness
   evaluator scores refusals and vague answers as ungrounded, so a built-in groundedness drop
   beside a quality-score drop or a wave of refusals is a quality regression, and so is any
   groundedness drop beside a wave of refusals or a deeper quality-score drop;
3. errors, latency or runaway cost: `availability` (thumbs-down follows every outage, and a
   groundedness-score drop beside it is read as a symptom: failing, cut-off or fallback
   answers score as ungrounded, so an outage must not page as a hallucination);
4. refusals, vague or truncated answers, a quality-score drop, thumbs-down, quality tickets:
   `quality_regression`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tripwire.domain.incidents import IncidentType

BUILTIN_SOURCE = "tripwire:"
REFUSALS = frozenset({"refusal", "partial_refusal", "truncated", "empty", "repetition"})


@dataclass(frozen=True, slots=True)
class Clue:
    """One signal, as the typing rules see it."""

    type: IncidentType
    monitor: str
    kind: str | None  # the detector's signal kind (score_mean, ticket_topic, ...), if any
    source: str | None  # the score source of a score-mean signal ("tripwire:..." is built in)
    magnitude: float

    @property
    def label(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"{self.monitor}{where} {self.magnitude:+.0%}"


@dataclass(frozen=True, slots=True)
class Content:
    """Built-in quality labels of the outputs scored since the onset, and before it."""

    scored: int = 0
    refusals: int = 0
    scored_before: int = 0
    refusals_before: int = 0

    def refusal_wave(self) -> bool:
        """Clearly more refusals, truncated or empty answers than before the onset."""
        if self.scored < 5 or self.refusals < 3:
            return False
        now = self.refusals / self.scored
        before = self.refusals_before / self.scored_before if self.scored_before else 0.0
        return now >= 2 * before + 0.05

    def describe(self) -> str:
        return f"{self.refusals} of {self.scored} scored outputs refuse, stop short or are empty"


@dataclass(frozen=True, slots=True)
class Verdict:
    type: IncidentType
    reason: str


def _names(clues: list[Clue]) -> str:
    return ", ".join(sorted({c.label for c in clues}))


def _explained(clue: Clue, quality: list[Clue], content: Content) -> bool:
    """A groundedness drop that the quality evidence accounts for (not a hallucination)."""
    if clue.kind != "score_mean":
        return False  # wrong-answer tickets are people reporting false facts
    if any(q.type == "availability" for q in quality):
        return True  # an outage's failing answers score as ungrounded
    score_drops = [q for q in quality if q.kind == "score_mean"]
    if (clue.source or "").startswith(BUILTIN_SOURCE):
        return bool(score_drops) or content.refusal_wave()
    return content.refusal_wave() or any(q.magnitude >= clue.magnitude for q in score_drops)


def decide(clues: list[Clue], content: Content, current: IncidentType) -> Verdict:
    """The type the evidence supports, and why; `current` when there is no evidence."""
    of = {t: [c for c in clues if c.type == t] for t in ("safety", "hallucination")}
    quality = [c for c in clues if c.type == "quality_regression"]
    availability = [c for c in clues if c.type == "availability"]
    if of["safety"]:
        return Verdict("safety", f"flagged or blocked content: {_names(of['safety'])}")
    real = [c for c in of["hallucination"] if not _explained(c, quality + availability, content)]
    explained = [c for c in of["hallucination"] if c not in real]
    if real:
        return Verdict("hallucination", f"claims not supported by context: {_names(real)}")
    if availability:
        reason = f"errors, latency or cost: {_names(availability)}"
        if explained:
            reason += f"; groundedness drop ({_names(explained)}) read as its symptom"
        return Verdict("availability", reason)
    if quality or explained or content.refusal_wave():
        return Verdict("quality_regression", _quality_reason(quality, explained, content))
    return Verdict(current, "no typed evidence: the first signal's type")


def _quality_reason(quality: list[Clue], explained: list[Clue], content: Content) -> str:
    parts = [f"worse answers: {_names(quality)}"] if quality else []
    if content.refusal_wave():
        parts.append(content.describe())
    if explained:
        parts.append(
            f"groundedness drop ({_names(explained)}) explained by refusals or the quality drop"
        )
    return "; ".join(parts) or "worse answers"
