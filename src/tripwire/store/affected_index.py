"""SQLite indexes of the affected-users query (migration 0123), and the expressions they hold.

The affected users of an incident are counted over every output of its window, often days of
them. Read from `events`, each output costs a row fetch and a JSON parse of its payload (3 s at
p95 for a panel on a million events). These partial indexes hold what the query reads: the
outputs' user id, segment fields and inline scores; the scores' name and value; the triggered
safety checks. SQLite answers from the index entry alone (it seeks the row only when a column
outside the index is read) and it matches an indexed expression only when the query spells it
the same way, so `tripwire.respond.affected_sqlite` builds its SQL from the constants below.
Migration 0123 creates the indexes from them too: changing one needs a new migration that drops
and recreates its index.

PostgreSQL has none of them: there `events` is partitioned by day (migration 0122) and reads
the payload (JSONB) of the window's partitions.
"""

from __future__ import annotations

USER_ID = "CAST(json_extract(payload, '$.user_id') AS TEXT)"
SEGMENT_FIELDS = {
    field: f"CAST(json_extract(payload, '$.{field}') AS TEXT)"
    for field in ("model", "model_version", "prompt_version")
}
INLINE_SCORES = "json_extract(payload, '$.scores')"  # the object; the query picks a name in it
SCORE_NAME = "CAST(json_extract(payload, '$.name') AS TEXT)"
SCORE_VALUE = "CAST(json_extract(payload, '$.value') AS REAL)"
TRIGGERED = "json_extract(payload, '$.triggered')"  # a strict bool: 1 or 0

OUTPUTS = "ix_events_affected_outputs"
SCORES = "ix_events_affected_scores"
TRIGGERED_CHECKS = "ix_events_affected_triggered"

# name -> (columns, the rows indexed). The type test is a literal: a partial index serves only
# a query whose WHERE holds the same term.
INDEXES: dict[str, tuple[str, str]] = {
    OUTPUTS: (
        ", ".join(("use_case", "ts", USER_ID, *SEGMENT_FIELDS.values(), INLINE_SCORES)),
        "type = 'output'",
    ),
    SCORES: (f"use_case, {SCORE_NAME}, ts, {SCORE_VALUE}, output_id", "type = 'score'"),
    TRIGGERED_CHECKS: ("use_case, ts, output_id", f"type = 'safety' AND {TRIGGERED}"),
}


def create_statements() -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON events ({columns}) WHERE {rows}"
        for name, (columns, rows) in INDEXES.items()
    ]


def drop_statements() -> list[str]:
    return [f"DROP INDEX IF EXISTS {name}" for name in INDEXES]
