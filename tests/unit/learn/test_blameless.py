import pytest

from tripwire.learn.blameless import blame_findings


@pytest.mark.parametrize(
    "text",
    ["It was human error.", "Dana should have known better.", "A careless deploy.", "Sam's fault"],
)
def test_it_flags_blame(text: str) -> None:
    assert blame_findings({"root_cause": text})


def test_it_accepts_systems_language() -> None:
    sections = {
        "root_cause": "The deploy pipeline had no evaluation gate for prompt changes.",
        "contributing_factors": ["No alert on groundedness", "The runbook step was unclear"],
    }
    assert blame_findings(sections) == []


def test_it_reads_lists() -> None:
    [finding] = blame_findings({"contributing_factors": ["fine", "negligence in review"]})
    assert finding.section == "contributing_factors"
    assert "negligence" in finding.message
