"""Per-user hourly counts of outputs on SQLite (migration 0124): what the affected-users panel
reads for the whole hours of an incident's window instead of every output in them.

A row counts the outputs of one use case, hour, user id and segment (model, model version,
prompt version), and how many of them carry inline scores. The panel of a week-long incident
reads a few thousand of these rows, plus the outputs of its two partial hours from the index of
migration 0123, instead of half a million index entries. Only scopes of every output use the
counts: whether an output is flagged (safety, hallucination) depends on evidence that arrives
after it and on a configured threshold, so those scopes keep reading outputs; but only those of
the hours that hold an output with inline scores (`scored`), the ones a low inline score flags.

The store counts what it inserts, in the inserting transaction (the counts cannot drift from
the events): usually from the rows it was given (`counts_of`, grouped in Python before the
write lock is taken, then `ADD_COUNTS`), else, when a batch held a stored id or a field the
Python reading does not cover, by reading back the rows just inserted (`COUNT_NEWEST`: five
`json_extract` calls per output, under the lock, several milliseconds a batch). Triggers on
`events` take away what leaves (retention, a user's deletion: a row that reaches zero goes) or
moves (an output changed in place). The insert is not a trigger: SQLite runs a row trigger's
program for every row, and even an empty one cost ingest about a quarter of its throughput;
one grouped statement per batch costs a fraction of that. A later migration that rebuilds
`events` (SQLite's batch mode copies the table) drops the triggers with it and must create
them again from `create_statements`.

Keys hold NULL apart from every text: `''` when the field is absent, else `'='` followed by its
text. The encoding keeps the text's order, so ordering by the key orders by user id. The
expressions are those of `tripwire.store.affected_index`, so a field reads the same here as in
the index.

PostgreSQL has none of this; it runs the portable query (see `tripwire.respond.affected`).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from tripwire.store import affected_index as ix

TABLE = "affected_hours"
HOUR_CHARS = 13  # 'YYYY-MM-DD HH' of the stored ts ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC)
KEYS = ("user_key", "model", "model_version", "prompt_version")
_FIELDS = (ix.USER_ID, *ix.SEGMENT_FIELDS.values())
_COLUMNS = ("use_case", "hour", *KEYS)

DELETE_TRIGGER = "affected_hours_on_delete"
UPDATE_OLD_TRIGGER = "affected_hours_on_update_old"
UPDATE_NEW_TRIGGER = "affected_hours_on_update_new"
TRIGGERS = (DELETE_TRIGGER, UPDATE_OLD_TRIGGER, UPDATE_NEW_TRIGGER)


def key(expression: str) -> str:
    """The stored key of a field's text (NULL when absent): `''` or `'='` then the text."""
    return f"ifnull('=' || {expression}, '')"


def _values(row: str) -> list[str]:
    """use_case, hour and the keys of `row` (NEW, OLD or a table's rows)."""
    fields = [key(f.replace("payload", f"{row}.payload")) for f in _FIELDS]
    return [f"{row}.use_case", f"substr({row}.ts, 1, {HOUR_CHARS})", *fields]


def _counted(row: str) -> str:
    return f"{row}.type = 'output' AND {row}.use_case IS NOT NULL"


def _scored(row: str) -> str:
    """1 when the output carries inline scores (an object the flagged scopes must read), else 0."""
    return f"({ix.INLINE_SCORES.replace('payload', f'{row}.payload')} IS NOT NULL)"


# The SQL text holds constants and expressions of this module only (S608): no value is in it.
def _add(row: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}, outputs, scored) "  # noqa: S608
        f"VALUES ({', '.join(_values(row))}, 1, {_scored(row)}) "
        f"ON CONFLICT ({', '.join(_COLUMNS)}) DO UPDATE "
        "SET outputs = outputs + 1, scored = scored + excluded.scored;"
    )


def _take_away(row: str) -> str:
    match = " AND ".join(f"{c} = {v}" for c, v in zip(_COLUMNS, _values(row), strict=True))
    return (
        f"UPDATE {TABLE} SET outputs = outputs - 1, scored = scored - {_scored(row)} "  # noqa: S608
        f"WHERE {match}; DELETE FROM {TABLE} WHERE {match} AND outputs <= 0;"
    )


def create_statements() -> list[str]:
    """The table, its triggers, and the counts of the outputs already stored."""
    fields = ", ".join(f"{k} TEXT NOT NULL" for k in KEYS)
    counts = "outputs INTEGER NOT NULL, scored INTEGER NOT NULL"
    return [
        f"CREATE TABLE {TABLE} (use_case TEXT NOT NULL, hour TEXT NOT NULL, {fields}, {counts}, "
        f"PRIMARY KEY ({', '.join(_COLUMNS)})) WITHOUT ROWID",
        f"CREATE TRIGGER {DELETE_TRIGGER} AFTER DELETE ON events "
        f"WHEN {_counted('OLD')} BEGIN {_take_away('OLD')} END",
        # `part` changes when a use case moves partition: that is no change to the counts.
        f"CREATE TRIGGER {UPDATE_OLD_TRIGGER} AFTER UPDATE OF type, ts, use_case, payload "
        f"ON events WHEN {_counted('OLD')} BEGIN {_take_away('OLD')} END",
        f"CREATE TRIGGER {UPDATE_NEW_TRIGGER} AFTER UPDATE OF type, ts, use_case, payload "
        f"ON events WHEN {_counted('NEW')} BEGIN {_add('NEW')} END",
        backfill_statement(),
    ]


def backfill_statement() -> str:
    """Counts of every output stored, read from the outputs' index of migration 0123."""
    values = ", ".join(_values("events"))
    return (
        f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}, outputs, scored) "  # noqa: S608
        f"SELECT {values}, count(*), sum({_scored('events')}) FROM events INDEXED BY {ix.OUTPUTS} "
        f"WHERE {_counted('events')} GROUP BY {', '.join(str(i + 1) for i in range(6))}"
    )


def _count_newest() -> str:
    values = ", ".join(_values("events"))
    counted = ", ".join(_COLUMNS)
    return (
        f"INSERT INTO {TABLE} ({counted}, outputs, scored) "  # noqa: S608
        f"SELECT {values}, count(*), sum({_scored('events')}) "
        "FROM (SELECT * FROM events ORDER BY seq DESC LIMIT ?) AS events "
        f"WHERE {_counted('events')} GROUP BY {', '.join(str(i + 1) for i in range(6))} "
        f"ON CONFLICT ({counted}) DO UPDATE "
        "SET outputs = outputs + excluded.outputs, scored = scored + excluded.scored"
    )


# Adds the outputs among the `?` newest events. Run by the store in the transaction that
# inserted them: it holds SQLite's only write lock, and a new row's seq is one more than the
# largest before it, so the newest rows are exactly the ones just added.
COUNT_NEWEST = _count_newest()


_ADD_COLUMNS = (*_COLUMNS, "outputs", "scored")
# Adds counts grouped by `counts_of`: one row per use case, hour, user and segment.
ADD_COUNTS = (
    f"INSERT INTO {TABLE} ({', '.join(_ADD_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in _ADD_COLUMNS)}) "
    f"ON CONFLICT ({', '.join(_COLUMNS)}) DO UPDATE "
    "SET outputs = outputs + excluded.outputs, scored = scored + excluded.scored"
)
_PAYLOAD_FIELDS = ("user_id", "model", "model_version", "prompt_version")
_TEXT_OR_NONE = frozenset((str, type(None)))
# use_case, hour, user_key, model, model_version, prompt_version, outputs, scored
Count = tuple[str, str, str, str, str, str, int, int]
# What the counts read of an output: user_id, model, model_version, prompt_version (None when
# absent or null) and whether it carries inline scores.
OutputFields = tuple[object, object, object, object, bool]


def output_fields(payload: str) -> OutputFields:
    """The counted fields of an output's payload JSON text."""
    data = orjson.loads(payload)
    user, model, version, prompt = map(data.get, _PAYLOAD_FIELDS)
    return user, model, version, prompt, data.get("scores") is not None


def counts_of(outputs: Iterable[tuple[str, str, OutputFields]]) -> list[Count] | None:
    """The counts `COUNT_NEWEST` would add for these outputs (use case, stored ts text, counted
    fields), or None when a field is neither text nor absent, or holds a NUL: only SQLite's own
    reading then says what it is (a number's text, a nested object's JSON, a text cut at its
    first NUL), and the triggers take an output away by that reading."""
    groups: dict[tuple[str, str, str, str, str, str], list[int]] = {}
    for use_case, ts, (user, model, version, prompt, scored) in outputs:
        # Plain statements, not a generator per output: this runs for every output stored.
        if not _TEXT_OR_NONE.issuperset((type(user), type(model), type(version), type(prompt))):
            return None
        # Absent or JSON null: json_extract gives NULL either way, stored as ''.
        counts = groups.setdefault(
            (
                use_case,
                ts[:HOUR_CHARS],
                "" if user is None else f"={user}",
                "" if model is None else f"={model}",
                "" if version is None else f"={version}",
                "" if prompt is None else f"={prompt}",
            ),
            [0, 0],
        )
        counts[0] += 1
        counts[1] += scored
    # One search over every group's text (a NUL in a use case, a column, only costs a recount).
    if "\x00" in "".join(map("".join, groups)):
        return None
    # Sorted: the upserts then walk the table's primary key in order.
    return [(*key, outputs, scored) for key, (outputs, scored) in sorted(groups.items())]


def drop_statements() -> list[str]:
    return [*(f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS), f"DROP TABLE IF EXISTS {TABLE}"]
