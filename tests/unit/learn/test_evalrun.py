"""The checks and targets of `tripwire evals run|gate`, without a database."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from tripwire.learn.evalrun.checks import check
from tripwire.learn.evalrun.suite import Case, gate_result, run_suite
from tripwire.learn.evalrun.targets import BadTarget, Prompt, TargetError, parse_target

CONTEXT = ("Refunds are accepted within 30 days of purchase.",)


@pytest.mark.parametrize(
    ("assertion", "answer", "verdict"),
    [
        ({"type": "contains", "value": "30 days"}, "within 30 days", "pass"),
        ({"type": "contains", "value": "30 Days"}, "within 30 days", "fail"),
        ({"type": "icontains", "value": "30 Days"}, "within 30 days", "pass"),
        ({"type": "not-icontains", "value": "90 DAYS"}, "it is 90 days", "fail"),
        ({"type": "equals", "value": "yes"}, " yes\n", "pass"),
        ({"type": "starts-with", "value": "Sorry"}, "Sure", "fail"),
        ({"type": "regex", "value": r"\b30\b"}, "30 days", "pass"),
        ({"type": "regex", "value": "("}, "30 days", "fail"),
        ({"type": "is-json"}, '{"a": 1}', "pass"),
        ({"type": "not-is-json"}, '{"a": 1}', "fail"),
        ({"type": "is-refusal"}, "I'm sorry, but I can't help with that.", "pass"),
        ({"type": "not-is-refusal"}, "I cannot answer that.", "fail"),
        ({"type": "grounded"}, "Refunds are accepted within 30 days of purchase.", "pass"),
        ({"type": "grounded"}, "Refunds are accepted within 90 days of purchase.", "fail"),
        ({"type": "llm-rubric", "value": "helpful"}, "anything", "skip"),
        ({"type": "javascript", "value": "true"}, "anything", "skip"),
    ],
)
def test_each_assertion(assertion: dict[str, object], answer: str, verdict: str) -> None:
    assert check(answer, assertion, CONTEXT).verdict == verdict


def test_grounded_needs_a_context() -> None:
    outcome = check("anything", {"type": "grounded"}, ())
    assert (outcome.verdict, outcome.why) == ("fail", "the case has no context to be grounded in")


@pytest.mark.parametrize(
    "spec", ["", "openai:", "openai:ftp://x", "cmd:", "cmd:'unclosed", "http://x", "shell:ls"]
)
def test_a_bad_target_says_how_to_write_it(spec: str) -> None:
    with pytest.raises(BadTarget):
        parse_target(spec, {})


def test_the_openai_target_takes_the_model_and_key() -> None:
    target = parse_target("openai:http://127.0.0.1:1/v1#m-2", {"OPENAI_API_KEY": "k"})
    assert target.label == "openai:http://127.0.0.1:1/v1#m-2"
    assert target.api_key == "k"  # type: ignore[attr-defined]
    with pytest.raises(TargetError, match="cannot reach"):
        target.answer(Prompt("q"))


def test_a_command_that_fails_or_hangs_fails_the_case() -> None:
    failing = parse_target(f"cmd:{sys.executable} -c 'import sys; sys.exit(3)'", {})
    with pytest.raises(TargetError, match="exited 3"):
        failing.answer(Prompt("q"))
    slow = parse_target(f"cmd:{sys.executable} -c 'import time; time.sleep(5)'", {}, timeout=0.3)
    with pytest.raises(TargetError, match="longer than"):
        slow.answer(Prompt("q"))
    missing = parse_target("cmd:/nonexistent/candidate", {})
    with pytest.raises(TargetError, match="cannot run"):
        missing.answer(Prompt("q"))


class Echo:
    """Answers the question back, slower for early cases, so a pool finishes out of order."""

    label = "echo"

    def __init__(self) -> None:
        self.at_once = 0
        self.most = 0
        self.lock = threading.Lock()

    def answer(self, prompt: Prompt) -> str:
        with self.lock:
            self.at_once += 1
            self.most = max(self.most, self.at_once)
        time.sleep(0.05 / (1 + int(prompt.input)))
        with self.lock:
            self.at_once -= 1
        return prompt.input


def test_results_keep_the_case_order_with_concurrency() -> None:
    cases = [
        Case(
            i,
            f"INC-{i}",
            None,
            f"case {i}",
            Prompt(str(i)),
            ({"type": "equals", "value": str(i)},),
        )
        for i in range(8)
    ]
    cases[5] = Case(5, "INC-5", None, "case 5", Prompt("5"), ({"type": "equals", "value": "x"},))
    target = Echo()
    results = run_suite(cases, target, concurrency=4)
    assert [r.case.id for r in results] == list(range(8))
    assert target.most > 1
    verdict = gate_result(results, target)
    assert (verdict["status"], verdict["passed"], verdict["failed"]) == ("failed", 7, 1)
    assert verdict["failing"] == [{"case": 5, "incident_id": "INC-5", "description": "case 5"}]
