"""Rollbacks through a change's `rollback` handle: applied, recorded, reversible, and
confirmed afterwards by watching the incident's signal recover.

A flag handle (`{"flag": KEY, "variant": VALUE}`) sets the flag back at once; a webhook handle
(`{"webhook": URL}`) is a signed Standard Webhooks call that leaves through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.domain.clock import Clock, isoformat_z
from tripwire.domain.ids import uuid7
from tripwire.flags import service as flags
from tripwire.flags.model import FlagInvalid
from tripwire.notify.outbox import enqueue
from tripwire.respond.attribution.metrics import MetricSpec, choose_metric
from tripwire.respond.attribution.query import load_observations
from tripwire.respond.attribution.scoring import ChangeFacts, Stats
from tripwire.respond.playbooks.flips import change_flag
from tripwire.respond.playbooks.service import IncidentFacts, IncidentService
from tripwire.store import playbooks as store
from tripwire.store.tables.flags import RollbackRow

BASELINE = timedelta(hours=6)
WEBHOOK_EVENT = "rollback.requested"


class RollbackError(Exception):
    """The rollback cannot be done (automatically); the message says what a person must do.
    `status` is 404 when the rollback does not exist, else 409."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Recovery:
    """The signal before the onset, while degraded, and since the rollback."""

    baseline: float
    degraded: float
    after: float
    n_after: int
    share: float  # how much of the drop came back (1 = all of it)


def apply(
    session: Session,
    clock: Clock,
    config: TripwireConfig,
    incidents: IncidentService,
    incident: IncidentFacts,
    change: ChangeFacts,
) -> RollbackRow:
    """Roll `change` back for `incident`; records it and schedules the recovery check.

    Raises RollbackError when the change has no usable handle.
    """
    handle = change.rollback or {}
    now = clock.now()
    actor = flags.Actor(
        f"playbook:{incident.type}", "playbook", f"roll back {change.id}", incident.id
    )
    row = RollbackRow(
        id=uuid7(int(now.timestamp() * 1000)),
        incident_id=incident.id,
        change_id=change.id,
        handle=dict(handle),
        state="applied",
        applied_at=now,
        check_at=now + config.playbooks.rollback_check_after,
        metric=_metric_name(incident),
    )
    if "flag" in handle:
        row.flag_key, row.previous_value = _flip(session, clock, incidents, handle, actor)
    elif "webhook" in handle:
        _enqueue_webhook(session, config, now, row, incident, change)
    else:
        raise RollbackError(f"change {change.id} has no rollback handle; roll it back by hand")
    store.add_rollback(session, row)
    return row


def _flip(
    session: Session,
    clock: Clock,
    incidents: IncidentService,
    handle: dict[str, Any],
    actor: flags.Actor,
) -> tuple[str, Any]:
    key = str(handle["flag"])
    current = flags.find_flag(session, key)
    if current is None:
        raise RollbackError(f"rollback flag {key!r} does not exist; create it or roll back by hand")
    try:
        change_flag(session, clock, key, {"value": handle["variant"]}, actor, incidents=incidents)
    except FlagInvalid as exc:
        raise RollbackError(f"cannot set {key!r} back: {exc}") from None
    return key, current.value


def _enqueue_webhook(
    session: Session,
    config: TripwireConfig,
    now: datetime,
    row: RollbackRow,
    incident: IncidentFacts,
    change: ChangeFacts,
) -> None:
    """Queue the signed call on the webhook channel configured for the handle's URL.

    Only URLs configured as channels are called: a change event cannot make Tripwire call an
    address nobody approved, and the channel holds the signing secret.
    """
    url = str(row.handle["webhook"])
    channel = _channel_for(config, url)
    if channel is None:
        raise RollbackError(
            f"no webhook channel is configured for {url[:200]}: add it under respond.channels "
            "(type webhook, with a secret) so the rollback call can be signed, or roll back by "
            "hand"
        )
    enqueue(
        session,
        channel=channel,
        event=WEBHOOK_EVENT,
        payload={
            "at": isoformat_z(now),
            "rollback_id": row.id,
            "incident_id": incident.id,
            "change_id": change.id,
            "kind": change.kind,
            "version": change.version,
            "roll_back_to": change.previous_version,
            "use_case": change.use_case,
        },
        ordering_key=incident.id,
        now=now,
    )


def _channel_for(config: TripwireConfig, url: str) -> str | None:
    for name, channel in config.respond.channels.items():
        if channel.type == "webhook" and channel.options().get("url") == url:
            return name
    return None


def _metric_name(incident: IncidentFacts) -> str | None:
    return incident.signals[0].metric if incident.signals else None


def measure(session: Session, incident: IncidentFacts, row: RollbackRow, now: datetime) -> Recovery:
    """Compare the signal since the rollback with its level while degraded and before."""
    spec = choose_metric(incident.type, [row.metric] if row.metric else [])
    onset, applied = incident.started_at, row.applied_at
    seen = load_observations(session, incident.use_case, spec, onset - BASELINE, now)
    base = Stats.of(o.value for o in seen if o.ts < onset)
    bad = Stats.of(o.value for o in seen if onset <= o.ts < applied)
    after = Stats.of(o.value for o in seen if o.ts >= applied)
    return Recovery(base.mean, bad.mean, after.mean, after.n, _share(spec, base, bad, after))


def _share(spec: MetricSpec, base: Stats, bad: Stats, after: Stats) -> float:
    if min(base.n, bad.n, after.n) == 0:
        return 0.0
    drop = bad.mean - base.mean if spec.higher_is_worse else base.mean - bad.mean
    if drop <= 0:
        return 1.0
    back = bad.mean - after.mean if spec.higher_is_worse else after.mean - bad.mean
    return back / drop


def revert(
    session: Session,
    clock: Clock,
    incidents: IncidentService | None,
    rollback_id: str,
    who: str,
    reason: str | None = None,
) -> RollbackRow:
    """Undo a flag rollback: the flag serves what it served before. Raises RollbackError."""
    row = store.get_rollback(session, rollback_id)
    if row is None:
        raise RollbackError(f"no rollback {rollback_id!r}; see `tripwire flags rollbacks`", 404)
    if row.state == "reverted":
        raise RollbackError(f"rollback {rollback_id} was already reverted")
    if row.flag_key is None:
        raise RollbackError("a webhook rollback cannot be undone from Tripwire; redeploy instead")
    actor = flags.Actor(who, "api", reason or f"revert rollback {row.id}", row.incident_id)
    change_flag(
        session, clock, row.flag_key, {"value": row.previous_value}, actor, incidents=incidents
    )
    row.state = "reverted"
    session.flush()
    return row


def as_json(row: RollbackRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "incident_id": row.incident_id,
        "change_id": row.change_id,
        "handle": row.handle,
        "flag": row.flag_key,
        "previous_value": row.previous_value,
        "state": row.state,
        "applied_at": isoformat_z(row.applied_at),
        "check_at": isoformat_z(row.check_at) if row.check_at else None,
        "metric": row.metric,
        "detail": row.detail,
    }
