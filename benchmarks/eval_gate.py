"""Eval gate benchmark: how long `tripwire evals gate` takes per incident case.

Run: PYTHONPATH=src:. python benchmarks/eval_gate.py [--cases 200]

N incidents with one case each (four checked assertions: icontains, not-icontains,
not-is-refusal, grounded) are stored, then the suite runs against (1) a local OpenAI-compatible
stub server and (2) a `cmd:` target (a Python one-liner). Baseline in the same run: the bare
answers with no checks (N POSTs to the stub; N runs of the command), so the figure shows what
Tripwire adds on top of the candidate's own latency. Last, a stub that takes 200 ms per
answer (a remote model) shows what `--concurrency` buys.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from tests.openai_stub import openai_stub

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.learn import evalcases
from tripwire.learn.evalrun.suite import Case, gate_result, load_cases, run_suite
from tripwire.learn.evalrun.targets import parse_target
from tripwire.respond.service import NewIncident
from tripwire.runtime.wiring import Runtime

ANSWER = "Refunds are accepted within 30 days of purchase."
ASSERTIONS = [
    {"type": "icontains", "value": "30 days"},
    {"type": "not-icontains", "value": "90 days"},
    {"type": "not-is-refusal"},
    {"type": "grounded"},
]


def seed(rt: Runtime, n: int) -> None:
    now = rt.clock.now()
    with rt.db.session() as session:
        service = rt.incidents(session)
        for i in range(n):
            incident = service.open(
                NewIncident("hallucination", f"wrong window {i}", f"uc{i}", now, now)
            )
            case = evalcases.CaseIn(
                input="What is the refund window?",
                output="The refund window is 90 days.",
                context=["Refunds are accepted within 30 days of purchase."],
                assertions=ASSERTIONS,
            )
            evalcases.add_case(session, incident, case, "bench", rt.clock)


def timed(label: str, n: int, work: Callable[[], object]) -> object:
    start = time.perf_counter()
    found = work()
    spent = time.perf_counter() - start
    print(f"{label:48} {spent:7.2f} s  {spent / n * 1000:7.2f} ms/case")
    return found


def stored_cases(tmp: Path, n: int) -> list[Case]:
    settings = Settings(database_url=f"sqlite:///{tmp / 'db'}", workers=False)
    rt = Runtime.open(settings, TripwireConfig(), ManualClock(datetime(2026, 11, 20, tzinfo=UTC)))
    try:
        seed(rt, n)
        with rt.db.session() as session:
            return load_cases(session)
    finally:
        rt.close()


def bare_posts(url: str, n: int) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "q"}]}
    for _ in range(n):
        httpx.post(url + "/chat/completions", json=body).raise_for_status()


def bare_runs(script: Path, n: int) -> None:
    for _ in range(n):
        subprocess.run(
            [sys.executable, str(script)], input="q", capture_output=True, text=True, check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    n = parser.parse_args().cases
    with tempfile.TemporaryDirectory() as tmp:
        cases = stored_cases(Path(tmp), n)
        script = Path(tmp) / "cand.py"
        script.write_text(f"import sys\nsys.stdin.read()\nprint({ANSWER!r})\n")
        with openai_stub(ANSWER) as stub:
            target = parse_target(f"openai:{stub.url}", {})
            timed("baseline: bare POSTs to the stub", n, lambda: bare_posts(stub.url, n))
            results = timed("gate against openai: stub", n, lambda: run_suite(cases, target))
            print("  verdict:", gate_result(results, target)["status"])  # type: ignore[arg-type]
            timed(
                "gate against openai: stub, --concurrency 4",
                n,
                lambda: run_suite(cases, target, concurrency=4),
            )
        slow = min(n, 20)
        with openai_stub(ANSWER, delay=0.2) as stub:  # a model that takes 200 ms to answer
            target = parse_target(f"openai:{stub.url}", {})
            timed(
                "gate, 200 ms model, one at a time", slow, lambda: run_suite(cases[:slow], target)
            )
            timed(
                "gate, 200 ms model, --concurrency 4",
                slow,
                lambda: run_suite(cases[:slow], target, concurrency=4),
            )
        command = parse_target(f"cmd:{sys.executable} {script}", {})
        timed("baseline: bare runs of the command", n, lambda: bare_runs(script, n))
        timed("gate against cmd: target", n, lambda: run_suite(cases, command))


if __name__ == "__main__":
    main()
