"""Severity from written rules: magnitude, use-case criticality, people exposed and type, held
down while the evidence is one detector stream's unconfirmed alert.

A CUSUM alert on one stream is a chance excess about once per stream's budget; a use case has
dozens of streams, and in a critical use case every incident matches a P0 or P1 rule, so a
false alert would page the whole escalation chain at night. Until the change is confirmed (its
detector's support after the alert, or a second monitor's signal, or a source outside the
detector) an incident of `severity.confirm_types` opens at `severity.unconfirmed` at most, and
so does one of `severity.confirm_below` whose change is smaller than that type's size (a
latency rise of 20 %; a doubled error rate pages at once), and one of any type whose alert
rests on fewer than `severity.thin_events` events (a sparse rate's handful of flagged checks),
and one of any type that rests on `severity.confirm_signals` alone (ticket topics), and one
of `severity.confirm_within` whose detector would confirm a real change within that many
minutes (a dense stream's errors);
the rules raise it the moment the evidence arrives (reassessment runs on every signal
change)."""

from __future__ import annotations

from dataclasses import dataclass

from tripwire.config.respond import Criticality, RespondConfig, SeverityRule
from tripwire.domain.incidents import IncidentType, Severity, rank


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules look at. `magnitude` is the relative size of the worst signal."""

    type: IncidentType
    criticality: Criticality
    magnitude: float | None = None
    exposed_users: int = 0
    exposed_outputs: int = 0
    confirmed: bool = True  # False: one detector stream's alert, not yet confirmed
    events: float | None = None  # what that alert's rate counted (None: not a count)
    signals: frozenset[str] = frozenset()  # the kinds of its detector signals (ticket_topic...)
    confirm_in: float | None = None  # minutes its detectors need to confirm it, if it is real


@dataclass(frozen=True, slots=True)
class Assessment:
    """The severity and the names of the rules that set it (empty: the default applied)."""

    severity: Severity
    reasons: tuple[str, ...]

    def because(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "no rule matched: the default"


def matches(rule: SeverityRule, facts: Facts) -> bool:
    if rule.type is not None and facts.type not in rule.type:
        return False
    if rule.criticality is not None and facts.criticality not in rule.criticality:
        return False
    if rule.min_magnitude is not None and (facts.magnitude or 0.0) < rule.min_magnitude:
        return False
    if rule.min_exposed_users is not None and facts.exposed_users < rule.min_exposed_users:
        return False
    return not (
        rule.min_exposed_outputs is not None and facts.exposed_outputs < rule.min_exposed_outputs
    )


def assess(config: RespondConfig, facts: Facts) -> Assessment:
    """The most severe matching rule wins; every rule at that level is named as a reason."""
    hits = [r for r in config.severity.rules if matches(r, facts)]
    if not hits:
        return Assessment(config.severity.default, ())
    best = min(hits, key=lambda r: rank(r.severity)).severity
    return Assessment(best, tuple(r.name for r in hits if r.severity == best))


def ceiling(config: RespondConfig, facts: Facts) -> Severity | None:
    """The most the evidence allows (None: no limit): `severity.unconfirmed` while the incident
    rests on one unconfirmed detector stream and its type is one of `confirm_types`, or one
    of `confirm_below` with a change smaller than that type's size (a large change is a fact
    people see: a doubled error rate pages at once)."""
    cap = config.severity.unconfirmed
    if facts.confirmed or cap is None:
        return None
    if facts.type in config.severity.confirm_types or thin(config, facts):
        return cap
    if facts.signals and facts.signals <= set(config.severity.confirm_signals):
        return cap  # only complaints so far, whatever type they point at
    if quick(config, facts):
        return cap
    below = config.severity.confirm_below.get(facts.type)
    return cap if below is not None and (facts.magnitude or 0.0) < below else None


def thin(config: RespondConfig, facts: Facts) -> bool:
    """The alert's rate rests on fewer events than `severity.thin_events`: a sparse series
    (a small use case's safety checks or errors) crosses its line on a handful of them, so
    its size is a rough guess and a chance handful looks like a surge. Its detector confirms
    a real one within the hour (docs/detect-studies.md, "Thin evidence")."""
    return facts.events is not None and facts.events < config.severity.thin_events


def quick(config: RespondConfig, facts: Facts) -> bool:
    """A real change of the size reported would be confirmed within the type's
    `confirm_within` minutes: a dense stream (a large use case's errors) confirms a real surge
    in a few, so the page waits that long, and a chance cluster, never confirmed, never pages.
    A sparse stream's real outage would wait hours for its confirmation: it pages at once."""
    within = config.severity.confirm_within.get(facts.type)
    return within is not None and facts.confirm_in is not None and facts.confirm_in <= within


def held(config: RespondConfig, facts: Facts, judged: Assessment) -> Assessment:
    """`judged` held at the evidence's ceiling, the reason said."""
    cap = ceiling(config, facts)
    if cap is None or rank(judged.severity) >= rank(cap):
        return judged
    why = f"held at {cap} until confirmed ({judged.because()} asks {judged.severity})"
    return Assessment(cap, (f"one unconfirmed signal: {why}",))


def hint_reason(source: str) -> str:
    """Why a hint set the severity: a detector estimates it from the size of the change; an
    external sender (PagerDuty, Alertmanager) states it."""
    if source == "detector":
        return "the size of the change (detector's estimate)"
    return f"the severity {source} sent"


def criticality_of(config: RespondConfig, use_case: str | None) -> Criticality:
    """Configured criticality, else `critical` when the name holds a high-stakes keyword
    (med, legal, ...), else `standard`."""
    if use_case is None:
        return "standard"
    known = config.use_cases.get(use_case)
    if known is not None:
        return known.criticality
    lowered = use_case.lower()
    if any(word in lowered for word in config.critical_keywords):
        return "critical"
    return "standard"
