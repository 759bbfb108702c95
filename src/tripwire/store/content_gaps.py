"""Counts of outputs stored without their content, per use case and capture setting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from tripwire.store.tables.genai import ContentGapRow


@dataclass(frozen=True, slots=True)
class ContentGap:
    """`outputs` of `use_case` arrived without content; `setting` turns capture on."""

    use_case: str
    setting: str
    outputs: int
    first_ts: datetime
    last_ts: datetime


def record_gaps(session: Session, seen: Iterable[tuple[str, str, datetime]]) -> None:
    """Count outputs without content: (use case, setting, output time) each."""
    batch: dict[tuple[str, str], list[datetime]] = {}
    for use_case, setting, ts in seen:
        batch.setdefault((use_case, setting[:512]), []).append(ts)
    if not batch:
        return
    keys = list(batch)
    query = select(ContentGapRow).where(
        tuple_(ContentGapRow.use_case, ContentGapRow.setting).in_(keys)
    )
    rows = {(r.use_case, r.setting): r for r in session.scalars(query)}
    for key, times in batch.items():
        row = rows.get(key)
        if row is None:
            row = ContentGapRow(
                use_case=key[0], setting=key[1], outputs=0, first_ts=min(times), last_ts=min(times)
            )
            session.add(row)
        row.outputs += len(times)
        row.first_ts = min(row.first_ts, *times)
        row.last_ts = max(row.last_ts, *times)


def content_gaps(session: Session) -> list[ContentGap]:
    """Every use case's gaps, most outputs first."""
    query = select(ContentGapRow).order_by(ContentGapRow.use_case, ContentGapRow.outputs.desc())
    return [
        ContentGap(r.use_case, r.setting, int(r.outputs), r.first_ts, r.last_ts)
        for r in session.scalars(query)
    ]
