"""`tripwire serve --processes 2` on SQLite as a user runs it: one admin token, events stored
once whichever process takes the batch, the pipeline split between the two processes, a
killed process started again, and SIGTERM drains both and exits 0."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tests.serve_proc import Serve, clean_env, wait_for
from tripwire.cli.main import app

runner = CliRunner()
USE_CASES = ["support-chat", "med-summary", "billing-bot", "search", "triage", "coach"]


def batch(first: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"out-{i}",
            "type": "output",
            "ts": "2026-11-20T09:00:00Z",
            "use_case": USE_CASES[i % len(USE_CASES)],
            "model": "m",
            "input": "How do I reset my router?",
            "output": "Hold the reset button for ten seconds.",
        }
        for i in range(first, first + count)
    ]


def children_of(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def partition_holders(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT DISTINCT holder FROM pipeline_partitions").fetchall()
    return {row[0] for row in rows if row[0]}


def test_two_processes_share_the_socket_the_events_and_the_pipeline(tmp_path: Path) -> None:
    db = tmp_path / "tw.db"
    server = Serve(clean_env(db), "--processes", "2")
    try:
        tokens = [line.strip() for line in server.stderr if line.strip().startswith("tw_")]
        assert len(tokens) == 1, server.stderr  # the parent bootstraps; the children do not
        assert sum("listening on" in line for line in server.stderr) == 1
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        pids = children_of(server.proc.pid)
        assert len(pids) == 2

        # A new connection per batch: the processes take turns accepting them.
        for first in range(0, 600, 100):
            answer = httpx.post(
                f"{server.url}/v1/events", json={"events": batch(first, 100)}, headers=headers
            )
            assert answer.json() == {"accepted": 100, "duplicates": 0}
        again = httpx.post(
            f"{server.url}/v1/events", json={"events": batch(0, 300)}, headers=headers
        )
        assert again.json() == {"accepted": 0, "duplicates": 300}

        def stats() -> dict[str, dict[str, int]]:
            return httpx.get(f"{server.url}/v1/stats", headers=headers).json()  # type: ignore[no-any-return]

        assert wait_for(lambda: stats()["pipeline"]["pending"] == 0), stats()
        assert stats()["events"]["output"] == 600
        # Each process leases its share of the partitions (holders are host:pid:n).
        assert wait_for(
            lambda: {int(h.split(":")[1]) for h in partition_holders(db)} == set(pids)
        ), partition_holders(db)

        os.kill(pids[0], signal.SIGKILL)  # a crash: the supervisor starts another at once
        assert wait_for(lambda: len(set(children_of(server.proc.pid)) - set(pids)) == 1)
        pids = children_of(server.proc.pid)
        assert any("was killed by SIGKILL" in line for line in server.stderr), server.stderr
        answer = httpx.post(
            f"{server.url}/v1/events", json={"events": batch(600, 100)}, headers=headers
        )
        assert answer.json() == {"accepted": 100, "duplicates": 0}
        assert wait_for(lambda: stats()["pipeline"]["pending"] == 0), stats()
        assert stats()["events"]["output"] == 700
    finally:
        server.proc.terminate()
        code = server.proc.wait(30)
        server.stop()
    assert code == 0, "".join(server.stderr)
    assert not [pid for pid in pids if alive(pid)]


def test_serve_explains_a_process_count_it_cannot_use(tmp_path: Path) -> None:
    for bad in ("0", "two", "²"):  # "²" is a digit to str.isdigit, not to int()
        result = runner.invoke(app, ["serve", "--processes", bad], env=clean_env(tmp_path / "t.db"))
        assert result.exit_code == 2
        assert f"--processes {bad}: give a whole number of 1 or more, or auto" in result.stderr
    env = clean_env(tmp_path / "t.db", TRIPWIRE_PROCESSES="-1")
    result = runner.invoke(app, ["serve"], env=env)
    assert result.exit_code == 2
    assert "TRIPWIRE_PROCESSES: Value error, must be a whole number of 1 or more" in result.stderr
