from fastapi.testclient import TestClient

from tests.conftest import Cast


def output(i: int) -> dict[str, object]:
    return {
        "id": f"o{i}",
        "type": "output",
        "ts": "2026-11-20T09:00:00Z",
        "use_case": "chat",
        "model": "m",
        "input": "hi",
        "output": "hello",
    }


def test_it_accepts_and_dedupes(client: TestClient, cast: Cast) -> None:
    r = client.post(
        "/v1/events",
        json={"events": [output(1), output(2), output(1)]},
        headers=cast.auth("ingest"),
    )
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 2, "duplicates": 1}
    r = client.get("/v1/stats", headers=cast.auth("read"))
    assert r.json()["events"] == {"output": 2}
