"""The incident suite: every stored case asked of a target, each answer checked, and the gate
verdict a deploy pipeline acts on (and that a `change` event may carry as `eval_gate`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.learn.evalrun.checks import Outcome, check
from tripwire.learn.evalrun.targets import Prompt, Target, TargetError
from tripwire.respond.ids import incident_id, parse_incident_id
from tripwire.store.tables.learn import EvalCaseRow
from tripwire.store.tables.respond import IncidentRow

CaseVerdict = Literal["pass", "fail", "error", "skip"]
MAX_FAILING_LISTED = 50  # a gate result names at most this many failing cases
SHOWN_ANSWER = 500


@dataclass(frozen=True, slots=True)
class Case:
    """A stored case, detached from the database so targets run outside any transaction."""

    id: int
    incident_id: str
    use_case: str | None
    description: str
    prompt: Prompt
    assertions: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    verdict: CaseVerdict
    answer: str | None
    outcomes: tuple[Outcome, ...]
    error: str | None = None

    def failures(self) -> list[str]:
        if self.error:
            return [self.error]
        return [f"{o.type}: {o.why}" for o in self.outcomes if o.verdict == "fail"]

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case.id,
            "incident_id": self.case.incident_id,
            "use_case": self.case.use_case,
            "description": self.case.description,
            "verdict": self.verdict,
            "answer": None if self.answer is None else self.answer[:SHOWN_ANSWER],
            "assertions": [
                {"type": o.type, "verdict": o.verdict, "why": o.why} for o in self.outcomes
            ],
            "error": self.error,
        }


def load_cases(
    session: Session, incident: str | None = None, use_case: str | None = None
) -> list[Case]:
    """Every stored case (or one incident's, or one use case's), oldest first."""
    query = select(EvalCaseRow, IncidentRow).join(
        IncidentRow, IncidentRow.number == EvalCaseRow.incident
    )
    if incident is not None:
        number = parse_incident_id(incident)
        if number is None:
            raise ValueError(f"{incident[:40]!r} is not an incident id (INC-n)")
        query = query.where(EvalCaseRow.incident == number)
    if use_case is not None:
        query = query.where(IncidentRow.use_case == use_case)
    return [
        Case(
            c.id,
            incident_id(c.incident),
            i.use_case,
            c.description,
            Prompt(c.input, tuple(c.context or ())),
            tuple(c.assertions or ()),
        )
        for c, i in session.execute(query.order_by(EvalCaseRow.id)).all()
    ]


def run_case(case: Case, target: Target) -> CaseResult:
    try:
        answer = target.answer(case.prompt)
    except TargetError as exc:
        return CaseResult(case, "error", None, (), str(exc))
    outcomes = tuple(check(answer, a, case.prompt.context) for a in case.assertions)
    verdicts = {o.verdict for o in outcomes}
    verdict: CaseVerdict = (
        "fail" if "fail" in verdicts else "pass" if "pass" in verdicts else "skip"
    )
    return CaseResult(case, verdict, answer, outcomes)


def run_suite(
    cases: Iterable[Case],
    target: Target,
    progress: Callable[[CaseResult], None] | None = None,
    concurrency: int = 1,
) -> list[CaseResult]:
    """Every case's result, in the cases' order; up to `concurrency` answers at once (a remote
    model spends most of the time waiting)."""

    def one(case: Case) -> CaseResult:
        result = run_case(case, target)
        if progress is not None:
            progress(result)
        return result

    if concurrency <= 1:
        return [one(c) for c in cases]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="evals") as pool:
        return list(pool.map(one, cases))


def gate_result(results: list[CaseResult], target: Target) -> dict[str, Any]:
    """The verdict in the shape a `change` event carries as `eval_gate`."""
    failing = [r for r in results if r.verdict in ("fail", "error")]
    return {
        "status": "failed" if failing else "passed",
        "target": target.label[:256],
        "cases": len(results),
        "passed": sum(r.verdict == "pass" for r in results),
        "failed": len(failing),
        "skipped": sum(r.verdict == "skip" for r in results),
        "failing": [
            {
                "case": r.case.id,
                "incident_id": r.case.incident_id,
                "description": r.case.description[:256],
            }
            for r in failing[:MAX_FAILING_LISTED]
        ],
    }
