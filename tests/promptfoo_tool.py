"""promptfoo itself, for the tests that run the exported suite under it: installed once with
npm into a cache directory (a version that runs on Node.js 20), reused afterwards.

Skips only when npm is missing; .ci/run installs Node.js and npm so CI always runs them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

VERSION = "0.118.0"  # engines: node >= 18; later releases need newer Node.js features
INSTALL_TIMEOUT = 1800  # seconds: the first install fetches ~650 packages


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tripwire-tests" / f"promptfoo-{VERSION}"


def promptfoo() -> Path:
    """The promptfoo executable, installing it on first use."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (.ci/run installs Node.js and npm)")
    where = cache_dir()
    binary = where / "node_modules" / ".bin" / "promptfoo"
    where.mkdir(parents=True, exist_ok=True)
    with (where.parent / f".promptfoo-{VERSION}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers install once
        if not binary.exists():
            _install(where)
    return binary


def _install(where: Path) -> None:
    # The browser download of an optional dependency (playwright) is not needed to evaluate.
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", f"promptfoo@{VERSION}"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"npm install promptfoo@{VERSION} failed:\n{done.stderr[-3000:]}")


def quiet_env(config_dir: Path) -> dict[str, str]:
    """No telemetry, no update check, no sharing: only loopback traffic."""
    return {
        **os.environ,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_DISABLE_SHARING": "1",
        "PROMPTFOO_CONFIG_DIR": str(config_dir),
        "OPENAI_API_KEY": "test-key",
    }
