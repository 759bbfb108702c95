"""A long-running process freezes its start-up objects and collects young garbage less often."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"


def test_tuning_freezes_start_up_and_raises_the_young_threshold_once() -> None:
    # In a child process: the collector's settings are global to the process.
    code = (
        "import gc\n"
        "from tripwire.runtime.gc_tuning import YOUNG_THRESHOLD, tune_for_service\n"
        "tune_for_service()\n"
        "frozen = gc.get_freeze_count()\n"
        "tune_for_service()\n"
        "assert gc.get_threshold()[0] == YOUNG_THRESHOLD > 700, gc.get_threshold()\n"
        "assert frozen > 1000 and gc.get_freeze_count() == frozen, frozen\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
