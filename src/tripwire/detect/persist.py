"""Reading and writing detection state and alerts through the store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tripwire.domain.alerts import Alert, grown
from tripwire.domain.clock import isoformat_z
from tripwire.store.tables.detect import DetectAlertRow, DetectorStateRow, DetectWindowRow

WINDOW_RETENTION = timedelta(days=14)


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def load_states(session: Session) -> dict[str, dict[str, Any]]:
    rows = session.execute(select(DetectorStateRow.key, DetectorStateRow.state))
    return {str(key): dict(state) for key, state in rows}


def late_events(session: Session) -> int:
    """Events counted outside their own minute, over every detect stage (its partitions' open
    windows and the unpartitioned stage's count), as the stages last committed them."""
    rows = session.execute(
        select(DetectorStateRow.state).where(DetectorStateRow.key.startswith("~"))
    )
    return sum(int(state.get("late", 0)) for (state,) in rows if isinstance(state, dict))


def save_states(session: Session, states: dict[str, dict[str, Any]], now: datetime) -> None:
    """Upsert the given series' state (one row per series, overwritten in place)."""
    if not states:
        return
    rows = [{"key": k, "state": v, "updated_at": now} for k, v in states.items()]
    insert = _insert(session)
    for start in range(0, len(rows), 200):
        stmt = insert(DetectorStateRow).values(rows[start : start + 200])
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
        )
        session.execute(stmt)


def save_windows(
    session: Session, windows: Iterable[tuple[str, datetime, float, float | None]], now: datetime
) -> None:
    """Store finished hourly aggregates and drop those older than the retention."""
    rows = [{"key": k, "hour": h, "volume": v, "value": x} for k, h, v, x in windows]
    insert = _insert(session)
    for start in range(0, len(rows), 200):
        stmt = insert(DetectWindowRow).values(rows[start : start + 200])
        stmt = stmt.on_conflict_do_update(
            index_elements=["key", "hour"],
            set_={"volume": stmt.excluded.volume, "value": stmt.excluded.value},
        )
        session.execute(stmt)
    session.execute(delete(DetectWindowRow).where(DetectWindowRow.hour < now - WINDOW_RETENTION))


def _open_row(session: Session, dedup_key: str) -> DetectAlertRow | None:
    return session.scalars(
        select(DetectAlertRow)
        .where(DetectAlertRow.dedup_key == dedup_key, DetectAlertRow.resolved_at.is_(None))
        .order_by(DetectAlertRow.id.desc())
        .limit(1)
    ).first()


def record_alert(session: Session, alert: Alert) -> None:
    """A firing alert adds a row; a resolved one closes the open row with the same key, and a
    confirmation or a growth updates it (the same alert, not a new one)."""
    if alert.state == "resolved":
        row = _open_row(session, alert.dedup_key)
        if row is not None:
            row.resolved_at = alert.detected_at
        return
    if alert.details.get("confirmed"):
        row = _open_row(session, alert.dedup_key)
        if row is not None:
            row.details = {**(row.details or {}), "confirmed": True}
            return
    if alert.grew:
        row = _open_row(session, alert.dedup_key)
        if row is not None:
            _grow(row, alert)
            return
    session.add(
        DetectAlertRow(
            dedup_key=alert.dedup_key,
            monitor=alert.monitor,
            metric=alert.metric,
            incident_type=alert.incident_type,
            use_case=alert.use_case,
            segment=dict(alert.segment),
            started_at=alert.started_at,
            detected_at=alert.detected_at,
            baseline=alert.baseline,
            observed=alert.observed,
            magnitude=alert.magnitude,
            severity_hint=alert.severity_hint,
            details=dict(alert.details),
        )
    )


def _grow(row: DetectAlertRow, alert: Alert) -> None:
    """The open alert at its graver level (detect/rate.py), and when it got there."""
    row.observed, row.magnitude = alert.observed, alert.magnitude
    row.severity_hint = alert.severity_hint
    details = row.details or {}
    at = isoformat_z(alert.detected_at)
    row.details = {**details, "grew_at": grown(details.get("grew_at"), at)}


def list_alerts(session: Session, limit: int = 1000) -> list[DetectAlertRow]:
    """Alerts newest first (for the UI, the CLI and tests)."""
    query = select(DetectAlertRow).order_by(DetectAlertRow.detected_at.desc()).limit(limit)
    return list(session.scalars(query))
