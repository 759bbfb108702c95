"""A person's severity holds against the clock: the periodic reassessment (every
`severity.reassess_every` while a signal fires) re-runs the rules on the same evidence, and once
a responder has lowered the severity it must not raise it back and page everyone again. A new,
larger signal is new evidence and still raises it."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import Cast
from tests.integration.respond.conftest import alert, feed, tick
from tripwire.runtime.wiring import Runtime

KEY = "safety-rate:support-chat"


def severity(api: TestClient, crew: Cast) -> str:
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    return str(incident["severity"])


def lowered_to_p3(rt: Runtime, api: TestClient, crew: Cast) -> None:
    feed(rt, alert(KEY, type_="safety", magnitude=0.8))
    assert severity(api, crew) == "P1"  # the safety rule at open
    body = {"severity": "P3", "reason": "a known red-team run, not users"}
    answer = api.post("/v1/incidents/INC-1/severity", json=body, headers=crew.auth("respond"))
    assert answer.status_code == 200, answer.text
    assert severity(api, crew) == "P3"


def test_the_periodic_reassessment_keeps_a_persons_severity(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    lowered_to_p3(rt, api, crew)
    for _ in range(4):  # an hour of reassessments while the signal still fires
        rt.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
        tick(rt)
    assert severity(api, crew) == "P3"


def test_a_larger_signal_still_raises_it(rt: Runtime, api: TestClient, crew: Cast) -> None:
    lowered_to_p3(rt, api, crew)
    feed(rt, alert(KEY, type_="safety", magnitude=2.5, at_minutes=5))
    assert severity(api, crew) == "P0"
