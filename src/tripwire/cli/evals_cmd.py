"""`tripwire evals run` and `tripwire evals gate`: the incident suite against a candidate."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tripwire.cli.common import ConfigOption, err, fail, open_runtime
from tripwire.cli.learn_cmd import evals_app  # export lives there; run and gate join it
from tripwire.learn.evalrun.suite import Case, CaseResult, gate_result, load_cases, run_suite
from tripwire.learn.evalrun.targets import BadTarget, Target, parse_target

__all__ = ["evals_app"]

TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target",
        "-t",
        help='openai:BASE_URL[#MODEL] or cmd:"COMMAND" (default: TRIPWIRE_EVAL_TARGET)',
    ),
]
IncidentOption = Annotated[str | None, typer.Option("--incident", help="only INC-n's cases")]
UseCaseOption = Annotated[str | None, typer.Option("--use-case", help="only this use case")]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=1, max=3600, help="seconds per answer")
]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, max=64, help="answers asked at once")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
AllowEmpty = Annotated[
    bool, typer.Option("--allow-empty", help="pass when no case is stored (default: exit 2)")
]
MARKS = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]", "error": "[red]ERROR[/]",
         "skip": "[yellow]skip[/]"}  # fmt: skip


def _prepare(
    config: Path | None,
    target: str | None,
    incident: str | None,
    use_case: str | None,
    timeout: float,
    allow_empty: bool,
) -> tuple[Target, list[Case]]:
    spec = target or os.environ.get("TRIPWIRE_EVAL_TARGET")
    if not spec:
        fail('give --target openai:BASE_URL[#MODEL] or --target cmd:"COMMAND"')
    try:
        chosen = parse_target(spec, os.environ, timeout)
    except BadTarget as exc:
        fail(str(exc))
    runtime = open_runtime(config, workers=False)
    try:
        with runtime.db.session() as session:
            cases = load_cases(session, incident, use_case)
    except ValueError as exc:
        fail(str(exc))
    finally:
        runtime.close()
    if not cases and not allow_empty:
        fail(
            "no incident test case is stored here (check TRIPWIRE_DATABASE_URL); add one with "
            "POST /v1/incidents/INC-n/eval-cases, or pass --allow-empty"
        )
    return chosen, cases


def _progress(result: CaseResult) -> None:
    err.print(
        f"{MARKS[result.verdict]} case {result.case.id} ({result.case.incident_id})",
        markup=True,
        highlight=False,
    )


def _table(results: list[CaseResult], target: Target) -> None:
    table = Table(title=f"Incident test cases against {escape(target.label)}")
    for column in ("case", "incident", "verdict", "description", "why"):
        table.add_column(column)
    for r in results:
        table.add_row(
            str(r.case.id),
            r.case.incident_id,
            MARKS[r.verdict],
            escape(r.case.description[:80]),
            escape("; ".join(r.failures())[:300]),
        )
    Console(highlight=False).print(table)


@evals_app.command("run")
def run(
    target: TargetOption = None,
    incident: IncidentOption = None,
    use_case: UseCaseOption = None,
    timeout: TimeoutOption = 60.0,
    concurrency: ConcurrencyOption = 4,
    as_json: JsonOption = False,
    allow_empty: AllowEmpty = False,
    config: ConfigOption = None,
) -> None:
    """Ask the target every incident test case and show how each answer fares."""
    chosen, cases = _prepare(config, target, incident, use_case, timeout, allow_empty)
    results = run_suite(cases, chosen, concurrency=concurrency)
    if as_json:
        body = {"gate": gate_result(results, chosen), "results": [r.as_json() for r in results]}
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        _table(results, chosen)


@evals_app.command("gate")
def gate(
    target: TargetOption = None,
    incident: IncidentOption = None,
    use_case: UseCaseOption = None,
    timeout: TimeoutOption = 60.0,
    concurrency: ConcurrencyOption = 4,
    as_json: JsonOption = False,
    allow_empty: AllowEmpty = False,
    config: ConfigOption = None,
) -> None:
    """Exit 0 when the candidate passes every incident case, 1 when one fails (named)."""
    chosen, cases = _prepare(config, target, incident, use_case, timeout, allow_empty)
    results = run_suite(cases, chosen, None if as_json else _progress, concurrency)
    verdict = gate_result(results, chosen)
    if as_json:
        typer.echo(json.dumps(verdict, indent=2, ensure_ascii=False))
    for r in results:
        if r.verdict in ("fail", "error"):
            err.print(
                f"FAILED case {r.case.id} of {r.case.incident_id}: "
                f"{r.case.description[:120]}\n  " + "; ".join(r.failures())[:500],
                markup=False,
                highlight=False,
            )
    summary = (
        f"{verdict['passed']} passed, {verdict['failed']} failed, {verdict['skipped']} skipped"
    )
    err.print(f"eval gate {verdict['status']}: {summary}", markup=False, highlight=False)
    if verdict["status"] != "passed":
        raise typer.Exit(1)
