from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tripwire.config.file import ConfigError, parse_config
from tripwire.config.playbooks import parse_duration
from tripwire.domain.incidents import INCIDENT_TYPES
from tripwire.respond.playbooks.actions import ACTIONS
from tripwire.respond.playbooks.catalog import playbook_for, shipped


def test_every_incident_type_ships_a_playbook_whose_actions_exist() -> None:
    books = shipped()
    assert set(books) == set(INCIDENT_TYPES)
    for book in books.values():
        assert all(step.action in ACTIONS for step in book.steps if step.action)


def test_the_safety_playbook_follows_the_response_steps_in_order() -> None:
    steps = [s.id for s in shipped()["safety"].steps]
    assert steps.index("page_commander_and_safety") < steps.index("assess_exposure")
    assert steps.index("assess_exposure") < steps.index("kill_switch")
    assert steps.index("kill_switch") < steps.index("capture_chain")
    assert steps.index("capture_chain") < steps.index("notify_legal_leadership")
    legal = next(s for s in shipped()["safety"].steps if s.id == "notify_legal_leadership")
    assert (legal.due, legal.severities) == (timedelta(hours=1), ["P0"])


def test_an_override_replaces_the_shipped_playbook() -> None:
    config = parse_config(
        {"playbooks": {"safety": {"title": "Ours", "steps": [{"id": "a", "title": "A"}]}}}
    )
    assert playbook_for("safety", config.playbooks).title == "Ours"
    assert playbook_for("hallucination", config.playbooks) == shipped()["hallucination"]


def test_bad_steps_are_reported_with_their_path() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "playbooks": {
                    "safety": {
                        "title": "x",
                        "steps": [
                            {"id": "a", "title": "A", "due": "soon"},
                            {"id": "a", "title": "B", "only_if": "maybe"},
                        ],
                    }
                }
            }
        )
    text = "\n".join(caught.value.problems)
    assert "playbooks.safety.steps.0.due" in text
    assert "playbooks.safety.steps.1.only_if" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", timedelta(seconds=90)), ("15m", timedelta(minutes=15)), ("2d", timedelta(days=2))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@given(st.text(max_size=8).filter(lambda t: not t.strip()[:-1].isdigit()))
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
