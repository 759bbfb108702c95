"""`tripwire replay` of about a million simulated events, end to end (target: under 3 minutes).

    PYTHONPATH=src python benchmarks/replay_1m.py [--days 7] [--rate 2900] [--keep DIR]

Simulates a week at 2,900 outputs/h (about 1,026,000 events) with a few injected incidents,
writes it as JSON Lines, then runs `tripwire replay FILE --json` in a subprocess on a fresh
SQLite database and prints wall time, CPU time (user + system of the child), peak RSS,
events/s and the number of incidents (the summary is kept as `report.json` beside the
database, so two runs can be compared). `--days 0.2` gives a ~200k-event file for quick profiles.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tripwire.sim import Injection, Scenario, simulate, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
DAY = 1440


def scenario(days: float, rate: float) -> Scenario:
    """Incidents of all four types, after the first day (the detectors learn on day one)."""
    minutes = round(days * DAY)
    return Scenario(
        seed=7,
        days=days,
        outputs_per_hour=rate,
        injections=(
            Injection(
                "negative_feedback",
                "support-chat",
                int(minutes * 0.30),
                2.0,
                segment={"prompt_version": "v2"},
                segment_share=0.5,
            ),
            Injection("safety", "med-summary", int(minutes * 0.45), 10.0, duration_minutes=60),
            Injection("groundedness", "med-summary", int(minutes * 0.60), -0.15),
            Injection("errors", "support-chat", int(minutes * 0.80), 10.0, duration_minutes=90),
        ),
    )


def write_file(path: Path, days: float, rate: float) -> int:
    started = time.perf_counter()
    count = write_jsonl(simulate(scenario(days, rate)).events, path)
    print(f"wrote {count:,} events to {path} in {time.perf_counter() - started:.1f} s")
    return count


def run_replay(path: Path, workdir: Path) -> dict[str, float | int]:
    env = dict(os.environ, TRIPWIRE_DATABASE_URL=f"sqlite:///{workdir / 'replay.db'}")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "tripwire", "replay", str(path), "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"replay failed ({proc.returncode}):\n{proc.stderr}")
    last = proc.stdout.strip().splitlines()[-1]
    (workdir / "report.json").write_text(last + "\n", encoding="utf-8")
    report = json.loads(last)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "events": report["events"],
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": after.ru_maxrss / 1024,  # Linux reports KiB
        "incidents": len(report["incidents"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--rate", type=float, default=2900.0, help="outputs per hour")
    parser.add_argument("--keep", type=Path, help="write the JSONL file and database here")
    parser.add_argument("--file", type=Path, help="replay this JSONL file instead of simulating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "replay.db").unlink(missing_ok=True)
        path = args.file or workdir / "events.jsonl"
        if args.file is None:
            write_file(path, args.days, args.rate)
        result = run_replay(path, workdir)
    print(
        f"replay: {result['events']:,} events, wall {result['wall_s']:.1f} s, "
        f"CPU {result['cpu_s']:.1f} s, peak RSS {result['peak_rss_mb']:.0f} MB, "
        f"{result['events'] / result['wall_s']:,.0f} events/s, "
        f"{result['incidents']} incident(s)"
    )


if __name__ == "__main__":
    main()
