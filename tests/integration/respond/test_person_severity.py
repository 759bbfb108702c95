"""A person's severity holds against the clock: the periodic reassessment (every
`severity.reassess_every` while a signal fires) re-runs the rules on the same evidence, and once
a responder has lowered the severity it must not raise it back and page everyone again. A new,
larger signal is new evidence and still raises it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import orjson
from fastapi.testclient import TestClient

from tests.conftest import T0, Cast
from tests.integration.respond.conftest import alert, feed, tick
from tests.integration.respond.test_alert_intake import am_alert, am_body, pd
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import LoadRow, load_rows

KEY = "safety-rate:support-chat"


def severity(api: TestClient, crew: Cast) -> str:
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    return str(incident["severity"])


def load_outputs(rt: Runtime, times: list[datetime]) -> None:
    """One stored output per time, each from its own user of support-chat."""
    rows: list[LoadRow] = []
    for i, ts in enumerate(times):
        out = {"id": f"o{i}", "type": "output", "use_case": "support-chat", "user_id": f"u{i}"}
        rows.append((f"o{i}", "output", ts, "support-chat", None, orjson.dumps(out).decode()))
    with rt.db.session() as session:
        load_rows(session, rows)


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


def test_a_hint_the_person_overruled_does_not_return_when_a_signal_joins(
    api: TestClient, crew: Cast
) -> None:
    """PagerDuty's `critical` opened the incident at P1 (its hint); the responder lowered it.
    A small Alertmanager signal joining later is new evidence for the rules (which ask P3),
    not a reason to bring back the hint the responder already overruled and page at P1."""
    auth = crew.auth("ingest")
    trigger = pd("trigger", "gpu-1", custom_details={"use_case": "support-chat"})
    assert api.post("/v1/alerts/pagerduty", json=trigger, headers=auth).status_code == 202
    assert severity(api, crew) == "P1"
    body = {"severity": "P3", "reason": "one GPU of forty, traffic rerouted"}
    answer = api.post("/v1/incidents/INC-1/severity", json=body, headers=crew.auth("respond"))
    assert answer.status_code == 200, answer.text
    joined = am_body("firing", am_alert("aa", use_case="support-chat"))
    assert api.post("/v1/alerts/alertmanager", json=joined, headers=auth).status_code == 200
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    assert len(incident["signals"]) == 2  # it joined
    assert incident["severity"] == "P3"


def test_a_hint_held_back_from_the_person_still_counts_once_confirmed(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    """Held at P2 while unconfirmed, the detector's P1 estimate was not what the responder
    lowered: its confirmation is news, and the incident rises to the hint as an unheld one
    would have opened."""
    first = replace(alert(KEY), severity_hint="P1")
    feed(rt, first)
    assert severity(api, crew) == "P2"  # held: one unconfirmed quality signal
    body = {"severity": "P3", "reason": "probably chance"}
    answer = api.post("/v1/incidents/INC-1/severity", json=body, headers=crew.auth("respond"))
    assert answer.status_code == 200, answer.text
    feed(rt, replace(first, details={"confirmed": True}))
    assert severity(api, crew) == "P1"


def test_people_exposed_are_still_counted_while_the_persons_severity_holds(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    """The reassessment keeps the person's severity, not a stale count: the incident's
    people exposed (the API, the post-incident review, the status-page drafts) still grow on
    `reassess_every` while its signal fires."""
    feed(rt, alert("neg-feedback:support-chat"))  # a quality regression: every output counts
    body = {"severity": "P3", "reason": "a handful of thumbs-down"}
    answer = api.post("/v1/incidents/INC-1/severity", json=body, headers=crew.auth("respond"))
    assert answer.status_code == 200, answer.text
    load_outputs(rt, [T0 + timedelta(minutes=i % 15) for i in range(30)])
    rt.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    tick(rt)
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    assert incident["exposed"]["users"] == 30
    assert incident["severity"] == "P3"


def test_a_severity_a_person_raised_still_rises_with_the_people_exposed(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    """Raising P3 to P2 sets a floor, not a ceiling: when a thousand people have been exposed
    the clock's reassessment still raises it to P1 ("many people exposed")."""
    feed(
        rt, replace(alert("neg-feedback:support-chat", magnitude=0.2), details={"confirmed": True})
    )
    assert severity(api, crew) == "P3"
    body = {"severity": "P2", "reason": "the sales demo runs on this"}
    answer = api.post("/v1/incidents/INC-1/severity", json=body, headers=crew.auth("respond"))
    assert answer.status_code == 200, answer.text
    # a thousand people in the ten minutes before the reassessment
    load_outputs(rt, [T0 + timedelta(milliseconds=600 * i) for i in range(1000)])
    rt.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    tick(rt)
    assert severity(api, crew) == "P1"


def test_the_overruled_hint_stays_overruled_after_the_rules_raise_the_incident(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    """The responder lowered PagerDuty's P1 to P3; a confirmed +60 % regression then raised it
    to P2 by the rules. The P1 hint is still the one the responder overruled: a third signal
    joining does not bring it back."""
    auth = crew.auth("ingest")
    trigger = pd("trigger", "gpu-1", custom_details={"use_case": "support-chat"})
    assert api.post("/v1/alerts/pagerduty", json=trigger, headers=auth).status_code == 202
    body = {"severity": "P3", "reason": "one GPU of forty, traffic rerouted"}
    answer = api.post("/v1/incidents/INC-1/severity", json=body, headers=crew.auth("respond"))
    assert answer.status_code == 200, answer.text
    feed(rt, replace(alert("neg-feedback:support-chat"), details={"confirmed": True}))
    assert severity(api, crew) == "P2"  # "clear degradation (+50 %)"
    joined = am_body("firing", am_alert("aa", use_case="support-chat"))
    assert api.post("/v1/alerts/alertmanager", json=joined, headers=auth).status_code == 200
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    assert len(incident["signals"]) == 3
    assert incident["severity"] == "P2"
