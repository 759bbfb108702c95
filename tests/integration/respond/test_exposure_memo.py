"""ExposureMemo (replay's incremental exposure count) agrees with the full query, whatever
order events are stored in: late events inside a counted window, equal timestamps, repeated
users, outputs without a user, other use cases and types, and the one-week cap."""

from __future__ import annotations

import random
from datetime import timedelta

import orjson

from tests.conftest import T0
from tripwire.respond.exposure import ExposureMemo, exposure
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import LoadRow, load_rows


def _row(i: int, minute: float, rng: random.Random) -> LoadRow:
    ts = T0 + timedelta(minutes=minute)
    kind = rng.choice(["output", "output", "output", "feedback"])
    use_case = rng.choice(["chat", "chat", "summary"])
    payload: dict[str, object] = {"id": f"e{i}", "type": kind, "use_case": use_case}
    if rng.random() < 0.7:
        payload["user_id"] = f"u{rng.randrange(40)}"
    return (f"e{i}", kind, ts, use_case, None, orjson.dumps(payload).decode())


def test_memo_matches_the_full_count(runtime: Runtime) -> None:
    rng = random.Random(3)
    memo = ExposureMemo(limit=3)
    start = T0 + timedelta(minutes=30)
    stored = 0
    with runtime.db.session() as session:
        for step in range(1, 60):
            end = T0 + timedelta(hours=4 * step)
            # Mostly events up to a bit past `end`, some late ones inside the counted window.
            rows = [_row(stored + k, rng.uniform(0, 4 * step * 60 + 30), rng) for k in range(60)]
            stored += len(rows)
            load_rows(session, rows)
            for begin in (start, start + timedelta(hours=1), T0):
                expected = exposure(session, "chat", begin, end)
                assert memo(session, "chat", begin, end) == expected, (step, begin)
            assert memo(session, "chat", end, end) == exposure(session, "chat", end, end)
        assert end - start > timedelta(days=7)  # the window's cap was crossed
        assert memo(session, None, start, end) == exposure(session, None, start, end)
