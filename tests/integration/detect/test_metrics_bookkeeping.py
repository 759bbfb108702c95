"""`/metrics` on a server whose partitioned pipeline has checkpointed its open windows."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import T0, Cast
from tripwire.detect.persist import save_states
from tripwire.runtime.wiring import Runtime


def test_it_serves_metrics_beside_the_stages_bookkeeping_rows(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    bookkeeping = {
        "~open|64/0": {"windows": [], "closed": 0, "late": 0},
        "~late|all": {"late": 0},
    }
    with runtime.db.session() as session:
        save_states(session, bookkeeping, T0)
    response = client.get("/metrics", headers=cast.auth("read"))
    assert response.status_code == 200
    assert "tripwire_pipeline_dead_letter 0.0" in response.text
