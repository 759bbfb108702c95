"""Where a safety incident's minutes go: the safety-trigger detector alone on the product
benchmark's simulated streams (issue 10, `benchmarks/product.py`), beside its oracle.

Each product (`product.product(seed, weeks)`, simulated once and cached as per-minute safety
checks and triggers per use case) is fed, minute by minute, to the safety-triggers total
series exactly as the engine builds it (`Series.create`, the budget share of a default use
case), and per injected safety incident the script reports:

- `first`: minutes from the onset to the first triggered check above the healthy count
  (the earliest any rule could know);
- `ours`: minutes to the detector's alert (the engine's verdict; respond opens a safety
  incident at the alert, so this is the incident's open in replay);
- `oracle`: the oracle CUSUM of `benchmarks/product.py` (true level, size and line);
- per alert the design that crossed, its line and the oracle's line.

It also counts the alerts outside any safety incident (false alarms per stream-week) over the
same streams, plus `--healthy N` simulated healthy weeks per use case volume (binomial draws at
the simulator's healthy safety rate and cycle), which is where a false-alarm difference of a
change shows.

Usage: python benchmarks/safety_study.py [--seeds 101-110] [--weeks 4] [--cache DIR]
       [--variant NAME ...] [--healthy N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.product import (  # noqa: E402
    BUDGET,
    SIGNALS,
    START,
    USE_CASES,
    WEEK,
    healthy_level,
    oracle_line,
    oracle_llr,
    product,
    streams,
)
from tripwire.config.monitors import MonitorsConfig, effective_monitors  # noqa: E402
from tripwire.detect.engine import LINE_SLACK, SEGMENT_WEIGHT  # noqa: E402
from tripwire.detect.series_state import Series  # noqa: E402
from tripwire.sim import simulate  # noqa: E402
from tripwire.sim.profile import rate_cycle  # noqa: E402

Floats = NDArray[np.float64]
ORIGIN = int(START.timestamp() // 60)  # engine minutes (since the epoch) of minute 0
# A default use case's CUSUM series (docs/detect.md, "One false-alarm budget per use case"):
# 11 totals (feedback, safety, 2 scores x 2 sources, 3 ticket topics, errors, latency) and the
# segments of the live versions (about two: the model version and a prompt version, each with
# feedback, safety, errors and 4 score streams).
TOTALS = 11
SEGMENTS = 14


def stream_budget() -> float:
    weekly = MonitorsConfig().false_alarm_budget * 7 / 30 * LINE_SLACK
    return weekly / (TOTALS + SEGMENT_WEIGHT * SEGMENTS)


@dataclass
class Incident:
    use_case: str
    onset: int
    end: int
    size: float
    shape: str


@dataclass
class Product:
    seed: int
    n: dict[str, Floats]
    k: dict[str, Floats]
    cycle: Floats
    incidents: list[Incident]


def load(seed: int, weeks: int, cache: Path) -> Product:
    path = cache / f"safety-{seed}-{weeks}.npz"
    if not path.exists():
        scenario = product(seed, weeks)
        result = simulate(scenario)
        data = streams(result.events, scenario.minutes)
        arrays: dict[str, Any] = {"cycle": rate_cycle(scenario)}
        for uc in USE_CASES:
            n, k = data.totals[(uc.name, "safety")]
            arrays[f"n:{uc.name}"], arrays[f"k:{uc.name}"] = n, k
        rows = [
            (
                t.use_case,
                int((t.onset - START).total_seconds() // 60),
                int(((t.end or t.onset) - START).total_seconds() // 60),
                t.magnitude,
                t.shape,
            )
            for t in result.truth
            if t.signal == "safety"
        ]
        arrays["incidents"] = np.array(rows, dtype=object)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(path, **arrays)
    z = np.load(path, allow_pickle=True)
    names = [uc.name for uc in USE_CASES]
    incidents = [
        Incident(str(u), int(o), int(e), float(s), str(sh)) for u, o, e, s, sh in z["incidents"]
    ]
    return Product(
        seed,
        {u: z[f"n:{u}"] for u in names},
        {u: z[f"k:{u}"] for u in names},
        z["cycle"],
        incidents,
    )


# -- the detector under study ---------------------------------------------------------------

Alert = tuple[int, int, int, float]  # (minute index, onset estimate, design, line)
Variant = Callable[[Series], None]
VARIANTS: dict[str, Variant] = {"main": lambda series: None}


def safety_series() -> Series:
    spec = next(m for m in effective_monitors(MonitorsConfig()) if m.name == "safety-triggers")
    return Series.create(("safety-triggers", "uc", "", "", ""), spec, "normal")


def run(n: Floats, k: Floats, variant: Variant, budget: float) -> list[Alert]:
    series = safety_series()
    variant(series)
    rate = series.rate
    assert rate is not None
    rate.budget = budget
    alerts: list[Alert] = []
    for i in np.flatnonzero(n > 0).tolist():
        for change in series.close(ORIGIN + i + 1, [float(n[i]), float(k[i])], None, 0.0):
            if change.state == "firing" and change.rule != "confirmed":
                lines = rate.bank.thresholds
                design = int(np.argmax([s - h for s, h in zip(rate.bank.s, lines, strict=True)]))
                alerts.append((i, change.started_at - ORIGIN - 1, design, lines[design]))
    return alerts


def oracle(p: Product, t: Incident, seed: int) -> tuple[float, float]:
    """(delay, line) of `benchmarks/product.py`'s oracle on this incident."""
    uc = next(u for u in USE_CASES if u.name == t.use_case)
    level, sd = healthy_level(uc, "safety")
    n, k = p.n[t.use_case], p.k[t.use_case]
    p0 = level * p.cycle[: len(n)]
    h = oracle_line("safety", n[:WEEK], p0[:WEEK], t.size, sd, BUDGET / len(SIGNALS), seed)
    llr = oracle_llr("safety", n[t.onset : t.end], k[t.onset : t.end], p0[t.onset : t.end], t.size, sd)
    s = 0.0
    for i, x in enumerate(llr.tolist()):
        s = max(0.0, s + x)
        if s >= h:
            return float(i + 1), h
    return math.inf, h


def first_excess(p: Product, t: Incident) -> float:
    """Minutes from the onset to the first trigger (the earliest anything can be seen)."""
    k = p.k[t.use_case][t.onset : t.end]
    hits = np.flatnonzero(k > 0)
    return float(hits[0] + 1) if len(hits) else math.inf


@dataclass
class Row:
    seed: int
    incident: Incident
    first: float
    oracle: float
    oracle_line: float
    ours: dict[str, float]
    design: dict[str, str]


def study(products: list[Product], variants: list[str], budget: float) -> tuple[list[Row], dict[str, int], float]:
    rows: list[Row] = []
    false: dict[str, int] = dict.fromkeys(variants, 0)
    weeks = 0.0
    for p in products:
        alerts = {
            (v, u.name): run(p.n[u.name], p.k[u.name], VARIANTS[v], budget)
            for v in variants
            for u in USE_CASES
        }
        for u in USE_CASES:
            weeks += (len(p.n[u.name]) - WEEK) / WEEK
            mine = [t for t in p.incidents if t.use_case == u.name]
            for v in variants:
                for i, _, _, _ in alerts[(v, u.name)]:
                    inside = any(t.onset - 15 <= i <= t.end + 60 for t in mine)
                    if i >= WEEK and not inside:
                        false[v] += 1
        for t in p.incidents:
            delay, line = oracle(p, t, p.seed * 1000 + t.onset)
            ours: dict[str, float] = {}
            design: dict[str, str] = {}
            for v in variants:
                hit = [a for a in alerts[(v, t.use_case)] if t.onset - 15 <= a[0] <= t.end + 60]
                ours[v] = max(0.0, hit[0][0] + 1 - t.onset) if hit else math.inf
                design[v] = f"{hit[0][2]}@{hit[0][3]:.1f}" if hit else "-"
            rows.append(Row(p.seed, t, first_excess(p, t), delay, line, ours, design))
    return rows, false, weeks


def median(values: list[float]) -> float:
    """The benchmark's median: nearest rank, misses infinitely late."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.5 * len(ordered)) - 1)] if ordered else math.inf


def healthy(variants: list[str], reps: int, budget: float, seed: int) -> dict[str, dict[str, float]]:
    """False alarms per stream-week on healthy weeks at each use case's volume (after a warm-up
    week), binomial draws at the healthy rate and cycle; Poisson volumes with the cycle of
    traffic of the first product."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, float]] = {v: {} for v in variants}
    minutes = 3 * WEEK
    hours = (np.arange(minutes) % 1440) / 60.0
    traffic = 1.0 + 0.5 * np.cos(2 * np.pi * (hours - 14) / 24.0)
    cycle = 1.0 - 0.15 * np.cos(2 * np.pi * (hours - 3) / 24.0)
    for uc in USE_CASES:
        per_minute = uc.share * 1100.0 / 60.0 * traffic
        counts = dict.fromkeys(variants, 0)
        for _ in range(reps):
            n = rng.poisson(per_minute).astype(np.float64)
            k = rng.binomial(n.astype(np.int64), uc.safety_rate * cycle).astype(np.float64)
            for v in variants:
                counts[v] += sum(1 for a in run(n, k, VARIANTS[v], budget) if a[0] >= WEEK)
        for v in variants:
            out[v][uc.name] = counts[v] / (reps * 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="101-110")
    ap.add_argument("--weeks", type=int, default=4)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/tw-safety-study"))
    ap.add_argument("--variant", action="append", default=None)
    ap.add_argument("--healthy", type=int, default=0, help="healthy 2-week runs per use case")
    ap.add_argument("--budget", type=float, default=None)
    args = ap.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    variants = args.variant or ["main"]
    budget = args.budget if args.budget is not None else stream_budget()
    products = [load(s, args.weeks, args.cache) for s in seeds]
    rows, false, weeks = study(products, variants, budget)
    print(f"budget {budget:.3f} nominal false alarms per stream-week")
    head = f"{'seed':>5} {'use case':16} {'size':>5} {'shape':5} {'first':>5} {'oracle':>6} {'h':>5}"
    print(head + "".join(f" {v[:14]:>14} {'design':>8}" for v in variants))
    for r in rows:
        t = r.incident
        cells = "".join(f" {r.ours[v]:14.0f} {r.design[v]:>8}" for v in variants)
        print(
            f"{r.seed:5d} {t.use_case:16} {t.size:5.1f} {t.shape:5} {r.first:5.0f} "
            f"{r.oracle:6.0f} {r.oracle_line:5.1f}{cells}"
        )
    print(f"\n{len(rows)} incidents; medians: oracle {median([r.oracle for r in rows]):.0f}")
    for v in variants:
        ours = [r.ours[v] for r in rows]
        ratio = [r.ours[v] / r.oracle for r in rows if math.isfinite(r.ours[v])]
        by_uc = {
            u.name: median([r.ours[v] for r in rows if r.incident.use_case == u.name])
            for u in USE_CASES
        }
        print(
            f"{v:20} median {median(ours):5.0f}  mean ratio to oracle "
            f"{statistics.mean(ratio):.2f}  misses {sum(not math.isfinite(x) for x in ours)}  "
            f"false {false[v]} in {weeks:.0f} stream-weeks  by use case "
            + " ".join(f"{k} {x:.0f}" for k, x in by_uc.items())
        )
    if args.healthy:
        for v, per in healthy(variants, args.healthy, budget, 7).items():
            print(f"healthy {v:20} " + " ".join(f"{k} {x:.3f}" for k, x in per.items()))


if __name__ == "__main__":
    main()
