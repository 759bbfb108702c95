"""What playbooks do as time passes: confirm rollbacks by the signal's recovery, and rank the
suspects again while evidence accumulates (rolling back once a suspect becomes clear)."""

from __future__ import annotations

from datetime import timedelta

from tripwire.config.playbooks import StepSpec
from tripwire.respond.attribution.scoring import MIN_SEGMENT
from tripwire.respond.playbooks import rollback
from tripwire.respond.playbooks.actions import response
from tripwire.respond.playbooks.actions.base import ActionContext
from tripwire.respond.playbooks.catalog import playbook_for
from tripwire.respond.playbooks.engine import RERANK_EVERY, RERANK_FOR, Engine
from tripwire.store import playbooks as store
from tripwire.store.tables.flags import RollbackRow

RANK_STEP = StepSpec(id="identify_change", title="Rank suspects", action="rank_suspects")
RECHECK = timedelta(minutes=15)
MAX_WAIT = timedelta(hours=4)


def confirm_rollbacks(engine: Engine) -> list[str]:
    """Judge every rollback whose check time came; returns their ids."""
    now = engine.clock.now()
    judged: list[str] = []
    for row in store.rollbacks_to_check(engine.session, now):
        incident = engine.incidents.incident(row.incident_id) if row.incident_id else None
        if incident is None:
            row.state, row.check_at = "unchecked", None
            continue
        rec = rollback.measure(engine.session, incident, row, now)
        if rec.n_after < MIN_SEGMENT and now - row.applied_at < MAX_WAIT:
            row.check_at = now + RECHECK  # too little traffic since: look again later
            continue
        _verdict(engine, row, rec)
        judged.append(row.id)
    return judged


def _verdict(engine: Engine, row: RollbackRow, rec: rollback.Recovery) -> None:
    assert row.incident_id is not None
    recovered = rec.share >= engine.config.playbooks.recovery_share
    row.state = "confirmed" if recovered else "not_recovered"
    row.detail = {
        "baseline": rec.baseline,
        "degraded": rec.degraded,
        "after": rec.after,
        "n_after": rec.n_after,
        "recovered_share": round(rec.share, 3),
    }
    levels = (
        f"{row.metric or 'signal'} {rec.degraded:.3g} while degraded, {rec.after:.3g} over "
        f"{rec.n_after} since the rollback, {rec.baseline:.3g} before the onset"
    )
    if recovered:
        text = f"rollback {row.id} confirmed: the signal recovered ({levels})"
    else:
        text = f"rollback {row.id} did not restore the signal ({levels})"
        engine.incidents.create_task(
            row.incident_id,
            "The rollback did not restore the signal: look for another cause or mitigate",
            role="engineering_lead",
            due_at=engine.clock.now() + timedelta(hours=1),
            description=text,
        )
    engine.incidents.add_timeline(
        row.incident_id,
        "rollback_confirmed" if recovered else "rollback_not_recovered",
        text,
        actor="playbook",
        data={"rollback_id": row.id, **row.detail},
    )


def rerank(engine: Engine) -> list[str]:
    """Rank suspects again for young incidents; roll back once a clear suspect appears."""
    now = engine.clock.now()
    touched: list[str] = []
    for run in store.runs_to_rerank(engine.session, now, RERANK_EVERY, RERANK_FOR):
        incident = engine.incidents.incident(run.incident_id)
        run.ranked_at = now
        if incident is None or incident.status in ("resolved", "closed"):
            continue
        spec = playbook_for(run.playbook, engine.config.playbooks)
        steps = {s.action: s for s in (spec.steps if spec else []) if s.action}
        ctx = ActionContext(
            engine.session, engine.clock, engine.config, engine.incidents, incident,
            dict(run.facts or {}),
        )  # fmt: skip
        before = (run.facts or {}).get("suspects") or []
        response.rank(ctx, steps.get("rank_suspects") or RANK_STEP)
        after = ctx.facts.get("suspects") or []
        if _top(after) != _top(before) and after:
            engine.incidents.add_timeline(
                incident.id,
                "suspects",
                f"new top suspect {after[0]['change_id']} (score {after[0]['score']:.2f}): "
                f"{after[0]['why']}",
                actor="playbook",
                data={"suspects": after},
            )
        if "rollback" in steps and not ctx.facts.get("rolled_back"):
            _late_rollback(engine, ctx, steps["rollback"])
        run.facts = {**(run.facts or {}), **ctx.facts}
        touched.append(run.incident_id)
    return touched


def _late_rollback(engine: Engine, ctx: ActionContext, step: StepSpec) -> None:
    row = store.step_row(engine.session, ctx.incident.id, step.id)
    if row is None or row.state != "skipped":
        return
    outcome = response.roll_back(ctx, step)
    if outcome.state != "done":
        return
    row.state, row.result = "done", {"text": outcome.text, **outcome.data}
    engine.incidents.add_timeline(
        ctx.incident.id,
        "playbook_step",
        f"{step.title}: {outcome.text}",
        actor="playbook:rollback",
        data=outcome.data,
    )


def _top(suspects: list[dict[str, object]]) -> object:
    return suspects[0]["change_id"] if suspects else None
