"""`tripwire serve` as a real subprocess, for tests of start-up, auth bootstrapping and crashes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"


def clean_env(db: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any TRIPWIRE_ setting, pointed at `db`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    env["PYTHONPATH"] = str(SRC)
    env["TRIPWIRE_DATABASE_URL"] = f"sqlite:///{db}"
    env.update(extra)
    return env


def wait_for(check: Callable[[], object], timeout: float = 60) -> bool:
    """Poll `check` every 0.2 s until it is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def tripwire(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tripwire", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Serve:
    """A running `tripwire serve --port 0`; `url` is known once it has started."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tripwire", "serve", "--port", "0", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _wait_for_url(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.stderr):
                found = re.search(r"listening on (http://\S+)", line)
                if found:
                    return self._wait_healthy(found.group(1), deadline)
            if self.proc.poll() is not None:
                self._reader.join(5)
                raise RuntimeError("serve exited: " + "".join(self.stderr))
            time.sleep(0.05)
        raise RuntimeError("serve did not start: " + "".join(self.stderr))

    def _wait_healthy(self, url: str, deadline: float) -> str:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("serve never answered /healthz: " + "".join(self.stderr))

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash or an OOM kill."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
