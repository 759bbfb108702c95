"""Hallucination's delay against the oracle at the budget Tripwire gives the stream that catches
it (issue 10, `benchmarks/product.py`; the safety counterpart is `benchmarks/safety_study.py`).

The product benchmark's oracle sets its line for the issue's whole budget split over the six
signals (0.25 / 6 false alarms per week) on the one stream it knows will change. Tripwire splits
one budget per use case over every series it watches: a score total of a product use case gets
0.014-0.017 nominal false alarms per week (`--trace` prints the engine's own; `TOTAL_SHARE`), a
new version's segment a quarter of that, spent 14 times faster in its first six hours
(`engine.ROLLOUT_FACTORS`), with a margin a nat higher; a ticket topic twice a total's share at
the rates' nominal conversion (`engine.LINE_SLACK`, `TICKET_WEIGHT`). Per hallucination incident
of the given products the script replays the same oracle (`product.score_oracle`: true level,
size and segment; line from its bootstrap) with its budget set to

- `oracle`: the product benchmark's (0.25 / 6 per week);
- `share`: the nominal share of the series that catches it (total or rollout segment, with the
  segment's extra nat; for ticket topics the nominal rate divided by `LINE_SLACK`, what the
  rates' lines spend, docs/detect.md "One false-alarm budget per use case");
- `spent`: what a score series' lines actually spend at that share (0.0045 false alarms per
  stream-week at a nominal 0.019: `MeanDetector` on 200 healthy stream-weeks, docs/detect-studies.md
  "Score lines"), i.e. `share` x 0.24 for score series.

`--trace SEED:USE_CASE:ONSET` drives the engine alone over that use case's events up to 12 hours
after the onset (with Tripwire's own quality scores, constant 1.0 on the simulator's canned
texts, as the replay has them, so the budget split is the replay's) and prints every
half hour the product's groundedness series (total and the incident's version): budget, bank
statistics and lines, reference, recent spread, beside the oracle's CUSUM on that version's
scores (the total's when there is no version).

`--ours FILE` reads Tripwire's delays from a `benchmarks/product.py --verbose` output of the same
seeds (matched by onset minute, use case and signal). The products are simulated, not replayed:
a few minutes for two products.

Usage: python benchmarks/hallucination_study.py [--seeds 1-2] [--weeks 4] [--ours FILE]
       python benchmarks/hallucination_study.py --trace 1:support-chat:22949
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.product import (
    BUDGET,
    SIGNALS,
    START,
    ProductRun,
    _minute,
    oracle_level,
    pct,
    product,
    score_oracle,
    streams,
)
from benchmarks.score_study import SEGMENT_MARGIN
from tripwire.config.monitors import MonitorsConfig
from tripwire.detect.engine import (
    LINE_SLACK,
    ROLLOUT_FACTORS,
    SEGMENT_WEIGHT,
    TICKET_WEIGHT,
    Engine,
)
from tripwire.evaluate.sampling import unit_hash
from tripwire.sim import TruthIncident, simulate
from tripwire.sim.profile import rate_cycle

TOTAL_SHARE = 0.015  # a product score total's nominal share (--trace: 0.0137-0.0173)
SPENT = 0.0045 / 0.019  # a score series' measured false alarms per nominal one (Score lines)
Key = tuple[int, str, str]  # onset minute, use case, signal


def lines(t: TruthIncident) -> dict[str, float]:
    """Nats each oracle adds to the product benchmark's line for this incident's stream.

    The line is bootstrapped at the oracle's own budget and moved by ln(oracle / share): a
    CUSUM's crossings of a line h fall as e^-h, and 200 bootstrap weeks cannot resolve the
    0.4 % quantile a budget of 0.0045 per week asks for (its line would be the largest peak)."""
    oracle = BUDGET / len(SIGNALS)
    if t.signal == "tickets_wrong_answer":
        share = TOTAL_SHARE * TICKET_WEIGHT  # a rate's nominal share is LINE_SLACK times this
        return {"oracle": 0.0, "share": math.log(oracle / share), "spent": math.log(oracle / share)}
    extra = SEGMENT_MARGIN if t.segment else 0.0
    share = TOTAL_SHARE * (SEGMENT_WEIGHT * ROLLOUT_FACTORS[0] if t.segment else 1.0)
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


# -- one incident through the engine --------------------------------------------------------

MONITOR = "groundedness-score"


def _evaluator_score(event: dict[str, Any]) -> dict[str, Any] | None:
    """Tripwire's own quality score of a sampled output: 1.0 on every canned text (the
    replay's; its groundedness evaluator scores nothing, the outputs carry no context)."""
    if event["type"] != "output" or "scores" not in event or unit_hash(event["id"]) >= 0.1:
        return None
    fields = {"name": "quality", "value": 1.0, "source": "tripwire:quality"}
    return {"output_id": event["id"], "use_case": event["use_case"], "ts": event["ts"], **fields}


def _oracle_step(t: TruthIncident, count: float, total: float) -> float:
    level, sd, size = oracle_level("groundedness", 0.85, 0.15, t.magnitude)
    return (size * (total - count * level) - count * size * size / 2) / sd**2


def _trace_line(engine: Engine, t: TruthIncident, rel: int, oracle: float) -> list[str]:
    version = next(iter(t.segment.values()), "")
    out = []
    for value in dict.fromkeys(["", version]):
        field = "prompt_version" if value else ""
        series = engine.series.get((MONITOR, t.use_case, "product", field, value))
        total = engine.series.get((MONITOR, t.use_case, "product", "", ""))
        if series is None or series.mean is None or total is None or total.mean is None:
            continue
        det = series.mean
        ref = det.reference() or total.mean.reference()
        if ref is None:
            continue
        c, s, q = det.recent
        spread = math.sqrt(max(q / c - (s / c) ** 2, 0.0)) if c else math.nan
        out.append(
            f"{rel:5d} {value or 'total':18} budget {det.budget or 0.0:.4f} s "
            + "/".join(f"{x:.1f}" for x in det.bank.s)
            + " h "
            + "/".join(f"{x:.1f}" for x in det.bank.thresholds)
            + f" ref {ref.mu:.3f}/{ref.sd:.3f} recent {s / max(c, 1e-9):.3f}/{spread:.3f}"
            + f" widen {det._widen(ref):.1f} oracle {oracle:.1f}"
        )
    return out


def _versions(engine: Engine, use_case: str, minute: int) -> list[str]:
    """Each version's own baseline of the traced monitor at `minute`: mean/sd, the decayed
    count of scores behind it, whether it is ready, and when it was last fed."""
    out = []
    for key, series in sorted(engine.series.items()):
        if key[:3] != (MONITOR, use_case, "product") or series.mean is None:
            continue
        b = series.mean.baseline
        out.append(
            f"  version {key[4] or 'total':18} own {b.mean():.3f}/{b.sd():.3f} n {b.c:.0f} "
            f"ready {series.mean.ready()} last fed {series.last_minute - minute:+d} min"
        )
    return out


def trace(spec: str, weeks: int) -> None:
    seed_text, use_case, onset_text = spec.split(":")
    seed, onset = int(seed_text), int(onset_text)
    if seed >= 9001:
        raise SystemExit("held-out seeds (9001+) are for the final check only")
    result = simulate(product(seed, weeks))
    t = next(x for x in result.truth if x.use_case == use_case and _minute(x.onset) == onset)
    version = next(iter(t.segment.values()), None)
    engine = Engine(MonitorsConfig())
    origin = int(START.timestamp() // 60)
    current, oracle, window = -1, 0.0, [0, 0.0]
    for event in result.events:
        if event.get("use_case") != use_case:
            continue
        minute = _minute(datetime.fromisoformat(event["ts"].replace("Z", "+00:00")))
        if minute > onset + 720:
            break
        while current < minute:
            current += 1
            for verdict in engine.close(origin + current):
                if verdict.change.raised:
                    print(f"alert at {current - onset:+d} min: {verdict.key}")
            if current > onset:
                oracle = max(0.0, oracle + _oracle_step(t, window[0], window[1]))
            window = [0, 0.0]
            if current == onset:
                print("\n".join(_versions(engine, t.use_case, origin + current)), flush=True)
            if current >= onset and (current - onset) % 30 == 0:
                print("\n".join(_trace_line(engine, t, current - onset, oracle)), flush=True)
        engine.observe(event["type"], use_case, event, event.get("topic"))
        extra = _evaluator_score(event)
        if extra is not None:
            engine.observe("score", use_case, extra, None)
        score = event.get("scores", {}).get("groundedness") if event["type"] == "output" else None
        if (
            score is not None
            and minute >= onset
            and event.get("prompt_version") == (version or event.get("prompt_version"))
        ):
            window[0] += 1
            window[1] += float(score)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1-2", help="tuning seeds only (held-out: 9001+)")
    ap.add_argument("--weeks", type=int, default=4)
    ap.add_argument("--ours", type=Path, default=None, help="a product.py --verbose output")
    ap.add_argument("--trace", default=None, help="SEED:USE_CASE:ONSET, one incident's series")
    args = ap.parse_args()
    if args.trace:
        trace(args.trace, args.weeks)
        return
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
        f"{TOTAL_SHARE} (spent x{SPENT:.2f}), rollout segment x"
        f"{SEGMENT_WEIGHT * ROLLOUT_FACTORS[0]:.2f} +{SEGMENT_MARGIN} nat; ticket topic "
        f"{TOTAL_SHARE * TICKET_WEIGHT:.3f} (a rate's nominal {LINE_SLACK:.0f} times that)"
    )


if __name__ == "__main__":
    main()
