"""Benchmark of the generic detector behind `tripwire detect-series`, on a seeded synthetic
corpus of labelled series, beside two references run on the same corpus:

- zscore100: |x - mean| / std of the previous 100 values;
- ewma: |x - EWMA| / EW standard deviation of the residuals (alpha 0.1).

Series: 17 base behaviours (noise, heavy tails, random walk, AR(1), trend, periods 24 to 1440,
weekly pattern, Poisson counts, integer values, intermittent zeros, clipping, multiplicative and
drifting-amplitude seasonality, step regimes), each with one anomaly of 11 kinds, plus
normal-only series. Per anomaly kind and overall (the mean over kinds):

- AUC, AP: point ROC-AUC and average precision (per series, averaged);
- rF1: range F1 at the series' best threshold (recall: the anomaly range has an alarm; precision:
  alarm runs that touch it over all alarm runs);
- det, dly: share of anomalies with an alarm in their range (+10 rows) and median delay in rows,
  at one threshold per detector fixed on the normal-only series at 1 alarm run per 10k rows;
- FA/10k: alarm runs per 10k rows on the normal-only series, per base, at that threshold.

Usage: python benchmarks/series.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import lfilter
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import series_window as sw
from tripwire.detect.series_csv import score_series

Base = tuple[np.ndarray, float, int, np.ndarray]  # values, noise scale, period, seasonal part
INTEGER = {"poisson", "quantised", "intermittent"}
TOL = 10  # rows after a range in which an alarm still counts as its detection


def _wave(t: np.ndarray, period: int, harmonics: int = 1) -> np.ndarray:
    return sum(np.sin(2 * np.pi * k * t / period + k) / k for k in range(1, harmonics + 1))


def _seasonal(n: int, rng: np.random.Generator, period: int, amp: float, sd: float) -> Base:
    t = np.arange(n)
    season = amp * _wave(t, period, 1 + int(rng.integers(0, 3)))
    return 10 + season + rng.normal(0, sd, n), sd, period, season


def _weekly(n: int, rng: np.random.Generator) -> Base:
    t = np.arange(n)
    week = np.where((t // 288) % 7 >= 5, 0.4, 1.0)
    season = 4 * week * np.clip(_wave(t, 288, 2), -0.2, None)
    return 20 + season + rng.normal(0, 0.4, n), 0.4, 288, season


def _steps(n: int, rng: np.random.Generator) -> Base:
    change = rng.random(n) < 1 / 300
    level = np.cumsum(np.where(change, rng.normal(0, 4, n), 0.0))
    return 30 + level + rng.normal(0, 0.5, n), 0.5, 0, np.zeros(n)


def _base(kind: str, n: int, rng: np.random.Generator) -> Base:
    t, noise, zero = np.arange(n), rng.normal(0, 1, n), np.zeros(n)
    if kind.startswith("s") and kind[1:].isdigit():
        p = int(kind[1:])
        return _seasonal(n, rng, p, 3.0, 0.5)
    simple: dict[str, Callable[[], Base]] = {
        "white": lambda: (10 + noise, 1.0, 0, zero),
        "heavy": lambda: (10 + rng.standard_t(2.5, n), 1.5, 0, zero),
        "randwalk": lambda: (100 + np.cumsum(noise), 1.0, 0, zero),
        "ar1": lambda: (50 + lfilter([1.0], [1.0, -0.95], noise), 1.5, 0, zero),
        "trend": lambda: (5 + t * 20 / n + noise, 1.0, 0, zero),
        "weekly": lambda: _weekly(n, rng),
        "steps": lambda: _steps(n, rng),
        "amplitude": lambda: _amp(n, rng),
        "clipped": lambda: (np.minimum(100, 85 + 10 * _wave(t, 288) + 4 * noise), 4.0, 288, zero),
    }
    if kind in simple:
        return simple[kind]()
    if kind == "poisson":
        lam = 2 * (1 + 0.8 * _wave(t, 96))
        return rng.poisson(lam).astype(float), 1.4, 96, lam - 2
    if kind == "quantised":
        season = 2 * _wave(t, 144)
        return np.round(20 + season + 0.7 * noise), 1.0, 144, season
    if kind == "intermittent":
        return np.where(rng.random(n) < 0.7, 0.0, rng.gamma(2, 5, n)), 8.0, 0, zero
    season = (50 + 0.01 * t) * 0.4 * _wave(t, 96)  # multiplicative
    return (50 + 0.01 * t + season) * (1 + 0.02 * noise), 1.5, 96, season


def _amp(n: int, rng: np.random.Generator) -> Base:
    t = np.arange(n)
    season = (3 + 2 * np.sin(2 * np.pi * t / n)) * _wave(t, 144)
    return 10 + season + rng.normal(0, 0.5, n), 0.5, 144, season


def _quiet(kind: str, n: int, rng: np.random.Generator) -> Base:
    """Series with no noise at all, normal by construction: flat, a noiseless sine, and
    piecewise-constant counts (long runs of one integer, as a count of rare events per row)."""
    t, zero = np.arange(n), np.zeros(n)
    if kind == "flat":
        return np.full(n, float(rng.choice([0.0, 1.0, 42.0, 1e6]))), 1.0, 0, zero
    if kind == "sine":
        period = int(rng.choice([24, 50, 100, 288]))
        season = float(rng.uniform(1, 10)) * np.sin(2 * np.pi * t / period)
        return 10 + season, 1.0, period, season
    runs = rng.geometric(1 / float(rng.choice([30, 100, 300])), n)
    levels = rng.poisson(float(rng.uniform(0.5, 5)), n).astype(float)
    return np.repeat(levels, runs)[:n], 1.0, 0, zero


def _held_out(kind: str, n: int, rng: np.random.Generator) -> Base:
    """Generators never used while tuning the detector."""
    t, zero = np.arange(n), np.zeros(n)
    if kind == "sawtooth":
        season = 3.0 * (t % 60) / 60
        return 10 + season + rng.normal(0, 0.3, n), 0.3, 60, season
    if kind == "square":
        season = 2.0 * (np.sin(2 * np.pi * t / 200) > 0)
        return 5 + season + rng.normal(0, 0.3, n), 0.3, 200, season
    if kind == "counts20":
        lam = 20 * (1 + 0.5 * np.sin(2 * np.pi * t / 48))
        return rng.poisson(lam).astype(float), 4.5, 48, lam - 20
    if kind == "lognormal":
        return np.exp(rng.normal(2, 0.3, n)), 2.2, 0, zero
    if kind == "logistic":
        return 100 / (1 + np.exp(-(t - n / 2) / (n / 8))) + rng.normal(0, 1, n), 1.0, 0, zero
    if kind == "ar2":
        return 20 + lfilter([1.0], [1.0, -1.2, 0.3], rng.normal(0, 0.5, n)), 1.2, 0, zero
    if kind == "square_quiet":
        season = 2.0 * (np.sin(2 * np.pi * t / 120) > 0)
        return 3 + season, 1.0, 120, season
    return _quiet(kind, n, rng)


BASES = ["white", "heavy", "randwalk", "ar1", "trend", "s24", "s96", "s144", "weekly", "s1440"]
BASES += ["poisson", "quantised", "intermittent", "clipped", "multiplicative", "amplitude"]
BASES += ["steps"]
SEASONAL = [b for b in BASES if b[1:].isdigit() or b in {"weekly", "quantised", "amplitude"}]
SEASONAL += ["multiplicative", "poisson"]
QUIET = ["flat", "sine", "pwconst"]
HELD_OUT = ["sawtooth", "square", "counts20", "lognormal", "logistic", "ar2"]
HELD_OUT_SEASONAL = ["sawtooth", "square", "counts20"]
HELD_OUT_QUIET = ["flat", "sine", "pwconst", "square_quiet"]
KINDS = ["spike", "dip", "burst", "level_up", "level_down", "variance", "trend_change"]
KINDS += ["season_break", "flatline", "missing_peak", "drift"]


def _inject(kind: str, base: Base, rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    x, sd, period, season = base
    x, n = x.copy(), len(x)
    span = int(np.clip(n / 40, 20, 200))
    s = int(rng.integers(int(0.35 * n), int(0.85 * n)))
    e, size, sign = s + span, rng.uniform(4, 8) * sd, 1 if kind != "dip" else -1
    if kind in {"spike", "dip"}:
        x[s] += sign * size
        e = s + 1
    elif kind == "burst":
        e = s + int(rng.integers(3, 20))
        x[s:e] += 0.7 * size + rng.normal(0, sd, e - s)
    elif kind in {"level_up", "level_down"}:
        x[s:] += (0.75 if kind == "level_up" else -0.75) * size
    elif kind == "variance":
        x[s:e] += rng.normal(0, rng.uniform(2, 4) * sd, e - s)
    elif kind == "trend_change":
        x[s:] += size * np.arange(n - s) / span
    elif kind == "season_break":
        shift = max(2, period // 3)
        x[s:e] = x[s - shift : e - shift]
    elif kind == "flatline":
        x[s:e] = x[s - 1]
    elif kind == "missing_peak":
        e = s + period
        x[s:e] -= np.maximum(0.0, season[s:e] - np.median(season[s:e]))
    else:  # drift: a slow ramp that is reset at its end
        x[s:e] += size * np.arange(e - s) / (e - s)
    return x, s, min(e, n)


@dataclass
class Case:
    name: str
    base: str
    x: np.ndarray
    start: int = -1
    end: int = -1


def _length(base: str, rng: np.random.Generator, quick: bool) -> int:
    floor = {"s1440": 10000, "weekly": 7000}.get(base, 0)
    choices = [400, 1200, 3000, 6000] if quick else [400, 1500, 4000, 8000, 20000]
    return max(floor, int(rng.choice(choices)))


def corpus(quick: bool) -> list[Case]:
    """The tuning corpus: anomalous series of every kind, normal-only series of every base
    behaviour and of the noiseless ones."""
    rng = np.random.default_rng(20261127)
    per_kind, normals = (4, 1) if quick else (24, 3)
    cases: list[Case] = []
    for kind in KINDS:
        pool = SEASONAL if kind in {"season_break", "missing_peak"} else BASES
        for i in range(per_kind):
            base = pool[(i * 7 + KINDS.index(kind)) % len(pool)]
            x, s, e = _inject(kind, _base(base, _length(base, rng, quick), rng), rng)
            x = np.maximum(np.round(x), 0) if base in INTEGER else x
            cases.append(Case(kind, base, x, s, e))
    for base in BASES[:-1]:  # regime steps are level shifts: not normal-only material
        for _ in range(normals):
            cases.append(Case("normal", base, _base(base, _length(base, rng, quick), rng)[0]))
    for base in QUIET:
        for _ in range(2 * normals):
            cases.append(Case("normal", base, _quiet(base, _length(base, rng, quick), rng)[0]))
    return cases


def held_out(quick: bool) -> list[Case]:
    """Other generators and another seed, never looked at while tuning the detector."""
    rng = np.random.default_rng(77031)
    per_kind, normals = (2, 1) if quick else (8, 2)
    cases: list[Case] = []
    for kind in KINDS:
        pool = HELD_OUT_SEASONAL if kind in {"season_break", "missing_peak"} else HELD_OUT
        for i in range(per_kind):
            base = pool[(i * 5 + KINDS.index(kind)) % len(pool)]
            generated = _held_out(base, _length(base, rng, quick), rng)
            x, s, e = _inject(kind, generated, rng)
            x = np.maximum(np.round(x), 0) if base == "counts20" else x
            cases.append(Case(kind, base, x, s, e))
    for base in HELD_OUT + HELD_OUT_QUIET:
        for _ in range(normals):
            x = _held_out(base, _length(base, rng, quick), rng)[0]
            cases.append(Case("normal", base, x))
    return cases


def zscore100(x: np.ndarray) -> np.ndarray:
    c1, c2 = np.concatenate([[0], np.cumsum(x)]), np.concatenate([[0], np.cumsum(x * x)])
    idx = np.arange(len(x))
    lo = np.maximum(0, idx - 100)
    cnt = np.maximum(idx - lo, 1)
    mean = (c1[idx] - c1[lo]) / cnt
    var = np.maximum((c2[idx] - c2[lo]) / cnt - mean * mean, 0)
    z = np.abs(x - mean) / (np.sqrt(var) + 1e-9 * (1 + np.abs(mean)))
    z[:10] = 0
    return z


def ewma(x: np.ndarray, alpha: float = 0.1) -> np.ndarray:
    level = lfilter([alpha], [1, alpha - 1], x, zi=[(1 - alpha) * x[0]])[0]
    resid = x[1:] - level[:-1]
    var = lfilter([alpha], [1, alpha - 1], resid * resid, zi=[(1 - alpha) * resid[0] ** 2])[0]
    z = np.abs(resid[1:]) / (np.sqrt(var[:-1]) + 1e-9 * (1 + np.abs(level[1:-1])))
    return np.concatenate([[0.0, 0.0], z])


def _runs(alarm: np.ndarray) -> np.ndarray:
    """Run number of each alarmed row (0 where quiet)."""
    rise = alarm & ~np.concatenate([[False], alarm[:-1]])
    return np.cumsum(rise) * alarm


def _range_f1(s: np.ndarray, start: int, end: int) -> float:
    """At the highest threshold that still alarms inside the range (recall 1); precision is
    the mean over alarm runs of the share of their rows inside the range (Tatbul et al.)."""
    runs = _runs(s >= s[start:end].max())
    inside = np.bincount(runs[start:end], minlength=runs.max() + 1)[1:]
    precision = float(np.mean(inside / np.bincount(runs)[1:]))
    return 2 * precision / (1 + precision)


def _threshold(normals: list[np.ndarray]) -> float:
    rows = sum(len(s) for s in normals)
    flat = np.concatenate(normals)
    for thr in np.unique(np.quantile(flat, np.linspace(0.9, 1.0, 400))):
        if sum(_runs(s >= thr).max(initial=0) for s in normals) <= rows / 10000:
            return float(thr)
    return float("inf")  # no threshold meets the budget: the detector never alarms


def evaluate(cases: list[Case], scores: list[np.ndarray]) -> dict[str, list[float]]:
    thr = _threshold([s for c, s in zip(cases, scores, strict=True) if c.name == "normal"])
    table: dict[str, list[list[float]]] = {}
    for case, s in zip(cases, scores, strict=True):
        if case.name == "normal":
            fa = _runs(s >= thr).max(initial=0) * 10000 / len(s)
            table.setdefault("FA " + case.base, []).append([fa])
            continue
        label = np.zeros(len(s), dtype=bool)
        label[case.start : case.end] = True
        late = np.flatnonzero(s[case.start : case.end + TOL] >= thr)
        row = [roc_auc_score(label, s), average_precision_score(label, s)]
        row += [_range_f1(s, case.start, case.end), float(len(late) > 0)]
        table.setdefault(case.name, []).append([*row, late[0] if len(late) else np.nan])
    out = {k: [float(np.mean(col)) for col in np.array(v).T] for k, v in table.items()}
    for k, v in table.items():
        delays = np.array(v)[:, 4] if not k.startswith("FA") else np.array([])
        if len(delays):
            out[k][4] = float(np.median(delays[~np.isnan(delays)])) if out[k][3] else -1
    out["threshold"] = [thr]
    out["overall"] = [float(np.mean([out[k][j] for k in KINDS])) for j in range(5)]
    fa = [out[k][0] for k in out if k.startswith("FA")]
    out["FA all"] = [float(np.mean(fa))]
    return out


def _tripwire(x: np.ndarray) -> np.ndarray:
    return np.round(score_series(x.tolist()), 6)  # as written by detect-series


DETECTORS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tripwire": _tripwire,
    "zscore100": zscore100,
    "ewma": ewma,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter series")
    args = parser.parse_args(argv)
    cases, held = corpus(args.quick), held_out(args.quick)
    rows = sum(len(c.x) for c in cases)
    print(f"tuning corpus: {len(cases)} series, {rows} rows; cells: AUC AP rF1 det dly")
    results, held_results, scored, elapsed = {}, {}, {}, 0.0
    for name, fn in DETECTORS.items():
        begin = time.perf_counter()
        scores = [fn(c.x) for c in cases]
        elapsed = time.perf_counter() - begin if name == "tripwire" else elapsed
        scored[name] = (scores, [fn(c.x) for c in held])
        results[name] = evaluate(cases, scores)
        held_results[name] = evaluate(held, scored[name][1])
    _table(results)
    print(f"held-out ({len(held)} series: other generators, seed 77031; never used for tuning):")
    _table(held_results)
    print("false alarm runs per 10k rows on normal-only series, at the det threshold:")
    for base in [*BASES[:-1], *QUIET, "all"]:
        print(f"  {base:<14}" + "".join(f"{results[n]['FA ' + base][0]:>12.2f}" for n in DETECTORS))
    print("  threshold     " + "".join(f"{results[n]['threshold'][0]:>12.6g}" for n in DETECTORS))
    _report_windows(cases, held, scored)
    print(f"tripwire throughput: {rows / elapsed:,.0f} rows/s")
    return 0


def _table(results: dict[str, dict[str, list[float]]]) -> None:
    print(f"{'kind':<14}" + "".join(f"| {n:<29}" for n in DETECTORS))
    for kind in [*KINDS, "overall"]:
        cells = [_fmt(results[n][kind]) for n in DETECTORS]
        print(f"{kind:<14}" + "".join(f"| {c:<29}" for c in cells))


def _report_windows(
    cases: list[Case], held: list[Case], scored: dict[str, tuple[list[np.ndarray], ...]]
) -> None:
    """The NAB-style window score (benchmarks/series_window.py), tuned on `cases` only."""
    held_rows = sum(len(c.x) for c in held)
    print("window score (NAB standard profile; one threshold for the corpus, 0 = never alarm,")
    print(f"100 = perfect); held-out: {len(held)} series, {held_rows} rows, other generators")
    print(f"{'':<34}" + "".join(f"{n:>12}" for n in DETECTORS))
    lines: dict[str, list[str]] = {}
    fractions: dict[str, dict[str, float]] = {}
    for name, (scores, held_scores) in scored.items():
        tuned = [_prepared(c, s) for c, s in zip(cases, scores, strict=True)]
        other = [_prepared(c, s) for c, s in zip(held, held_scores, strict=True)]
        thr, best = sw.best_threshold(tuned)
        nab = [_prepared(c, s, probation=True) for c, s in zip(cases, scores, strict=True)]
        cells = {
            "corpus (tuned threshold)": f"{best:12.1f}",
            "held-out at that threshold": f"{sw.score_at(other, thr):12.1f}",
            "held-out, own best threshold": f"{sw.best_threshold(other)[1]:12.1f}",
            "threshold": f"{thr:12.6g}",
            "rows at the top score (ties) %": f"{100 * _top_share(scores):12.3f}",
            "corpus, NAB's probation unscored": f"{sw.best_threshold(nab)[1]:12.1f}",
        }
        for key, text in cells.items():
            lines.setdefault(key, []).append(text)
        for c, s in [*zip(cases, scores, strict=True), *zip(held, held_scores, strict=True)]:
            if c.start < 0:
                share = 100 * float(np.mean(s >= thr))
                key = c.base + (" (held-out)" if any(c is h for h in held) else "")
                per = fractions.setdefault(key, {})
                per[name] = max(per.get(name, 0.0), share)
    for key, texts in lines.items():
        print(f"  {key:<32}" + "".join(texts))
    _report_kinds(cases, scored)
    print("normal-only series: worst % of rows at or above the corpus-optimal threshold")
    for key, per in fractions.items():
        print(f"  {key:<32}" + "".join(f"{per[n]:12.2f}" for n in DETECTORS))


def _report_kinds(cases: list[Case], scored: dict[str, tuple[list[np.ndarray], ...]]) -> None:
    """Window score per anomaly kind on the tuning corpus, at each detector's corpus threshold,
    so the kinds that lose the most points are visible (normal-only series are left out)."""
    print("window score per anomaly kind (corpus, at the corpus threshold):")
    for kind in KINDS:
        cells = []
        for scores, _ in scored.values():
            tuned = [_prepared(c, s) for c, s in zip(cases, scores, strict=True)]
            thr = sw.best_threshold(tuned)[0]
            mine = [p for c, p in zip(cases, tuned, strict=True) if c.name == kind]
            cells.append(f"{sw.score_at(mine, thr):12.1f}")
        print(f"  {kind:<32}" + "".join(cells))


def _prepared(case: Case, scores: np.ndarray, probation: bool = False) -> sw.Prepared:
    unscored = sw.probation(len(scores)) if probation else 0
    return sw.prepare(scores, case.start if case.start >= 0 else None, unscored)


def _top_share(scores: list[np.ndarray]) -> float:
    flat = np.concatenate(scores)
    return float(np.mean(flat == flat.max()))


def _fmt(row: list[float]) -> str:
    return " ".join(f"{v:5.3f}" for v in row[:4]) + f" {row[4]:5.0f}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
