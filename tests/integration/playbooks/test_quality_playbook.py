"""The quality-regression playbook: evidence, suspects, a flag rollback confirmed by the
signal's recovery (or not), and undoing the rollback."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import T0
from tests.integration.respond.conftest import feed, make_runtime, respond_config, tick
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

PROMPT = {"key": "chat.prompt", "value": "v14", "variants": ["v13", "v14"], "default": "v13"}
CHANGE_AT = T0 - timedelta(minutes=25)


@pytest.fixture
def rt(db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    config = respond_config()
    config["flags"] = {"declare": [{**PROMPT, "use_case": "support-chat"}]}
    runtime = make_runtime(db_url, clock, parse_config(config))
    yield runtime
    runtime.close()


@pytest.fixture
def api(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, background=False)) as client:
        yield client


@pytest.fixture
def token(rt: Runtime) -> dict[str, str]:
    with rt.db.session() as session:
        secret = create_token(session, "ops", ["read", "respond"], rt.clock.now())[1]
    return {"Authorization": f"Bearer {secret}"}


def outputs(start: datetime, minutes: int, bad_prompt: str | None, seed: int) -> list[Any]:
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for i in range(minutes * 4):
        ts = start + timedelta(seconds=15 * i)
        prompt = "v14" if ts >= CHANGE_AT and bad_prompt and rng.random() < 0.5 else "v13"
        quality = rng.gauss(0.62 if prompt == bad_prompt else 0.86, 0.05)
        events.append({
            "id": f"o{seed}-{i}", "type": "output", "ts": isoformat_z(ts),
            "use_case": "support-chat", "model": "m", "prompt_version": prompt,
            "input": "q", "output": "a", "scores": {"quality": max(0.0, min(1.0, quality))},
        })  # fmt: skip
    return events


def history_with_a_bad_prompt(rt: Runtime) -> None:
    changes = [
        {"id": "chg-prompt", "type": "change", "ts": isoformat_z(CHANGE_AT),
         "use_case": "support-chat", "kind": "prompt_change", "version": "v14",
         "previous_version": "v13", "rollback": {"flag": "chat.prompt", "variant": "v13"}},
        {"id": "chg-infra", "type": "change", "ts": isoformat_z(T0 - timedelta(minutes=15)),
         "kind": "infra_change", "version": "lb-7"},
    ]  # fmt: skip
    before = outputs(T0 - timedelta(hours=3), 180, "v14", seed=1)
    store_events(rt.db, parse_batch(changes + before), rt.clock)


def quality_alert() -> Alert:
    return Alert(
        dedup_key="quality:support-chat",
        state="firing",
        incident_type="quality_regression",
        use_case="support-chat",
        monitor="quality",
        metric="score:quality",
        started_at=CHANGE_AT + timedelta(minutes=3),
        detected_at=T0,
        baseline=0.86,
        observed=0.74,
        magnitude=0.14,
    )


def detail(api: TestClient, token: dict[str, str]) -> dict[str, Any]:
    return api.get("/v1/incidents/INC-1", headers=token).json()


def test_the_top_suspect_is_rolled_back_and_the_recovery_confirmed(
    rt: Runtime, api: TestClient, token: dict[str, str], clock: ManualClock
) -> None:
    api.get("/v1/flags", headers=token)  # seeds the declared flag
    history_with_a_bad_prompt(rt)
    feed(rt, quality_alert())
    incident = detail(api, token)
    top = incident["suspects"][0]
    assert top["change_id"] == "chg-prompt"
    assert "quality of outputs with prompt v14" in top["why"]
    assert [s["change_id"] for s in incident["suspects"]].index("chg-infra") > 0
    sample = next(e for e in incident["evidence"] if e["text"].startswith("Confirm"))
    assert len(sample["data"]["outputs"]) == 20
    assert "(confirmed)" in sample["text"]
    flag = api.get("/v1/flags/chat.prompt", headers=token).json()
    assert flag["value"] == "v13"
    rollbacks = api.get("/v1/rollbacks", headers=token).json()["rollbacks"]
    assert (rollbacks[0]["change_id"], rollbacks[0]["state"]) == ("chg-prompt", "applied")
    mitigate = next(e for e in incident["timeline"] if e["data"].get("step") == "mitigate")
    assert mitigate["data"]["state"] == "skipped"

    store_events(rt.db, parse_batch(outputs(T0, 30, None, seed=2)), clock)
    clock.advance(timedelta(minutes=31))
    tick(rt)
    assert api.get("/v1/rollbacks", headers=token).json()["rollbacks"][0]["state"] == "confirmed"
    kinds = [e["kind"] for e in detail(api, token)["timeline"]]
    assert "rollback_confirmed" in kinds

    r = api.post(f"/v1/rollbacks/{rollbacks[0]['id']}/revert", json={}, headers=token)
    assert r.status_code == 200, r.text
    assert api.get("/v1/flags/chat.prompt", headers=token).json()["value"] == "v14"
    assert detail(api, token)["timeline"][-1]["kind"] == "flag_change"
    again = api.post(f"/v1/rollbacks/{rollbacks[0]['id']}/revert", json={}, headers=token)
    assert again.status_code == 409


def test_a_rollback_that_does_not_restore_the_signal_asks_for_another_cause(
    rt: Runtime, api: TestClient, token: dict[str, str], clock: ManualClock
) -> None:
    api.get("/v1/flags", headers=token)
    history_with_a_bad_prompt(rt)
    feed(rt, quality_alert())
    still_bad = outputs(T0, 30, "v13", seed=3)  # the real cause was something else
    store_events(rt.db, parse_batch(still_bad), clock)
    clock.advance(timedelta(minutes=31))
    tick(rt)
    incident = detail(api, token)
    assert "rollback_not_recovered" in [e["kind"] for e in incident["timeline"]]
    assert any("did not restore" in t["title"] for t in incident["tasks"])


def test_a_rollback_to_an_unapproved_webhook_becomes_a_task(
    rt: Runtime, api: TestClient, token: dict[str, str]
) -> None:
    hook = {"webhook": "https://deploy.example/rb"}
    change = {"id": "chg-hook", "type": "change", "ts": isoformat_z(CHANGE_AT),
              "use_case": "support-chat", "kind": "prompt_change", "version": "v14",
              "previous_version": "v13", "rollback": hook}  # fmt: skip
    store_events(
        rt.db, parse_batch([change, *outputs(T0 - timedelta(hours=3), 180, "v14", 4)]), rt.clock
    )
    feed(rt, quality_alert())
    incident = detail(api, token)
    assert incident["suspects"][0]["change_id"] == "chg-hook"
    task = next(t for t in incident["tasks"] if t["title"].startswith("Roll back"))
    assert "no webhook channel is configured" in task["data"]["why"]


def test_a_suspect_that_becomes_clear_later_is_rolled_back_then(
    rt: Runtime, api: TestClient, token: dict[str, str], clock: ManualClock
) -> None:
    api.get("/v1/flags", headers=token)
    change_at = T0 - timedelta(minutes=1)
    back = {"flag": "chat.prompt", "variant": "v13"}
    change = {"id": "chg-late", "type": "change", "ts": isoformat_z(change_at),
              "use_case": "support-chat", "kind": "prompt_change", "version": "v14",
              "previous_version": "v13", "rollback": back}  # fmt: skip
    quiet = outputs(T0 - timedelta(hours=2), 120, None, seed=5)
    store_events(rt.db, parse_batch([change, *quiet]), rt.clock)
    feed(rt, replace(quality_alert(), started_at=change_at))
    first = detail(api, token)
    assert api.get("/v1/flags/chat.prompt", headers=token).json()["value"] == "v14"
    assert first["suspects"][0]["score"] < 0.6  # too few v14 outputs yet

    later = outputs(T0, 20, "v14", seed=6)
    for event in later:  # the rollout started a minute before: half the traffic is on v14
        event["id"] = "late-" + event["id"]
    store_events(rt.db, parse_batch(later), clock)
    clock.advance(timedelta(minutes=20))
    tick(rt)
    assert api.get("/v1/flags/chat.prompt", headers=token).json()["value"] == "v13"
    kinds = [e["kind"] for e in detail(api, token)["timeline"]]
    assert "suspects" in kinds
