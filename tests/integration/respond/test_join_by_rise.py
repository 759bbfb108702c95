"""A change that begins while another signal of the use case is being raised joins its
incident, through the real path (simulated events -> `replay` -> detectors -> alerts ->
respond). No alert is built by hand."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.integration.respond.test_lifecycle_replay import CHAT, DAY, at, replayed
from tripwire.sim import Injection, Scenario

JOIN_WINDOW = timedelta(hours=2)  # respond.join_window's default


def test_an_error_surge_that_begins_as_a_thumbs_down_ramp_fires_is_the_same_incident(
    tmp_path: Path,
) -> None:
    """A thumbs-down ramp's onset is estimated at 07:21 and its alert fires at 08:35; an error
    surge begins at 10:00, more than the join window after that onset but within it of the
    alarm. On call it is one problem on one use case: one incident, typed by all its evidence
    (an outage: availability), not a quality incident beside a second availability one."""
    scenario = Scenario(
        seed=4, days=1.5, outputs_per_hour=1200, scored_per_hour=60, use_cases=CHAT,
        injections=(
            Injection("negative_feedback", "chat", DAY + 120, 2.0, "ramp", ramp_minutes=600),
            Injection("errors", "chat", DAY + 600, 8.0),
        ),
    )  # fmt: skip
    incidents = replayed(tmp_path, scenario)
    assert len(incidents) == 1, [(i["id"], i["type"], i["title"]) for i in incidents]
    [incident] = incidents
    monitors = {s["monitor"]: s for s in incident["signals"]}
    assert set(monitors) == {"negative-feedback", "errors"}
    thumbs, errors = monitors["negative-feedback"], monitors["errors"]
    # The onsets are further apart than the join window: the alarm's time joined them.
    assert at(errors["started_at"]) - at(thumbs["started_at"]) > JOIN_WINDOW
    assert incident["type"] == "availability"
