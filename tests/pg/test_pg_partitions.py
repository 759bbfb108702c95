"""tests/integration/test_partitions.py on PostgreSQL."""

from typing import Any

from sqlalchemy import event

from tests.integration.test_partitions import *  # noqa: F403
from tripwire.runtime.wiring import Runtime


def test_pending_probes_the_part_seq_index_after_analyze(runtime: Runtime) -> None:
    """Statistics without a visibility map (ANALYZE before VACUUM) once made PostgreSQL walk the
    primary key backward for `max(seq) WHERE part = ...`, reading every row for an empty
    partition; the query must keep to the `(part, seq)` index (see `pending_by_part`)."""
    from sqlalchemy import text

    from tripwire.store.partitions import pending_by_part

    store(runtime, outputs(3000))  # noqa: F405
    with runtime.db.session() as session:
        session.execute(text("ANALYZE events"))
    statements: list[tuple[str, Any]] = []
    with runtime.db.session() as session:
        connection = session.connection()

        @event.listens_for(connection, "before_cursor_execute")
        def keep(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
            statements.append((sql, params))

        pending_by_part(session, upto=10**9)
        event.remove(connection, "before_cursor_execute", keep)
        sql, params = statements[-1]
        plan = "\n".join(r[0] for r in connection.exec_driver_sql("EXPLAIN " + sql, params))
    assert "part_seq" in plan
    assert "pkey" not in plan
    assert "pk_events" not in plan
