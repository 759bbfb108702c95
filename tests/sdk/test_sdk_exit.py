"""Events still queued when the product's interpreter exits are flushed by the atexit hook."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.sdk.servers import FakeIngest, serve_fake

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run_product(url: str, code: str) -> subprocess.CompletedProcess[str]:
    script = (
        textwrap.dedent(
            f"""
        import tripwire
        client = tripwire.Client({url!r}, "tok", flush_interval=3600, exit_timeout=1.0)
        """
        )
        + code
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )


def test_it_flushes_at_interpreter_exit() -> None:
    fake = FakeIngest()
    with serve_fake(ingest=fake) as url:
        done = run_product(url, "for i in range(50): client.metric('chat', 'x', i, id=f'e{i}')")
    assert done.returncode == 0, done.stderr
    assert sorted(fake.stored) == sorted(f"e{i}" for i in range(50))


def test_exit_is_not_held_up_for_long_by_a_dead_server(tmp_path: Path) -> None:
    fake = FakeIngest()
    with serve_fake(ingest=fake) as url:
        pass  # the server is gone: connection refused
    started = time.monotonic()
    done = run_product(url, "client.metric('chat', 'x', 1.0)")
    assert time.monotonic() - started < 10
    assert done.returncode == 0, done.stderr
    assert "dropped 1 event" in done.stderr or "could not deliver" in done.stderr


def test_a_forked_child_sends_only_its_own_events() -> None:
    fake = FakeIngest()
    code = textwrap.dedent(
        """
        import os
        for i in range(10):
            client.metric("chat", "x", i, id=f"parent{i}")
        pid = os.fork()
        if pid == 0:
            client.metric("chat", "x", 1.0, id="child")
        else:
            os.waitpid(pid, 0)
        """
    )
    with serve_fake(ingest=fake) as url:
        done = run_product(url, code)
    assert done.returncode == 0, done.stderr
    sent = [e["id"] for r in fake.requests for e in r.events]
    assert sorted(sent) == sorted([f"parent{i}" for i in range(10)] + ["child"])
