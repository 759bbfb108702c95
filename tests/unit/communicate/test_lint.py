"""The communication lint: what makes a message specific, accountable and plain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tripwire.communicate.drafts import DraftFacts, draft
from tripwire.communicate.lint import Scope, lint

GOOD = (
    "From 2026-11-20 09:10 to 11:40 UTC, answers from Support Chat about refunds stated the wrong "
    "refund window. 312 people received such an answer. Please review refund answers from that "
    "time; the correct window is 30 days."
)


def rules(text: str, scope: Scope = Scope()) -> set[str]:
    return {f.rule for f in lint(text, scope)}


def test_a_specific_message_passes() -> None:
    assert rules(GOOD, Scope(use_cases=("Support Chat",))) == set()


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Some users may have been affected by an issue. " + GOOD, "vague-scope"),
        (GOOD.replace("From 2026-11-20 09:10 to 11:40 UTC", "Earlier"), "no-time-window"),
        (GOOD.replace("Please review", "Sorry about"), "no-output-advice"),
        (GOOD + " The AI hallucinated because of bad luck.", "blames-the-ai"),
        (GOOD + " The LLM temperature was too high.", "over-technical"),
        (GOOD + " We are [say what you changed].", "placeholder"),
        (GOOD + " Contact {support_email}.", "placeholder"),
        (GOOD + " TODO: add the fix.", "placeholder"),
        (GOOD + " The groundedness_score fell.", "internal-name"),
        (GOOD + " mean_score:groundedness@product fell 13%.", "internal-name"),
        (GOOD + " The safety-triggers:chat monitor fired.", "internal-name"),
    ],
)
def test_it_flags(text: str, rule: str) -> None:
    assert rule in rules(text, Scope(use_cases=("Support Chat",)))


def test_it_asks_for_the_use_case() -> None:
    assert "no-use-case" in rules(GOOD, Scope(use_cases=("Med Summary",)))


def test_a_resolution_must_say_what_prevents_recurrence() -> None:
    assert "no-prevention" in rules(GOOD, Scope(resolved=True))
    assert "no-prevention" not in rules(
        GOOD + " To prevent this, we added a test.", Scope(resolved=True)
    )


FACTS = DraftFacts(
    type="hallucination",
    use_case="med-summary",
    feature_name="Medical Summaries",
    started_at=datetime(2026, 11, 20, 9, 10, tzinfo=UTC),
    ended_at=datetime(2026, 11, 20, 11, 40, tzinfo=UTC),
    exposed_users=12,
    exposed_outputs=40,
)


def test_an_initial_draft_is_specific_and_clean() -> None:
    d = draft(FACTS, "initial")
    assert "Medical Summaries" in d.text
    assert "2026-11-20 09:10 UTC" in d.text
    assert "12 people and 40 answers" in d.text
    assert d.findings == []


def test_a_resolution_draft_leaves_the_prevention_to_a_person() -> None:
    d = draft(FACTS, "resolution")
    # The placeholder blocks sending until a person says what changed.
    assert [f.rule for f in d.findings] == ["placeholder"]
    assert "[say what you changed]" in d.text
    filled = d.text.replace("[say what you changed]", "checking every summary against its source")
    assert lint(filled, Scope(use_cases=("Medical Summaries",), resolved=True)) == []


def test_the_incident_internal_names_are_flagged_but_times_and_addresses_are_not() -> None:
    scope = Scope(use_cases=("Support Chat",), internal_terms=("acme-large-2", "p8"))
    assert "internal-name" in rules(GOOD + " Model acme-large-2 was rolled back.", scope)
    plain = GOOD + " Write to help@example.com at 10:00 if you have questions."
    assert rules(plain, scope) == set()


def test_the_user_channel_must_be_a_configured_email_or_webhook_channel() -> None:
    from tripwire.config.file import ConfigError, parse_config

    with pytest.raises(ConfigError, match=r"user_messages\.channel: 'mail' is not an email"):
        parse_config({"communicate": {"user_messages": {"channel": "mail"}}})
