"""The incident status machine: property-based over random action sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tripwire.domain.incidents import (
    ACTIONS,
    SEVERITIES,
    STATUSES,
    IllegalTransition,
    Lifecycle,
    apply,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 10_000), st.booleans()), max_size=30
)


@given(steps=steps, severity=st.sampled_from(SEVERITIES))
def test_random_actions_never_reach_an_illegal_state(
    steps: list[tuple[str, int, bool]], severity: str
) -> None:
    state = Lifecycle("triggered", 1, T0)
    at = T0
    for action, seconds, review in steps:
        at = at + timedelta(seconds=seconds)
        before = state
        try:
            state = apply(state, action, at, severity, review)  # type: ignore[arg-type]
        except IllegalTransition:
            assert state == before
            continue
        assert state.version == before.version + 1
        assert STATUSES.index(state.status) > STATUSES.index(before.status)
        if state.status == "closed":
            assert before.status == "resolved"
            assert severity not in ("P0", "P1") or review
        stamps = [state.detected_at, state.mitigated_at, state.resolved_at, state.closed_at]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present)
        if state.acknowledged_at is not None:
            assert state.acknowledged_at >= state.detected_at
        assert (state.resolved_at is None) == (STATUSES.index(state.status) < 3)


def test_it_refuses_to_close_a_p1_without_its_review() -> None:
    state = apply(Lifecycle("triggered", 1, T0), "resolve", T0, "P1", False)
    with pytest.raises(IllegalTransition, match="post-incident review"):
        apply(state, "close", T0, "P1", False)
    assert apply(state, "close", T0, "P1", True).status == "closed"


def test_it_lets_a_p3_close_once_resolved() -> None:
    state = apply(Lifecycle("triggered", 1, T0), "resolve", T0, "P3", False)
    assert apply(state, "close", T0, "P3", False).closed_at == T0


def test_it_refuses_to_move_back() -> None:
    state = apply(Lifecycle("triggered", 1, T0), "mitigate", T0, "P2", False)
    with pytest.raises(IllegalTransition, match="cannot move back"):
        apply(state, "acknowledge", T0, "P2", False)


def test_resolving_implies_mitigation_but_not_acknowledgement() -> None:
    later = T0 + timedelta(minutes=5)
    state = apply(Lifecycle("triggered", 1, T0), "resolve", later, "P2", False)
    assert state.mitigated_at == later
    assert state.acknowledged_at is None
