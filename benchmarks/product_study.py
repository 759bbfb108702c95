"""Why a product's incidents are false, duplicated or missing: read a database that
`benchmarks/product.py --keep DIR` kept and list, against the product's injected incidents,

- every incident, matched by detection time (same use case, detected from `MATCH_BEFORE`
  minutes before an injected onset to `MATCH_AFTER` after its end; else false, or warm-up: the
  benchmark's rule before 2026-12-07, its "matched by detection time alone" line; the
  benchmark now also asks what the incident is about, `product.matched_at`), with its signals
  (monitor, segment, onset, alert, clear, size, events, minutes to confirm, confirmed) and
  the timeline entries that change what it is (joins, confirmations, type and severity
  changes, reopenings);
- every detector alert outside the injected windows of its use case (the chance alarms, whether
  or not they opened an incident: a joined one can turn an incident false);
- per injected incident, the incidents matched to it (none: a miss; two or more: duplicates).

The product is rebuilt from its seed (`product(seed, weeks)`, then `simulate` for the truth), so
pass the seed and weeks the run used. Tuning seeds only: held-out seeds (9001+) are refused.

Usage: python benchmarks/product_study.py SEED DB [--weeks 4]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.product import DAY, MATCH_AFTER, MATCH_BEFORE, START, WEEK, product
from tripwire.sim import TruthIncident, simulate

SHOWN = ("opened", "signal", "type_changed", "severity_changed", "reopened", "resolved")


def minute(text: str | None) -> int | None:
    """Minutes since the product's start of a stored time (None stays None)."""
    if text is None:
        return None
    at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return int((at - START).total_seconds() // 60)


def windows(truth: list[TruthIncident]) -> list[tuple[str, int, int]]:
    """(use case, first, last minute) in which an incident counts as each injected one's."""
    out = []
    for t in truth:
        onset = int((t.onset - START).total_seconds() // 60)
        end = int((t.end - START).total_seconds() // 60) if t.end else onset + DAY
        out.append((t.use_case, onset - MATCH_BEFORE, end + MATCH_AFTER))
    return out


def match(wins: list[tuple[str, int, int]], use_case: str | None, at: int) -> str:
    hit = next((i for i, (u, lo, hi) in enumerate(wins) if u == use_case and lo <= at <= hi), None)
    if hit is not None:
        return f"T{hit:02d}"
    return "warm-up" if at < WEEK else "FALSE"


def signal_line(row: sqlite3.Row) -> str:
    d: dict[str, Any] = json.loads(row["details"] or "{}")
    segment = json.loads(row["segment"] or "{}")
    return (
        f"    signal {row['monitor']} {segment or ''} onset {minute(row['started_at'])} "
        f"alert {minute(row['detected_at'])} clear {minute(row['resolved_at'])} "
        f"size {row['magnitude'] or 0:+.2f} events {d.get('events')} "
        f"confirm_in {d.get('confirm_in')} "
        f"confirmed {d.get('confirmed')} source {d.get('score_source')}"
    )


def incidents(con: sqlite3.Connection, wins: list[tuple[str, int, int]]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for row in con.execute("select * from incidents order by detected_at"):
        at = minute(row["detected_at"])
        assert at is not None
        tag = match(wins, row["use_case"], at)
        found.setdefault(tag, []).append(row["number"])
        print(
            f"\nINC-{row['number']} {tag} {row['use_case']} {row['type']} {row['severity']} "
            f"detected {at} ({row['type_reason']})"
        )
        number = (row["number"],)
        query = "select * from incident_signals where incident=? order by id"
        for signal in con.execute(query, number):
            print(signal_line(signal))
        query = "select * from incident_timeline where incident=? order by seq"
        for entry in con.execute(query, number):
            if entry["kind"].startswith(SHOWN):
                print(f"      {minute(entry['at'])} {entry['kind']}: {entry['text'][:140]}")
    return found


def chance_alerts(con: sqlite3.Connection, wins: list[tuple[str, int, int]]) -> None:
    print("\ndetector alerts outside the injected windows (chance or confounder):")
    for row in con.execute("select * from detect_alerts order by detected_at"):
        at = minute(row["detected_at"])
        assert at is not None
        tag = match(wins, row["use_case"], at)
        if not tag.startswith("T"):
            print(f"  {tag} {row['use_case']} " + signal_line(row)[4:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seed", type=int)
    parser.add_argument("db", type=Path)
    parser.add_argument("--weeks", type=int, default=4)
    args = parser.parse_args()
    if args.seed >= 9001:
        parser.error("held-out seeds are never studied")
    scenario = product(args.seed, args.weeks)
    result = simulate(scenario)
    wins = windows(result.truth)
    print(f"# seed {args.seed}: injected incidents")
    for i, (t, (_, lo, hi)) in enumerate(zip(result.truth, wins, strict=True)):
        print(
            f"  T{i:02d} {lo + MATCH_BEFORE:6d}-{hi - MATCH_AFTER:6d} {t.use_case:16} "
            f"{t.signal:21} {t.shape} {t.magnitude:+.2f} {t.segment or ''}"
        )
    print("confounders:", *result.benign, sep="\n  ")
    con = sqlite3.connect(args.db)
    con.row_factory = sqlite3.Row
    found = incidents(con, wins)
    chance_alerts(con, wins)
    print("\nper injected incident:")
    for i in range(len(result.truth)):
        got = found.get(f"T{i:02d}", [])
        verdict = "MISS" if not got else ("DUPLICATE" if len(got) > 1 else "")
        print(f"  T{i:02d} -> {', '.join(f'INC-{n}' for n in got) or '-'} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
