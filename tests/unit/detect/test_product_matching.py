"""How benchmarks/product.py matches the incidents Tripwire opened to the injected ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from benchmarks import product as pb

from tripwire.sim import TruthIncident

ONSET = pb.START + timedelta(days=10, hours=10)


def ramp() -> TruthIncident:
    """A 12-hour safety ramp in support-chat."""
    return TruthIncident(
        "safety", "safety", "support-chat", ONSET, ONSET + timedelta(hours=12), "ramp", 10.0
    )


def z(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def incident(
    type_: str, severity: str, detected: datetime, *signals: tuple[str, str, datetime]
) -> dict[str, Any]:
    return {
        "use_case": "support-chat",
        "type": type_,
        "severity": severity,
        "detected_at": z(detected),
        "paged_at": None,
        "signals": [{"monitor": m, "type": t, "detected_at": z(at)} for m, t, at in signals],
    }


def run_of(*incidents: dict[str, Any]) -> pb.ProductRun:
    return pb.ProductRun(
        scenario=None,  # type: ignore[arg-type]
        seed=1,
        weeks=1,
        truth=[ramp()],
        incidents=list(incidents),
        streams=pb.Streams(0),
        events=0,
        seconds=0.0,
    )


def hour(h: float) -> datetime:
    return ONSET + timedelta(hours=h)


def test_a_chance_alarm_of_another_monitor_in_the_window_is_false_not_a_duplicate() -> None:
    ours = incident("safety", "P0", hour(1), ("safety-triggers", "safety", hour(1)))
    blip = incident("availability", "P3", hour(7), ("latency-p95", "availability", hour(7)))
    run = run_of(ours, blip)
    matching = pb.match(run)
    assert pb.outcomes_of(run, matching)[0] == (60.0, True, 0, None)
    assert (matching.false_p01, matching.false_p23) == (0, 1)
    legacy = pb.match_by_time(run)
    assert pb.outcomes_of(run, legacy)[0][2] == 1  # the old rule: a duplicate


def test_a_second_incident_about_the_same_change_is_a_duplicate() -> None:
    first = incident("safety", "P0", hour(1), ("safety-triggers", "safety", hour(1)))
    again = incident("safety", "P0", hour(6), ("safety-triggers", "safety", hour(6)))
    run = run_of(first, again)
    assert pb.outcomes_of(run, pb.match(run))[0][2] == 1


def test_a_join_into_an_earlier_incident_counts_from_the_join() -> None:
    """A chance latency incident opened two hours before the ramp took its safety signal."""
    joined = incident(
        "safety",
        "P1",
        hour(-2),
        ("latency-p95", "availability", hour(-2)),
        ("safety-triggers", "safety", hour(2)),
    )
    run = run_of(joined)
    matching = pb.match(run)
    assert pb.outcomes_of(run, matching)[0] == (120.0, True, 0, None)
    assert (matching.false_p01, matching.false_p23) == (0, 0)
    legacy = pb.match_by_time(run)
    assert pb.outcomes_of(run, legacy)[0][0] == float("inf")  # the old rule: missed
    assert legacy.false_p01 == 1  # ... and a false P1


def test_a_mistyped_incident_carrying_the_changed_monitor_is_found_but_mistyped() -> None:
    wrong = incident("availability", "P2", hour(1), ("safety-triggers", "safety", hour(1)))
    run = run_of(wrong)
    assert pb.outcomes_of(run, pb.match(run))[0] == (60.0, False, 0, None)


def test_an_incident_of_another_use_case_is_never_matched() -> None:
    other = incident("safety", "P0", hour(1), ("safety-triggers", "safety", hour(1)))
    other["use_case"] = "med-summary"
    run = run_of(other)
    matching = pb.match(run)
    assert pb.outcomes_of(run, matching)[0][0] == float("inf")
    assert matching.false_p01 == 1


def test_recall_is_split_by_what_the_oracle_catches() -> None:
    def outcome(ours: float, oracle: float) -> pb.Outcome:
        return pb.Outcome(ramp(), ours, True if ours < float("inf") else None, 0, oracle, 60.0)

    inf = float("inf")
    out = [outcome(30, 20), outcome(inf, 40), outcome(50, 45), outcome(inf, inf), outcome(90, inf)]
    assert pb.versus_oracle(out) == (
        "recall on the changes the oracle catches: 2 of 3 (0.67); "
        "of the 2 it misses, Tripwire catches 1"
    )
