"""Which incident a returning signal belongs to (respond/grouping.py): the same signal or
monitor comes back to its incident; another monitor of the same type only when its change
began before the incident's signal cleared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tripwire.domain.alerts import Alert
from tripwire.respond.grouping import compatible, same_problem
from tripwire.store.tables.respond import SignalRow

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=2)


def signal(monitor: str, kind: str, cleared: datetime | None) -> SignalRow:
    return SignalRow(
        incident=1, dedup_key=f"detect:{monitor}:chat", source="detector", type=kind,
        monitor=monitor, metric="m", state="firing" if cleared is None else "resolved",
        started_at=T0, detected_at=T0 + timedelta(minutes=20), resolved_at=cleared,
    )  # fmt: skip


def alert(monitor: str, kind: str, began: datetime) -> Alert:
    return Alert(
        dedup_key=f"detect:{monitor}:chat", state="firing", incident_type=kind,  # type: ignore[arg-type]
        use_case="chat", monitor=monitor, metric="m", started_at=began,
        detected_at=began + timedelta(minutes=15),
    )  # fmt: skip


def test_the_same_monitor_firing_again_is_the_problem_back() -> None:
    tickets = signal("tickets-wrong-answer", "hallucination", T0 + timedelta(hours=3))
    late = alert("tickets-wrong-answer", "hallucination", T0 + timedelta(hours=5))
    assert same_problem([tickets], late)


def test_another_monitor_of_the_type_that_began_after_the_clear_is_a_new_problem() -> None:
    tickets = signal("tickets-wrong-answer", "hallucination", T0 + timedelta(hours=3))
    after = alert("groundedness-score", "hallucination", T0 + timedelta(hours=3, minutes=30))
    assert not same_problem([tickets], after)


def test_another_monitor_of_the_type_that_began_while_it_fired_is_the_same_problem() -> None:
    tickets = signal("tickets-wrong-answer", "hallucination", T0 + timedelta(hours=3))
    during = alert("groundedness-score", "hallucination", T0 + timedelta(hours=2))
    assert same_problem([tickets], during)
    firing = signal("tickets-wrong-answer", "hallucination", None)
    assert same_problem(
        [firing], alert("groundedness-score", "hallucination", T0 + timedelta(days=1))
    )


def test_another_type_is_never_the_same_problem() -> None:
    quality = signal("quality-score", "quality_regression", None)
    assert not same_problem([quality], alert("safety-triggers", "safety", T0))


def rise(monitor: str, kind: str, began: datetime, fired: datetime) -> SignalRow:
    return SignalRow(
        incident=1, dedup_key=f"detect:{monitor}:chat", source="detector", type=kind,
        monitor=monitor, metric="m", state="firing", started_at=began, detected_at=fired,
    )  # fmt: skip


def test_a_change_that_began_as_a_slow_signal_fired_joins_it() -> None:
    """A ticket topic's onset estimate runs hours early; an error surge that began at the
    minute its alarm fired is one problem for the people on call, not two."""
    tickets = rise("tickets-ai-quality", "quality_regression", T0, T0 + timedelta(hours=5))
    errors = alert("errors", "availability", T0 + timedelta(hours=5, minutes=10))
    assert compatible([tickets], errors, WINDOW)
    # ...and the other way round: the slow signal fires minutes after the surge began.
    surge = rise("errors", "availability", T0 + timedelta(hours=5), T0 + timedelta(hours=5.5))
    late = Alert(
        dedup_key="detect:tickets-ai-quality:chat", state="firing",
        incident_type="quality_regression", use_case="chat", monitor="tickets-ai-quality",
        metric="m", started_at=T0, detected_at=T0 + timedelta(hours=5, minutes=40),
    )  # fmt: skip
    assert compatible([surge], late, WINDOW)


def test_a_signal_that_fired_long_before_takes_no_new_change() -> None:
    """A rise is bounded: a signal still firing a day after it fired does not take a change
    that began then (a stale incident swallows nothing)."""
    old = rise("tickets-ai-quality", "quality_regression", T0, T0 + timedelta(hours=5))
    errors = alert("errors", "availability", T0 + timedelta(hours=8))
    assert not compatible([old], errors, WINDOW)


def test_a_long_rise_detected_days_later_does_not_join_a_stale_signal() -> None:
    """A signal fired at 09:20 and was left firing (a false alarm nobody closed). Three days
    later an alert arrives whose onset estimate runs back to six hours before that signal
    began (a slow stream, or an Alertmanager alert with an old `startsAt`): its rise covers the
    stale signal's, but nothing ties the two but that estimate. It is a new problem, with its
    own pages; the onsets alone never joined it either."""
    stale = rise("negative-feedback", "quality_regression", T0, T0 + timedelta(minutes=20))
    late = Alert(
        dedup_key="detect:tickets-ai-quality:chat", state="firing",
        incident_type="quality_regression", use_case="chat", monitor="tickets-ai-quality",
        metric="m", started_at=T0 - timedelta(hours=6), detected_at=T0 + timedelta(days=3),
    )  # fmt: skip
    assert not compatible([stale], late, WINDOW)
