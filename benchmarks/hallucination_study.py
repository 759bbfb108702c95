"""Hallucination's delay against the oracle at the budget Tripwire gives the stream that catches
it (issue 10, `benchmarks/product.py`; the safety counterpart is `benchmarks/safety_study.py`).

The product benchmark's oracle sets its line for the issue's whole budget split over the six
signals (0.25 / 6 false alarms per week) on the one stream it knows will change. Tripwire splits
one budget per use case over every series it watches: a score total gets about 0.019 nominal
false alarms per week (`benchmarks/score_study.py`, `TOTAL_BUDGET`), a new version's segment a
quarter of that, spent 14 times faster in its first six hours (`engine.ROLLOUT_FACTORS`), with
a margin a nat higher; a ticket topic twice a total's share at the rates' nominal conversion
(`engine.LINE_SLACK`, `TICKET_WEIGHT`). Per hallucination incident of the given products the
script replays the same oracle (`product.score_oracle`: true level, size and segment; line from
its bootstrap) with its budget set to

- `oracle`: the product benchmark's (0.25 / 6 per week);
- `share`: the nominal share of the series that catches it (total or rollout segment, with the
  segment's extra nat; for ticket topics the nominal rate divided by `LINE_SLACK`, what the
  rates' lines spend, docs/detect.md "One false-alarm budget per use case");
- `spent`: what a score series' lines actually spend at that share (0.0045 false alarms per
  stream-week at a nominal 0.019: `MeanDetector` on 200 healthy stream-weeks, docs/detect.md
  "Score lines"), i.e. `share` x 0.24 for score series.

`--ours FILE` reads Tripwire's delays from a `benchmarks/product.py --verbose` output of the same
seeds (matched by onset minute, use case and signal). The products are simulated, not replayed:
a few minutes for two products.

Usage: python benchmarks/hallucination_study.py [--seeds 1-2] [--weeks 4] [--ours FILE]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.product import (
    BUDGET,
    SIGNALS,
    ProductRun,
    _minute,
    pct,
    product,
    score_oracle,
    streams,
)
from benchmarks.score_study import SEGMENT_MARGIN, TOTAL_BUDGET
from tripwire.detect.engine import (
    LINE_SLACK,
    ROLLOUT_FACTORS,
    SEGMENT_WEIGHT,
    TICKET_WEIGHT,
)
from tripwire.sim import TruthIncident, simulate
from tripwire.sim.profile import rate_cycle

SPENT = 0.0045 / 0.019  # a score series' measured false alarms per nominal one (Score lines)
Key = tuple[int, str, str]  # onset minute, use case, signal


def lines(t: TruthIncident) -> dict[str, float]:
    """Nats each oracle adds to the product benchmark's line for this incident's stream.

    The line is bootstrapped at the oracle's own budget and moved by ln(oracle / share): a
    CUSUM's crossings of a line h fall as e^-h, and 200 bootstrap weeks cannot resolve the
    0.4 % quantile a budget of 0.0045 per week asks for (its line would be the largest peak)."""
    oracle = BUDGET / len(SIGNALS)
    if t.signal == "tickets_wrong_answer":
        share = TOTAL_BUDGET * TICKET_WEIGHT  # a rate's nominal share is LINE_SLACK times this
        return {"oracle": 0.0, "share": math.log(oracle / share), "spent": math.log(oracle / share)}
    extra = SEGMENT_MARGIN if t.segment else 0.0
    share = TOTAL_BUDGET * (SEGMENT_WEIGHT * ROLLOUT_FACTORS[0] if t.segment else 1.0)
    return {
        "oracle": 0.0,
        "share": math.log(oracle / share) + extra,
        "spent": math.log(oracle / (share * SPENT)) + extra,
    }


def load(seed: int, weeks: int) -> ProductRun:
    """The product simulated, not replayed: streams and truth, no incidents of ours."""
    scenario = product(seed, weeks)
    result = simulate(scenario)
    data = streams(result.events, scenario.minutes)
    return ProductRun(scenario, seed, weeks, result.truth, [], data, len(result.events), 0.0)


def ours_from(path: Path | None) -> dict[Key, float]:
    """Tripwire's delays from a product run's `--verbose` injected-incident lines."""
    if path is None:
        return {}
    line = re.compile(r"^\s+(\d+) (\S+)\s+(\S+)\s+\S+\s+[-\d.]+ (?:seg|   ):\s+(\S+) ")
    out: dict[Key, float] = {}
    for text in path.read_text().splitlines():
        m = line.match(text)
        if m:
            value = m.group(4)
            out[(int(m.group(1)), m.group(2), m.group(3))] = (
                math.inf if value == "miss" else float(value)
            )
    return out


def study(runs: list[ProductRun], ours: dict[Key, float]) -> list[dict[str, float]]:
    rows = []
    print(f"{'seed':>4} {'onset':>6} {'use case':16} {'signal':21} {'seg':3} {'shape':5}", end="")
    print(f" {'size':>5} {'ours':>5} {'oracle':>6} {'share':>6} {'spent':>6}")
    for run in runs:
        cycle = rate_cycle(run.scenario)
        for t in run.truth:
            if t.incident_type != "hallucination":
                continue
            key = (_minute(t.onset), t.use_case, t.signal)
            row = {"ours": ours.get(key, math.nan)}
            for name, extra in lines(t).items():
                row[name] = score_oracle(run, t, cycle, extra=extra)
            rows.append(row)
            cells = " ".join(f"{row[c]:6.0f}" for c in ("oracle", "share", "spent"))
            seg = "seg" if t.segment else ""
            print(
                f"{run.seed:4d} {key[0]:6d} {t.use_case:16} {t.signal:21} {seg:3} {t.shape:5}"
                f" {t.magnitude:5.2f} {row['ours']:5.0f} {cells}",
                flush=True,
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1-2", help="tuning seeds only (held-out: 9001+)")
    ap.add_argument("--weeks", type=int, default=4)
    ap.add_argument("--ours", type=Path, default=None, help="a product.py --verbose output")
    args = ap.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    if max(seeds) >= 9001:
        ap.error("held-out seeds (9001+) are for the final check only")
    runs = [load(s, args.weeks) for s in seeds]
    rows = study(runs, ours_from(args.ours))
    print(f"\n{len(rows)} hallucination incidents; medians (p90), misses infinitely late:")
    for name in ("ours", "oracle", "share", "spent"):
        values = [r[name] for r in rows if not math.isnan(r[name])]
        if values:
            print(f"  {name:7} {pct(values, 50):6.0f} ({pct(values, 90):.0f})")
    print(
        f"budgets per week: oracle {BUDGET / len(SIGNALS):.4f}; score total share "
        f"{TOTAL_BUDGET} (spent x{SPENT:.2f}), rollout segment x"
        f"{SEGMENT_WEIGHT * ROLLOUT_FACTORS[0]:.2f} +{SEGMENT_MARGIN} nat; ticket topic "
        f"{TOTAL_BUDGET * TICKET_WEIGHT:.3f} (a rate's nominal {LINE_SLACK:.0f} times that)"
    )


if __name__ == "__main__":
    main()
