"""Random sequences of actions through IncidentService (with its database): the status stays
legal, refused actions change nothing, and the version and timeline only grow."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tripwire.domain.clock import ManualClock
from tripwire.domain.incidents import STATUSES
from tripwire.learn import evalcases
from tripwire.respond import queries
from tripwire.respond.service import Conflict, IncidentService, NewIncident
from tripwire.runtime.wiring import Runtime

ACTIONS = st.sampled_from(
    ["acknowledge", "mitigate", "resolve", "close", "review", "severity", "note", "role"]
)


def act(service: IncidentService, number: int, action: str, step: int) -> None:
    if action in ("acknowledge", "mitigate", "resolve", "close"):
        service.transition(number, action, "prop")  # type: ignore[arg-type]
    elif action == "review":
        service.mark_review_done(number, "prop")
    elif action == "severity":
        service.set_severity(number, ("P0", "P1", "P2", "P3")[step % 4], "because", "prop")  # type: ignore[arg-type]
    elif action == "note":
        service.add_note(number, f"note {step}", "prop")
    else:
        service.assign_role(number, "communications_lead", f"p{step % 3}", "prop")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(ACTIONS, max_size=12), severity=st.sampled_from(["P0", "P1", "P2", "P3"]))
def test_random_actions_keep_the_incident_legal(
    rt: Runtime, clock: ManualClock, actions: list[str], severity: str
) -> None:
    with rt.db.session() as session:
        service = rt.incidents(session, clock)
        now = clock.now()
        incident = service.open(
            NewIncident("availability", "t", "uc", now, now, severity=severity)  # type: ignore[arg-type]
        )
        number = incident.number
        # Every incident needs a test case to close; with one, closing stays reachable here.
        evalcases.add_case(session, incident, evalcases.CaseIn(input="q", output="a"), "p", clock)
    for step, action in enumerate(actions):
        clock.advance(timedelta(seconds=30))
        with rt.db.session() as session:
            service = rt.incidents(session, clock)
            before = service.get(number)
            status, version = before.status, before.version
            try:
                act(service, number, action, step)
            except Conflict:
                after = service.get(number)
                assert (after.status, after.version) == (status, version)
                continue
            after = service.get(number)
            assert after.status in STATUSES
            assert STATUSES.index(after.status) >= STATUSES.index(status)
            assert after.version >= version
            if after.status == "closed":
                assert after.resolved_at is not None
                assert after.severity not in ("P0", "P1") or after.review_done
    with rt.db.session() as session:
        versions = [e.version for e in queries.timeline(session, number)]
        final = queries.get_incident(session, number)
        assert final is not None
    assert versions == sorted(set(versions))
    assert versions[-1] == final.version
