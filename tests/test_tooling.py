"""The house rules, enforced by the test suite itself: lint, format, types and layers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("lint-imports",),
        ("mypy",),
    ],
    ids=["ruff-lint", "ruff-format", "import-layers", "mypy-strict"],
)
def test_the_code_passes(command: tuple[str, ...]) -> None:
    result = run(str(BIN / command[0]), *command[1:])
    assert result.returncode == 0, result.stdout + result.stderr


# What only the composition root (tripwire.runtime) may build, and the few modules that build a
# part for themselves (the respond stage's inline outbox delivery in replay).
BUILT_BY_THE_ROOT = {
    "IncidentService": set(),
    "RespondIncidents": {"respond/playbooks/hook.py"},  # wraps the service it is given
    "Follower": set(),
    "EvaluateStage": set(),
    "DetectStage": set(),
    "RespondStage": set(),
    "OutboxWorker": {"respond/stage.py"},
    "JudgeWorker": set(),
    "JoinWorker": set(),
}


def test_only_the_composition_root_builds_services_and_stages() -> None:
    import ast

    src = ROOT / "src" / "tripwire"
    found: list[str] = []
    for path in src.rglob("*.py"):
        where = path.relative_to(src).as_posix()
        if where.startswith("runtime/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in BUILT_BY_THE_ROOT and where not in BUILT_BY_THE_ROOT[name]:
                found.append(f"{where}:{node.lineno} builds {name}")
    assert not found, "build these through tripwire.runtime.Runtime:\n" + "\n".join(found)
