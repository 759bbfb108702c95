"""Exposure for severity counts the affected outputs only: the replay memo agrees with the
full query for a segment-scoped window, and a flagged scope counts only flagged outputs."""

from __future__ import annotations

import random
from datetime import timedelta

import orjson

from tests.conftest import T0
from tripwire.respond.affected import AffectedScope
from tripwire.respond.exposure import ExposureMemo, exposure
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import LoadRow, load_rows

P8 = ((("prompt_version", "p8"),),)


def _row(i: int, minute: float, rng: random.Random) -> LoadRow:
    ts = T0 + timedelta(minutes=minute)
    payload: dict[str, object] = {"id": f"e{i}", "type": "output", "use_case": "chat"}
    payload["prompt_version"] = rng.choice(["p7", "p8"])
    if rng.random() < 0.8:
        payload["user_id"] = f"u{rng.randrange(40)}"
    return (f"e{i}", "output", ts, "chat", None, orjson.dumps(payload).decode())


def test_the_memo_matches_the_full_count_for_a_segment(runtime: Runtime) -> None:
    rng = random.Random(5)
    memo = ExposureMemo(limit=3)
    start = T0 + timedelta(minutes=30)
    stored = 0
    with runtime.db.session() as session:
        for step in range(1, 20):
            end = T0 + timedelta(hours=4 * step)
            rows = [_row(stored + k, rng.uniform(0, 4 * step * 60 + 30), rng) for k in range(60)]
            stored += len(rows)
            load_rows(session, rows)
            scope = AffectedScope("chat", start, end, P8)
            whole = exposure(session, "chat", start, end)
            narrow = exposure(session, "chat", start, end, scope)
            assert memo(session, "chat", start, end, scope) == narrow, step
            assert memo(session, "chat", start, end) == whole, step
        assert 0 < narrow.outputs < whole.outputs
        assert narrow.users <= whole.users


def test_a_flagged_scope_counts_only_flagged_outputs(runtime: Runtime) -> None:
    rows: list[LoadRow] = []
    for i, (user, bad) in enumerate([("ann", True), ("ann", False), ("bob", False), ("cy", True)]):
        ts = T0 + timedelta(minutes=i)
        out = {"id": f"o{i}", "type": "output", "use_case": "chat", "user_id": user}
        rows.append((f"o{i}", "output", ts, "chat", None, orjson.dumps(out).decode()))
        check = {"id": f"s{i}", "type": "safety", "use_case": "chat", "output_id": f"o{i}",
                 "filter": "f", "triggered": bad}  # fmt: skip
        rows.append((f"s{i}", "safety", ts, "chat", f"o{i}", orjson.dumps(check).decode()))
    end = T0 + timedelta(hours=1)
    scope = AffectedScope("chat", T0, end, (), "safety", ("safety",), 0.75)
    with runtime.db.session() as session:
        load_rows(session, rows)
        assert exposure(session, "chat", T0, end).users == 3
        assert exposure(session, "chat", T0, end, scope).users == 2
        assert ExposureMemo()(session, "chat", T0, end, scope).outputs == 2
