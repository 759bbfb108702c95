from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Cast

CHAT_PROMPT = {
    "type": "string",
    "value": "v14",
    "default": "v13",
    "variants": ["v13", "v14"],
    "use_case": "support-chat",
    "description": "which prompt support-chat serves",
}


def put(client: TestClient, cast: Cast, key: str, body: dict[str, object], who: str = "respond"):
    return client.put(f"/v1/flags/{key}", json=body, headers=cast.auth(who))


def test_it_creates_a_flag_and_serves_it_with_an_etag(client: TestClient, cast: Cast) -> None:
    r = put(client, cast, "chat.prompt", {**CHAT_PROMPT, "reason": "launch v14"})
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["value"] == "v14"
    assert stored["version"] == 1
    assert stored["updated_at"] == "2026-11-20T09:00:00Z"
    r = client.get("/v1/flags", headers=cast.auth("read"))
    assert r.status_code == 200
    assert r.json()["flags"] == [stored]
    assert r.headers["etag"].startswith('"')


def test_a_matching_if_none_match_gets_304_until_a_flag_changes(
    client: TestClient, cast: Cast
) -> None:
    put(client, cast, "chat.prompt", CHAT_PROMPT)
    etag = client.get("/v1/flags", headers=cast.auth("read")).headers["etag"]
    again = client.get("/v1/flags", headers={**cast.auth("read"), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    put(client, cast, "chat.prompt", {"value": "v13"})
    changed = client.get("/v1/flags", headers={**cast.auth("read"), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["flags"][0]["version"] == 2
    one = client.get("/v1/flags/chat.prompt", headers=cast.auth("read"))
    same = client.get(
        "/v1/flags/chat.prompt", headers={**cast.auth("read"), "If-None-Match": one.headers["etag"]}
    )
    assert same.status_code == 304


def test_an_ingest_token_may_read_but_not_write(client: TestClient, cast: Cast) -> None:
    put(client, cast, "chat.enabled", {"value": True})
    assert client.get("/v1/flags", headers=cast.auth("ingest")).status_code == 200
    assert put(client, cast, "chat.enabled", {"value": False}, who="ingest").status_code == 403
    assert put(client, cast, "chat.enabled", {"value": False}, who="read").status_code == 403
    assert client.get("/v1/flags").status_code == 401
    assert client.get("/v1/flags", headers=cast.auth("revoked")).status_code == 401


def test_it_refuses_a_value_outside_the_variants_with_a_clear_error(
    client: TestClient, cast: Cast
) -> None:
    put(client, cast, "chat.prompt", CHAT_PROMPT)
    r = put(client, cast, "chat.prompt", {"value": "v99"})
    assert r.status_code == 422
    assert "not one of its variants" in r.json()["error"]
    r = put(client, cast, "chat.prompt", {"value": 3})
    assert r.status_code == 422
    assert client.get("/v1/flags/chat.prompt", headers=cast.auth("read")).json()["version"] == 1


def test_a_stale_version_is_a_conflict(client: TestClient, cast: Cast) -> None:
    put(client, cast, "chat.prompt", CHAT_PROMPT)
    put(client, cast, "chat.prompt", {"value": "v13"})
    r = put(client, cast, "chat.prompt", {"value": "v14", "version": 1})
    assert r.status_code == 409
    assert "version 2" in r.json()["error"]


def test_history_says_who_when_why_and_old_to_new(client: TestClient, cast: Cast) -> None:
    put(client, cast, "chat.prompt", CHAT_PROMPT)
    put(client, cast, "chat.prompt", {"value": "v13", "reason": "v14 invents refund rules"})
    put(client, cast, "chat.prompt", {"value": "v13"})  # no change: not recorded
    r = client.get("/v1/flags/chat.prompt/history", headers=cast.auth("read"))
    changes = r.json()["changes"]
    assert [c["version"] for c in changes] == [2, 1]
    latest = changes[0]
    assert latest["actor"] == "token 'respond'"
    assert latest["reason"] == "v14 invents refund rules"
    assert (latest["old"]["value"], latest["new"]["value"]) == ("v14", "v13")
    assert latest["at"] == "2026-11-20T09:00:00Z"
    assert changes[1]["old"] is None


def test_the_kill_switch_needs_a_reason_and_serves_the_kill_value(
    client: TestClient, cast: Cast
) -> None:
    put(client, cast, "chat.enabled", {"value": True, "use_case": "support-chat"})
    r = client.post("/v1/flags/chat.enabled/kill", json={}, headers=cast.auth("respond"))
    assert r.status_code == 422
    r = client.post(
        "/v1/flags/chat.enabled/kill", json={"reason": "jailbreak"}, headers=cast.auth("respond")
    )
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["killed"]) == (False, True)
    r = client.post("/v1/flags/nope/kill", json={"reason": "x"}, headers=cast.auth("respond"))
    assert r.status_code == 404


def test_unknown_flags_and_bad_bodies_get_json_errors(client: TestClient, cast: Cast) -> None:
    r = client.get("/v1/flags/missing", headers=cast.auth("read"))
    assert r.status_code == 404
    assert "missing" in r.json()["error"]
    r = client.put(
        "/v1/flags/x", content=b"[1]", headers={**cast.auth("respond"), "Content-Type": "a/b"}
    )
    assert r.status_code == 422
    assert put(client, cast, "bad key", {"value": True}).status_code in (404, 422)
    r = put(client, cast, "x", {"reason": "no value"})
    assert r.status_code == 422
    assert "value" in r.json()["error"]
