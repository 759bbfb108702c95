"""The affected-users query on SQLite: the same users and counts as the portable query in
`tripwire.respond.affected` (which PostgreSQL runs), read from the indexes of migration 0123.

Every expression on the payload is spelled as in `tripwire.store.affected_index`, so SQLite
reads it from the index entry instead of fetching the row and parsing its JSON. Two shapes:

- every output of the scope: one index range of the window (use case, ts), the segment fields
  and user ids read from the index, no row fetched;
- flagged outputs only (safety, hallucination): the outputs named by low scores and triggered
  safety checks (few, each fetched by id) and the outputs whose own inline score is low (read
  from the index over the window); only those rows are fetched to count their users.

A scope of every output whose window holds whole hours reads those hours from the per-user
hourly counts of migration 0124 (`tripwire.store.affected_hours`) and only its partial hours at
either end from the index: a week-long incident reads a few thousand counts, not every output.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from tripwire.domain.clock import as_utc
from tripwire.store import affected_hours as hours
from tripwire.store import affected_index as ix
from tripwire.store.base import UTCDateTime

if TYPE_CHECKING:
    from tripwire.respond.affected import AffectedScope

TIMES = ("start", "end", "evidence_end", "first_hour", "last_hour")
HOUR = timedelta(hours=1)


def _on(expression: str, alias: str) -> str:
    """An indexed expression on `alias`'s payload (SQLite matches it to the index all the same)."""
    return expression.replace("payload", f"{alias}.payload")


USER = _on(ix.USER_ID, "o")


def _in_scope(
    scope: AffectedScope,
    params: dict[str, Any],
    *,
    by_window: bool,
    times: str = "{p}o.ts >= :start AND {p}o.ts <= :end",
) -> str:
    """Outputs of the use case in the window (or in `times`, `{p}` before each column) and, if
    any, of its segments, as alias `o`. Not `by_window`: a unary `+` keeps SQLite off the
    window's index, for outputs found by id."""
    plus = "" if by_window else "+"
    where = f"{plus}o.type = 'output' AND {plus}o.use_case = :use_case AND " + times.format(p=plus)
    return where + _of_segments(scope, params, _indexed_equals)


def _of_segments(scope: AffectedScope, params: dict[str, Any], equals: Any) -> str:
    """` AND (...)`: any of the scope's segments; `equals(field, name)` tests one field against
    its value, bound as `:name` (the same names wherever the scope's SQL uses them)."""
    alternatives: list[str] = []
    for i, segment in enumerate(scope.segments):
        parts = []
        for j, (field, value) in enumerate(segment):
            parts.append(equals(field, f"seg{i}_{j}"))
            params[f"seg{i}_{j}"] = value
        alternatives.append("(" + " AND ".join(parts) + ")")
    return " AND (" + " OR ".join(alternatives) + ")" if alternatives else ""


def _indexed_equals(field: str, name: str) -> str:
    return f"{_on(ix.SEGMENT_FIELDS[field], 'o')} = :{name}"


def _hourly_equals(field: str, name: str) -> str:
    return f"h.{field} = {hours.key(':' + name)}"


def _evidence(scope: AffectedScope, params: dict[str, Any]) -> str:
    """Ids of the outputs that a low score or (safety) a triggered check names."""
    parts = []
    if scope.scores:
        params |= {f"name{i}": name for i, name in enumerate(scope.scores)}
        names = ", ".join(f":name{i}" for i in range(len(scope.scores)))
        # The SQL text holds constants and placeholders only (S608): every value is bound.
        parts.append(
            f"SELECT e.output_id FROM events AS e INDEXED BY {ix.SCORES} "  # noqa: S608
            f"WHERE e.type = 'score' AND e.use_case = :use_case "
            f"AND {_on(ix.SCORE_NAME, 'e')} IN ({names}) AND e.ts >= :start "
            f"AND e.ts <= :evidence_end AND {_on(ix.SCORE_VALUE, 'e')} < :below"
        )
    if scope.flag == "safety":
        parts.append(
            f"SELECT e.output_id FROM events AS e INDEXED BY {ix.TRIGGERED_CHECKS} "  # noqa: S608
            f"WHERE e.type = 'safety' AND {_on(ix.TRIGGERED, 'e')} "
            f"AND e.use_case = :use_case AND e.ts >= :start AND e.ts <= :evidence_end"
        )
    return " UNION ".join(parts) if parts else "SELECT NULL WHERE 0"


def _low_inline_score(scope: AffectedScope, params: dict[str, Any]) -> str:
    """An output's own score under the threshold, picked from the index's scores object."""
    cases = []
    for i, name in enumerate(scope.scores):
        params[f"path{i}"] = f'$."{name}"'  # the path SQLAlchemy writes for the portable query
        inline = f"json_extract({_on(ix.INLINE_SCORES, 'o')}, :path{i})"
        cases.append(f"CAST({inline} AS REAL) < :below")
    return "(" + " OR ".join(cases) + ")" if cases else "0"


def _affected(scope: AffectedScope, params: dict[str, Any]) -> str:
    """FROM and WHERE of the affected outputs, as alias `o`."""
    in_window = _in_scope(scope, params, by_window=True)
    window = f"FROM events AS o INDEXED BY {ix.OUTPUTS} WHERE {in_window}"
    if scope.flag == "all":
        return window
    named = (
        f"SELECT o.seq FROM events AS o WHERE o.id IN ({_evidence(scope, params)}) "  # noqa: S608
        f"AND {_in_scope(scope, params, by_window=False)}"
    )
    return f"FROM events AS o WHERE o.seq IN ({named} UNION {_low(scope, params)})"


def _low(scope: AffectedScope, params: dict[str, Any]) -> str:
    """Outputs of the scope with a low inline score: those of its partial hours at either end,
    and of its whole hours only those hours where an output carries inline scores."""
    low = _low_inline_score(scope, params)
    found = _whole_hours(scope)
    if found is None:
        window = _in_scope(scope, params, by_window=True)
        return f"SELECT o.seq FROM events AS o INDEXED BY {ix.OUTPUTS} WHERE {window} AND {low}"  # noqa: S608
    _bind_hours(params, *found)
    edges = [
        _in_scope(scope, params, by_window=True, times=times) + f" AND {low}"
        for times in (BEFORE_FIRST_HOUR, FROM_LAST_HOUR)
    ]
    scored = (
        f"SELECT DISTINCT h.hour FROM {hours.TABLE} AS h WHERE h.use_case = :use_case "  # noqa: S608
        "AND h.hour >= :first_key AND h.hour < :last_key AND h.scored > 0"
        + _of_segments(scope, params, _hourly_equals)
    )
    # A stored ts of hour 'YYYY-MM-DD HH' is that text followed by ':' ; ';' sorts right
    # after ':', so the hour's outputs are the index range [hour, hour || ';').
    in_hour = "o.ts >= s.hour AND o.ts < s.hour || ';'"
    each_hour = _in_scope(scope, params, by_window=True, times=in_hour) + f" AND {low}"
    return (
        f"SELECT o.seq FROM events AS o INDEXED BY {ix.OUTPUTS} WHERE {edges[0]} UNION ALL "  # noqa: S608
        f"SELECT o.seq FROM events AS o INDEXED BY {ix.OUTPUTS} WHERE {edges[1]} UNION ALL "
        f"SELECT o.seq FROM ({scored}) AS s CROSS JOIN events AS o INDEXED BY {ix.OUTPUTS} "
        f"WHERE {each_hour}"
    )


def whole_hours(scope: AffectedScope) -> tuple[datetime, datetime] | None:
    """The first and the end of the whole hours in a scope of every output, if it has any;
    None for a flagged scope (see the module's docstring)."""
    return _whole_hours(scope) if scope.flag == "all" else None


def _whole_hours(scope: AffectedScope) -> tuple[datetime, datetime] | None:
    start, end = as_utc(scope.start), as_utc(scope.end)
    first = start.replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += HOUR
    last = end.replace(minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


BEFORE_FIRST_HOUR = "o.ts >= :start AND o.ts < :first_hour"
FROM_LAST_HOUR = "o.ts >= :last_hour AND o.ts <= :end"


def _bind_hours(params: dict[str, Any], first: datetime, last: datetime) -> None:
    params |= {"first_hour": first, "last_hour": last}
    params |= {"first_key": _hour_key(first), "last_key": _hour_key(last)}


def _hour_key(hour: datetime) -> str:
    """An hour as `affected_hours` keys it: the stored ts's first characters."""
    return hour.strftime("%Y-%m-%d %H")


def _counted(scope: AffectedScope, params: dict[str, Any], first: datetime, last: datetime) -> str:
    """Rows (user_key, n) whose sums per key are the scope's affected outputs: the outputs of
    the partial hour at each end from the index, and the counts of the whole hours between.
    Keys as `affected_hours` stores them (`''`: no user id), decoded once per user later."""
    _bind_hours(params, first, last)
    edge = (
        f"SELECT {hours.key(USER)} AS user_key, count(*) AS n "  # noqa: S608
        f"FROM events AS o INDEXED BY {ix.OUTPUTS} WHERE {{where}} GROUP BY user_key"
    )
    before = _in_scope(scope, params, by_window=True, times=BEFORE_FIRST_HOUR)
    after = _in_scope(scope, params, by_window=True, times=FROM_LAST_HOUR)
    counts = (
        f"SELECT h.user_key, h.outputs AS n FROM {hours.TABLE} AS h "  # noqa: S608
        "WHERE h.use_case = :use_case AND h.hour >= :first_key AND h.hour < :last_key"
        + _of_segments(scope, params, _hourly_equals)
    )
    return f"{edge.format(where=before)} UNION ALL {counts} UNION ALL {edge.format(where=after)}"


def _run(session: Session, sql: str, scope: AffectedScope, params: dict[str, Any]) -> Any:
    params |= {
        "use_case": scope.use_case,
        "start": scope.start,
        "end": scope.end,
        "evidence_end": scope.evidence_end,
        "below": scope.below,
    }
    times = [bindparam(t, type_=UTCDateTime()) for t in TIMES if re.search(rf":{t}\b", sql)]
    query = text(sql).bindparams(*times)
    return session.execute(query, params)


TOTALS = f"SELECT count(DISTINCT {USER}), count(*), count(*) - count({USER}) "
HOURLY_TOTALS = (
    "SELECT count(DISTINCT nullif(user_key, '')), sum(n), "
    "sum(CASE WHEN user_key = '' THEN n ELSE 0 END) "
)
USER_OF_KEY = "substr(user_key, 2)"  # the key's text: '=' then the user id


def _totals_sql(scope: AffectedScope, params: dict[str, Any]) -> str:
    found = whole_hours(scope)
    if found is None:
        return TOTALS + _affected(scope, params)
    return f"{HOURLY_TOTALS} FROM ({_counted(scope, params, *found)})"


def totals(session: Session, scope: AffectedScope) -> tuple[int, int, int]:
    """(distinct users, affected outputs, affected outputs with no user id) of the scope."""
    params: dict[str, Any] = {}
    sql = _totals_sql(scope, params)
    users, outputs, unattributed = _run(session, sql, scope, params).one()
    return int(users or 0), int(outputs or 0), int(unattributed or 0)


def users(
    session: Session, scope: AffectedScope, after: str | None, limit: int
) -> list[tuple[str, int]]:
    """(user id, affected outputs) ordered by user id, those after `after`, at most `limit`."""
    params: dict[str, Any] = {"limit": limit}
    found = whole_hours(scope)
    if found is None:
        sql = (
            f"SELECT {USER} AS user_id, count(*) {_affected(scope, params)} AND {USER} IS NOT NULL"
        )
        if after is not None:
            sql += f" AND {USER} > :after"
        sql += " GROUP BY user_id ORDER BY user_id LIMIT :limit"
    else:
        # The key keeps the user id's order, so the rows are grouped and ordered by key.
        sql = f"SELECT {USER_OF_KEY}, sum(n) FROM ({_counted(scope, params, *found)}) "  # noqa: S608
        sql += "WHERE user_key <> ''"
        if after is not None:
            sql += f" AND user_key > {hours.key(':after')}"
        sql += " GROUP BY user_key ORDER BY user_key LIMIT :limit"
    if after is not None:
        params["after"] = after
    return [(str(u), int(n)) for u, n in _run(session, sql, scope, params)]


# Totals and a page of users in one pass over the counts: per key sums, the totals over all of
# them beside each row (window functions, computed before the page is cut), the row of no user
# id first (its key '' sorts first) so that the totals come back even when no user follows.
SUMMARY = (
    "WITH per AS (SELECT user_key, sum(n) AS n FROM ({counted}) GROUP BY user_key) "
    "SELECT user_key, n, users, outputs, unattributed FROM ("
    "SELECT user_key, n, count(nullif(user_key, '')) OVER () AS users, sum(n) OVER () AS outputs, "
    "sum(CASE WHEN user_key = '' THEN n ELSE 0 END) OVER () AS unattributed FROM per) "
    "WHERE {shown} ORDER BY user_key LIMIT :limit + 1"
)


def summary(
    session: Session, scope: AffectedScope, after: str | None, limit: int
) -> tuple[tuple[int, int, int], list[tuple[str, int]]]:
    """`totals` and `users` together, in one pass over the hourly counts or the outputs."""
    params: dict[str, Any] = {"limit": limit, "after": after}
    found = whole_hours(scope)
    if found is None:  # each affected output a row of one
        counted = f"SELECT {hours.key(USER)} AS user_key, 1 AS n {_affected(scope, params)}"
    else:
        counted = _counted(scope, params, *found)
    shown = "user_key = '' OR user_key > " + ("''" if after is None else hours.key(":after"))
    sql = SUMMARY.format(counted=counted, shown=shown)
    rows = _run(session, sql, scope, params).all()
    if not rows:  # nothing affected, or a cursor past the last user and no unattributed row
        return totals(session, scope), []
    users_, outputs, unattributed = (int(v or 0) for v in rows[0][2:])
    page = [(str(r[0])[1:], int(r[1])) for r in rows if r[0] != ""][:limit]  # decoded
    return (users_, outputs, unattributed), page


def query_plan(session: Session, scope: AffectedScope) -> list[str]:
    """SQLite's plan of `totals` for the scope (EXPLAIN QUERY PLAN), to check the indexes serve."""
    params: dict[str, Any] = {}
    sql = "EXPLAIN QUERY PLAN " + _totals_sql(scope, params)
    return [str(row[-1]) for row in _run(session, sql, scope, params)]
