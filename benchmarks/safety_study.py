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
       [--variant NAME ...] [--healthy N] [--weight W]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.product import (
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
from tripwire.config.monitors import MonitorsConfig, effective_monitors
from tripwire.detect.engine import LINE_SLACK, SAFETY_WEIGHT, SEGMENT_WEIGHT
from tripwire.detect.series_state import Series
from tripwire.sim import simulate
from tripwire.sim.profile import rate_cycle

Floats = NDArray[np.float64]
ORIGIN = int(START.timestamp() // 60)  # engine minutes (since the epoch) of minute 0
# A default use case's CUSUM series (docs/detect.md, "One false-alarm budget per use case"):
# 11 totals (feedback, safety, 2 scores x 2 sources, 3 ticket topics, errors, latency) and the
# segments of the live versions (about two: the model version and a prompt version, each with
# feedback, safety, errors and 4 score streams).
TOTALS = 11
SEGMENTS = 14


def stream_budget(weight: float = SAFETY_WEIGHT) -> float:
    """The safety total's share at `weight` times a total's (the engine's `SAFETY_WEIGHT`;
    1 is main before it), the other series' shares shrinking to make room."""
    weekly = MonitorsConfig().false_alarm_budget * 7 / 30 * LINE_SLACK
    return weekly * weight / (TOTALS - 1 + weight + SEGMENT_WEIGHT * SEGMENTS)


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


def _ratios(*ratios: float) -> Variant:
    def apply(series: Series) -> None:
        rate = series.rate
        assert rate is not None
        rate.params = replace(rate.params, ratios=ratios)
        rate.__post_init__()

    return apply


def _plain(series: Series) -> None:
    """Study only: the learned rate without the one-standard-error caution."""
    rate = series.rate
    assert rate is not None
    rate.expected = lambda minute: rate.baseline.expected(minute) if rate.ready() else None  # type: ignore[method-assign]


def _matched(series: Series) -> None:
    """Study: each design's caution sized to how much its false alarms depend on the baseline's
    error (c_r h sigma^2 / 2, see docs/detect-studies.md, "Safety's delay"), instead of one
    standard error for all."""
    from tripwire.detect.rate import _llr, _p1

    rate = series.rate
    assert rate is not None
    rel2 = [0.0]

    def expected(minute: int) -> float | None:
        if not rate.ready():
            return None
        learned = rate.baseline.expected(minute)
        rel2[0] = (rate.baseline.cautious(minute) / learned - 1.0) ** 2
        return learned

    def llrs(n: float, k: float, p0: float) -> list[float]:
        out = []
        for r, h in zip(rate.params.ratios, rate.bank.thresholds, strict=True):
            c = (r - 1.0) / (r * math.log(r) - r + 1.0)
            pu = min(p0 * (1.0 + c * h * rel2[0] / 2.0), 0.999)
            out.append(_llr("bernoulli", n, k, pu, _p1("bernoulli", pu, r)))
        return out

    rate.expected = expected  # type: ignore[method-assign]
    rate._llrs = llrs  # type: ignore[method-assign]


def _both(*variants: Variant) -> Variant:
    def apply(series: Series) -> None:
        for v in variants:
            v(series)

    return apply


VARIANTS: dict[str, Variant] = {
    "matched": _matched,
    "matched-r2-3-6-10": _both(_ratios(2.0, 3.0, 6.0, 10.0), _matched),
    "main": lambda series: None,
    "plain": _plain,
    "r2-3-6": _ratios(2.0, 3.0, 6.0),
    "r1.5-2-3-6-10": _ratios(1.5, 2.0, 3.0, 6.0, 10.0),
    "r2-4-10": _ratios(2.0, 4.0, 10.0),
    "r2-3-6-10": _ratios(2.0, 3.0, 6.0, 10.0),
}
# `wN`: the detector as it is, at the safety total's share with weight N (w1: main before
# `SAFETY_WEIGHT`), so weights compare side by side on the same streams in one run.
WEIGHTS = {"w1": 1.0, "w1.5": 1.5, "w2": 2.0, "w3": 3.0, "w4": 4.0, "w6": 6.0}
VARIANTS.update(dict.fromkeys(WEIGHTS, VARIANTS["main"]))


def budget_for(variant: str, budget: float, weight: float = SAFETY_WEIGHT) -> float:
    """The variant's budget: `budget` (the safety total's at `weight`), or for a `wN` variant
    that budget moved to weight N (so `--budget` scales the weights' shares alike)."""
    own = WEIGHTS.get(variant)
    return budget if own is None else budget * stream_budget(own) / stream_budget(weight)


def safety_series() -> Series:
    spec = next(m for m in effective_monitors(MonitorsConfig()) if m.name == "safety-triggers")
    return Series.create(("safety-triggers", "uc", "", "", ""), spec, "normal")


PROBES: dict[tuple[int, int], tuple[float, float]] = {}  # (id of n, minute) -> (learned, used)


def run(
    n: Floats,
    k: Floats,
    variant: Variant,
    budget: float,
    probes: tuple[int, ...] = (),
    near: list[int] | None = None,
    counted_from: int = 0,
) -> list[Alert]:
    """The series' alerts; `near` counts excursions (from zero back to zero) that came within
    1 and 2 nats of a line after minute `counted_from`."""
    series = safety_series()
    variant(series)
    rate = series.rate
    assert rate is not None
    rate.budget = budget
    alerts: list[Alert] = []
    closest = -math.inf  # this excursion's highest statistic over its line
    for i in np.flatnonzero(n > 0).tolist():
        if probes and i in probes:
            used = rate.expected(ORIGIN + i + 1)
            learned = rate.baseline.expected(ORIGIN + i + 1)
            PROBES[(id(n), i)] = (learned, used or math.nan)
        for change in series.close(ORIGIN + i + 1, [float(n[i]), float(k[i])], None, 0.0):
            if change.raised:
                lines = rate.bank.thresholds
                design = int(np.argmax([s - h for s, h in zip(rate.bank.s, lines, strict=True)]))
                alerts.append((i, change.started_at - ORIGIN - 1, design, lines[design]))
        if near is not None and i >= counted_from and rate.firing is None:
            bank = rate.bank
            if max(bank.s) <= 0.0:
                near[0] += closest > -1.0
                near[1] += closest > -2.0
                closest = -math.inf
            else:
                excess = max(s - h for s, h in zip(bank.s, bank.thresholds, strict=True))
                closest = max(closest, excess)
    return alerts


def oracle(p: Product, t: Incident, seed: int) -> tuple[float, float]:
    """(delay, line) of `benchmarks/product.py`'s oracle on this incident."""
    uc = next(u for u in USE_CASES if u.name == t.use_case)
    level, sd = healthy_level(uc, "safety")
    n, k = p.n[t.use_case], p.k[t.use_case]
    p0 = level * p.cycle[: len(n)]
    h = oracle_line("safety", n[:WEEK], p0[:WEEK], t.size, sd, BUDGET / len(SIGNALS), seed)
    llr = oracle_llr(
        "safety", n[t.onset : t.end], k[t.onset : t.end], p0[t.onset : t.end], t.size, sd
    )
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
    probe: tuple[float, float, float]  # learned, used and the oracle's rate over the last day's


def study(
    products: list[Product], variants: list[str], budget: float, weight: float = SAFETY_WEIGHT
) -> tuple[list[Row], dict[str, int], float]:
    rows: list[Row] = []
    false: dict[str, int] = dict.fromkeys(variants, 0)
    weeks = 0.0
    for p in products:
        onsets = tuple(t.onset for t in p.incidents)
        alerts = {
            (v, u.name): run(
                p.n[u.name], p.k[u.name], VARIANTS[v], budget_for(v, budget, weight), onsets
            )
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
            n, k = p.n[t.use_case], p.k[t.use_case]
            learned, used = PROBES.get((id(n), t.onset), (math.nan, math.nan))
            day = slice(max(0, t.onset - 1440), t.onset)
            actual = float(k[day].sum() / max(n[day].sum(), 1.0))
            uc = next(u for u in USE_CASES if u.name == t.use_case)
            model = uc.safety_rate * float(np.average(p.cycle[day], weights=n[day] + 1e-9))
            probe = (learned / actual, used / actual, model / actual)
            rows.append(Row(p.seed, t, first_excess(p, t), delay, line, ours, design, probe))
    return rows, false, weeks


def median(values: list[float]) -> float:
    """The benchmark's median: nearest rank, misses infinitely late."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.5 * len(ordered)) - 1)] if ordered else math.inf


def healthy(
    variants: list[str], reps: int, budget: float, seed: int, weight: float = SAFETY_WEIGHT
) -> dict[str, dict[str, tuple[float, ...]]]:
    """Per use case volume: alarms per stream-week on healthy streams (a warm-up week, then
    three weeks counted), and excursions that came within 1 and 2 nats of a line (the same
    tail, more often, so a difference shows in fewer weeks). Volumes follow the simulator's
    daily traffic cycle (Poisson per minute), triggers its healthy rate with its daily cycle
    and its slow drift (3 % a day), as in `benchmarks/product.py`."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, tuple[float, ...]]] = {v: {} for v in variants}
    minutes = 4 * WEEK
    hours = (np.arange(minutes) % 1440) / 60.0
    traffic = 1.0 + 0.5 * np.cos(2 * np.pi * (hours - 14) / 24.0)
    cycle = 1.0 - 0.1 * np.cos(2 * np.pi * (hours - 3) / 24.0)
    for uc in USE_CASES:
        per_minute = uc.share * 1100.0 / 60.0 * traffic
        counts = {v: [0, 0, 0] for v in variants}
        for _ in range(reps):
            walk = np.cumsum(rng.normal(0.0, 0.03 / math.sqrt(24.0), minutes // 60 + 1))
            drift = np.exp(np.repeat(walk, 60)[:minutes])
            n = rng.poisson(per_minute).astype(np.float64)
            p = np.clip(uc.safety_rate * cycle * drift, 0.0, 1.0)
            k = rng.binomial(n.astype(np.int64), p).astype(np.float64)
            for v in variants:
                near: list[int] = [0, 0]
                alarms = run(
                    n, k, VARIANTS[v], budget_for(v, budget, weight), near=near, counted_from=WEEK
                )
                counts[v][0] += sum(1 for a in alarms if a[0] >= WEEK)
                counts[v][1] += near[0]
                counts[v][2] += near[1]
        for v in variants:
            out[v][uc.name] = tuple(c / (reps * 3) for c in counts[v])
    return out


def calibrate(reps: int, seed: int, drift: bool = True) -> None:
    """The learned rate's error on healthy streams (the product's cycles and drift): per use
    case volume, the mean and sd of log(learned / true) at an hourly probe after the warm-up
    week, beside the one-standard-error caution the detector adds."""
    rng = np.random.default_rng(seed)
    minutes = 4 * WEEK
    hours = (np.arange(minutes) % 1440) / 60.0
    traffic = 1.0 + 0.5 * np.cos(2 * np.pi * (hours - 14) / 24.0)
    cycle = 1.0 - 0.1 * np.cos(2 * np.pi * (hours - 3) / 24.0)
    for uc in USE_CASES:
        errors: list[float] = []
        cautions: list[float] = []
        for _ in range(reps):
            walk = np.cumsum(rng.normal(0.0, 0.03 / math.sqrt(24.0), minutes // 60 + 1))
            wander = np.exp(np.repeat(walk, 60)[:minutes]) if drift else np.ones(minutes)
            n = rng.poisson(uc.share * 1100.0 / 60.0 * traffic).astype(np.float64)
            p = np.clip(uc.safety_rate * cycle * wander, 0.0, 1.0)
            k = rng.binomial(n.astype(np.int64), p).astype(np.float64)
            series = safety_series()
            rate = series.rate
            assert rate is not None
            rate.budget = stream_budget()
            for i in range(minutes):
                if n[i] > 0:
                    series.close(ORIGIN + i + 1, [float(n[i]), float(k[i])], None, 0.0)
                if i >= WEEK and i % 60 == 30 and rate.firing is None:
                    learned = rate.baseline.expected(ORIGIN + i + 1)
                    errors.append(math.log(learned / p[i]))
                    cautions.append(rate.baseline.cautious(ORIGIN + i + 1) / learned - 1.0)
        print(
            f"calibration {uc.name:16} log(learned / true): mean {np.mean(errors):+.3f} "
            f"sd {np.std(errors):.3f}; caution (one standard error) {np.mean(cautions):.3f}"
        )


def oracles(products: list[Product]) -> None:
    """The product benchmark's oracle per incident, and the same oracle judged at the actual
    rate of the two days before onset (it knows the model's level and cycle, not the drift),
    at a quarter of its budget, and both."""
    table: list[list[float]] = []
    for p in products:
        for t in p.incidents:
            uc = next(u for u in USE_CASES if u.name == t.use_case)
            n, k = p.n[t.use_case], p.k[t.use_case]
            p0 = uc.safety_rate * p.cycle[: len(n)]
            before = slice(max(0, t.onset - 2 * 1440), t.onset)
            drifted = float(k[before].sum() / max((n[before] * p0[before]).sum(), 1e-9))
            row = []
            for scale, share in ((1.0, 1.0), (drifted, 1.0), (1.0, 0.25), (drifted, 0.25)):
                q = p0 * scale
                budget = BUDGET / len(SIGNALS) * share
                seed = p.seed * 1000 + t.onset
                h = oracle_line("safety", n[:WEEK], q[:WEEK], t.size, 0.0, budget, seed)
                span = slice(t.onset, t.end)
                llr = oracle_llr("safety", n[span], k[span], q[span], t.size, 0.0)
                s, hit = 0.0, math.inf
                for i, x in enumerate(llr.tolist()):
                    s = max(0.0, s + x)
                    if s >= h:
                        hit = float(i + 1)
                        break
                row.append(hit)
            table.append(row)
            print(p.seed, t.use_case, t.onset, f"{drifted:.2f}", *row, flush=True)
    names = ("oracle", "at the drifted rate", "at a quarter of the budget", "both")
    print(" ".join(f"{name} {median([r[i] for r in table]):.0f};" for i, name in enumerate(names)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="101-110")
    ap.add_argument("--weeks", type=int, default=4)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/tw-safety-study"))
    ap.add_argument("--variant", action="append", default=None)
    ap.add_argument("--healthy", type=int, default=0, help="healthy 2-week runs per use case")
    ap.add_argument("--budget", type=float, default=None)
    ap.add_argument("--weight", type=float, default=SAFETY_WEIGHT, help="the safety total's")
    ap.add_argument("--calibrate", type=int, default=0, help="healthy 4-week streams per volume")
    ap.add_argument("--oracles", action="store_true", help="the oracle under other assumptions")
    args = ap.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    variants = args.variant or ["main"]
    budget = args.budget if args.budget is not None else stream_budget(args.weight)
    if args.calibrate:
        for v in variants:
            VARIANTS[v](safety_series())  # a study variant that patches a module applies here
        calibrate(args.calibrate, 11)
        return
    products = [load(s, args.weeks, args.cache) for s in seeds]
    if args.oracles:
        oracles(products)
        return
    rows, false, weeks = study(products, variants, budget, args.weight)
    print(f"budget {budget:.3f} nominal false alarms per stream-week")
    head = (
        f"{'seed':>5} {'use case':16} {'size':>5} {'shape':5} {'first':>5} {'oracle':>6} {'h':>5}"
    )
    head += " learned used oracle-p0 (/ last day's rate)"
    print(head + "".join(f" {v[:14]:>14} {'design':>8}" for v in variants))
    for r in rows:
        t = r.incident
        cells = "".join(f" {r.ours[v]:14.0f} {r.design[v]:>8}" for v in variants)
        print(
            f"{r.seed:5d} {t.use_case:16} {t.size:5.1f} {t.shape:5} {r.first:5.0f} "
            f"{r.oracle:6.0f} {r.oracle_line:5.1f} {r.probe[0]:7.2f} {r.probe[1]:4.2f} "
            f"{r.probe[2]:9.2f}{cells}"
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
        print("healthy streams, per stream-week: alarms / within 1 nat / within 2 nats")
        for v, per in healthy(variants, args.healthy, budget, 7, args.weight).items():
            cells = " ".join(f"{k} {'/'.join(f'{x:.3f}' for x in c)}" for k, c in per.items())
            print(f"healthy {v:20} {cells}")


if __name__ == "__main__":
    main()
