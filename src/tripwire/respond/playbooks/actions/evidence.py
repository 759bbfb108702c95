"""Automatic steps that gather evidence: a sample of outputs, the exposure of a safety
incident, the exact input/output chain, and whether a hallucination is a pattern."""

from __future__ import annotations

from datetime import timedelta

from tripwire.config.playbooks import StepSpec
from tripwire.domain.clock import isoformat_z
from tripwire.respond.attribution.metrics import choose_metric
from tripwire.respond.attribution.query import load_observations
from tripwire.respond.attribution.scoring import Stats
from tripwire.respond.playbooks import evidence
from tripwire.respond.playbooks.actions.base import ActionContext, Outcome

STILL_HAPPENING = timedelta(minutes=15)
BASELINE = timedelta(hours=6)
PATTERN_MIN = 3


def sample_outputs(ctx: ActionContext, step: StepSpec) -> Outcome:
    """A representative sample since the onset, with scores, and the metric before vs since."""
    inc = ctx.incident
    size = int(step.params.get("size", 20))
    ids = evidence.spread(
        evidence.output_ids(ctx.session, inc.use_case, inc.started_at, ctx.now), size
    )
    sample = evidence.outputs_with_scores(ctx.session, ids)
    spec = choose_metric(inc.type, [s.metric for s in inc.signals])
    before = Stats.of(
        o.value
        for o in load_observations(
            ctx.session, inc.use_case, spec, inc.started_at - BASELINE, inc.started_at
        )
        if o.ts < inc.started_at
    )
    since = Stats.of(
        o.value for o in load_observations(ctx.session, inc.use_case, spec, inc.started_at, ctx.now)
    )
    if not sample:
        return Outcome("manual", "no outputs since the onset to sample; confirm by hand")
    text = f"sampled {len(sample)} outputs since {isoformat_z(inc.started_at)}"
    if since.n and before.n:
        text += (
            f"; {spec.label} {spec.show(since.mean)} over {since.n} since the onset against "
            f"{spec.show(before.mean)} over {before.n} in the 6 h before"
        )
        worse = since.mean > before.mean if spec.higher_is_worse else since.mean < before.mean
        ctx.facts["confirmed"] = worse
        text += " (confirmed)" if worse else " (not confirmed by the sample)"
    return Outcome("done", text, {"outputs": sample}, kind="evidence")


def assess_exposure(ctx: ActionContext, step: StepSpec) -> Outcome:
    inc = ctx.incident
    seen = evidence.flagged(ctx.session, inc.use_case, inc.started_at, ctx.now)
    ongoing = seen.last_at is not None and ctx.now - seen.last_at <= STILL_HAPPENING
    ctx.facts["still_happening"] = ongoing
    when = f"last at {isoformat_z(seen.last_at)}" if seen.last_at else "none flagged"
    text = (
        f"{seen.triggered} of {seen.checks} safety checks triggered since "
        f"{isoformat_z(inc.started_at)}, on {len(set(seen.output_ids))} outputs seen by "
        f"{seen.users} distinct users; "
        + ("still happening" if ongoing else "not seen in the last 15 min")
        + f" ({when})"
    )
    data = {
        "checks": seen.checks,
        "triggered": seen.triggered,
        "outputs": len(set(seen.output_ids)),
        "users": seen.users,
        "still_happening": ongoing,
    }
    return Outcome("done", text, data)


def capture_chain(ctx: ActionContext, step: StepSpec) -> Outcome:
    """The exact input/output chain: flagged outputs for safety, the worst scored otherwise."""
    inc = ctx.incident
    size = int(step.params.get("size", 10))
    ids = evidence.flagged(ctx.session, inc.use_case, inc.started_at, ctx.now).output_ids
    what = "flagged by the safety filter"
    if not ids:
        spec = choose_metric(inc.type, [s.metric for s in inc.signals])
        name = spec.score_name or "groundedness"
        ids, _ = evidence.lowest_scored(
            ctx.session, inc.use_case, name, inc.started_at, ctx.now, size
        )
        what = f"with the lowest {name}"
    chain = evidence.outputs_with_scores(ctx.session, list(dict.fromkeys(ids))[:size])
    if not chain:
        return Outcome("manual", "no outputs to capture yet; attach the chain by hand")
    text = f"captured {len(chain)} input/output chains {what} as evidence"
    return Outcome("done", text, {"chain": chain}, kind="evidence")


def assess_pattern(ctx: ActionContext, step: StepSpec) -> Outcome:
    """One query or a pattern: how many outputs since the onset score clearly false."""
    inc = ctx.incident
    spec = choose_metric(inc.type, [s.metric for s in inc.signals])
    name = spec.score_name or "groundedness"
    worst, bad = evidence.lowest_scored(ctx.session, inc.use_case, name, inc.started_at, ctx.now, 5)
    pattern = bad >= PATTERN_MIN
    ctx.facts["pattern"] = pattern
    verdict = "a pattern" if pattern else "a one-off so far"
    text = f"{bad} outputs since the onset scored {name} below 0.5: {verdict}"
    return Outcome("done", text, {"low_scored": bad, "examples": worst, "pattern": pattern})
