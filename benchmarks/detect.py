"""Detection benchmark: delay, recall and false alarms of Tripwire's detectors on simulated
weeks, beside two references calibrated in the same run to the same false-alarm rate:

- oracle: a CUSUM that knows the true healthy rate (minute by minute) and the true size of the
  change; no detector that learns its baseline can do better on average (the ceiling);
- window rule: alert when the rate over the last hour and over the last 5 minutes are both
  over a fixed threshold (the floor most teams start from).

Usage: python benchmarks/detect.py [--quick] [--seeds N] [--levels 200,2000,20000]
Runs the detectors directly (no database). Ticket signals run at least TICKET_SEEDS stream-weeks.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial

import numpy as np

from tripwire.config.monitors import MonitorsConfig, builtin_monitors
from tripwire.detect.engine import Engine
from tripwire.detect.series_state import Series
from tripwire.sim import MAGNITUDES, Injection, Scenario, UseCase
from tripwire.sim.streams import Stream, rate_stream, score_stream

WEEK = 7 * 1440
HORIZON = 1440  # look for a detection up to 24 h after the onset
START = datetime(2026, 11, 16, tzinfo=UTC)
START_MINUTE = int(START.timestamp() // 60)
MONITOR = {
    "negative_feedback": "negative-feedback",
    "negative_feedback@0.5": "negative-feedback",
    "safety": "safety-triggers",
    "errors": "errors",
    "quality": "quality-score",
    "tickets_wrong_answer": "tickets-wrong-answer",
}
RECALL_AT = (15, 60, 360, 1440)
ISSUE_SIGNALS = ("negative_feedback", "negative_feedback@0.5", "safety", "errors", "quality")
BUDGET = 0.25  # the issue's false-alarm budget per stream-week
# Ticket topics run at least this many stream-weeks, --quick or not. Their false alarms are
# rare (a few per hundred stream-weeks), so in 8 weeks ours usually has none and the oracle
# gets the lowest line that stays silent on those same 8 weeks: a line fitted in-sample, about
# a nat below the one it needs for the rate ours actually runs at. Ticket streams are cheap.
TICKET_SEEDS = 30


@dataclass
class Case:
    signal: str
    label: str
    magnitude: float
    shape: str = "step"
    duration: int | None = None


@dataclass
class Result:
    delays: list[float] = field(default_factory=list)  # minutes; inf when missed
    events: list[float] = field(default_factory=list)


def cases(signal: str, quick: bool) -> list[Case]:
    sizes = MAGNITUDES[signal.partition("@")[0]]  # type: ignore[index]
    out = [Case(signal, name, size) for name, size in sizes.items()]
    out.append(Case(signal, "target-ramp1h", sizes["target"], "ramp"))
    if signal == "safety":
        out.append(Case(signal, "x10-burst15m", 10.0, "step", 15))
    return out


def streams(
    level: float, signal: str, seed: int, case: Case | None, onset: int
) -> tuple[Stream, Stream | None]:
    scenario = Scenario(seed=seed, start=START, days=7, outputs_per_hour=level)
    injection = None
    if case is not None:
        injection = Injection(
            signal,
            "bench",
            onset,
            case.magnitude,
            case.shape,  # type: ignore[arg-type]
            duration_minutes=case.duration,
        )
    if signal == "quality":
        return score_stream(scenario, injection)
    base, _, share = signal.partition("@")
    uc = UseCase("bench", negative_share=float(share)) if share else None
    if injection is not None:
        injection = replace(injection, signal=base)  # type: ignore[arg-type]
    return rate_stream(scenario, base, injection, uc)  # type: ignore[arg-type]


# -- Tripwire's detectors ----------------------------------------------------------------------


def bench_engine() -> Engine:
    """An engine whose use case `bench` has every default monitor watching it with two score
    sources (the product's and Tripwire's evaluators): the false-alarm budget a total series
    gets there is what the detectors here are given."""
    engine = Engine(MonitorsConfig())
    out = {"id": "o", "model": "m", "model_version": "1", "prompt_version": "v1"}
    engine.observe(
        "output", "bench", {**out, "scores": {"quality": 0.8, "groundedness": 0.9}}, None
    )
    for name in ("quality", "groundedness"):
        score = {"output_id": "o", "name": name, "value": 0.9, "source": "tripwire"}
        engine.observe("score", "bench", score, None)
    engine.observe("feedback", "bench", {"output_id": "o", "rating": "down"}, None)
    engine.observe("safety", "bench", {"output_id": "o", "triggered": False}, None)
    for topic in ("wrong_answer", "inappropriate_response", "ai_quality_other"):
        engine.observe("ticket", "bench", {"topic": topic}, None)
    engine.close(START_MINUTE)
    return engine


_ENGINE = bench_engine()
SHARE = _ENGINE.stream_budget("bench", segment=False)
TICKET_SHARE = _ENGINE.stream_budget("bench", segment=False, ticket=True)


def make_series(signal: str) -> Series:
    spec = next(m for m in builtin_monitors() if m.name == MONITOR[signal])
    series = Series.create((spec.name, "bench", "", "", ""), spec, "normal")
    for detector in (series.rate, series.mean):
        if detector is not None:
            # its share of the use case's budget, as the engine sets it
            detector.budget = TICKET_SHARE if spec.signal == "ticket_topic" else SHARE
    return series


def bucket(stream: Stream, i: int) -> list[float]:
    if stream.signal == "quality":
        return [stream.trials[i], stream.events[i], stream.squares[i]]
    return [stream.trials[i], stream.events[i]]


def run_ours(series: Series, stream: Stream, lo: int, hi: int, stop_at_first: bool) -> list[int]:
    """Minute indexes at which an alert started firing."""
    fired = []
    trials, events = stream.trials, stream.events
    quality = stream.signal == "quality"
    for i in range(lo, hi):
        if trials[i] <= 0 and events[i] <= 0:
            continue
        b = [trials[i], events[i], stream.squares[i]] if quality else [trials[i], events[i]]
        for change in series.close(START_MINUTE + i + 1, b, None, 0.0):
            if change.raised:  # not a confirmation or growth of one already raised
                fired.append(i)
                if stop_at_first:
                    return fired
    return fired


# -- references -----------------------------------------------------------------------------


def oracle_llr(stream: Stream, magnitude: float) -> np.ndarray:
    n, k, p = stream.trials, stream.events, stream.expected
    if stream.signal == "quality":
        mu1 = p + magnitude
        return ((mu1 - p) * (k - n * p) - n * (mu1 - p) ** 2 / 2) / stream.sd**2
    p1 = np.clip(p * magnitude, 1e-12, 1 - 1e-9)
    return k * np.log(p1 / p) + (n - k) * np.log((1 - p1) / (1 - p))


def cusum_alarms(llr: np.ndarray, h: float, lo: int = 0, first: bool = False) -> list[int]:
    s, out = 0.0, []
    for i in range(lo, len(llr)):
        s = max(0.0, s + llr[i])
        if s >= h:
            out.append(i)
            s = 0.0
            if first:
                break
    return out


def window_signal(stream: Stream) -> np.ndarray:
    """Per minute: min(rate over 1 h, rate over 5 min), the rule fires when it passes a line
    (for scores: the max of the two means, the rule fires when it drops below)."""

    def roll(x: np.ndarray, w: int) -> np.ndarray:
        c = np.concatenate([[0.0], np.cumsum(x)])
        idx = np.arange(len(x)) + 1
        return c[idx] - c[np.maximum(idx - w, 0)]

    n60, k60 = roll(stream.trials, 60), roll(stream.events, 60)
    n5, k5 = roll(stream.trials, 5), roll(stream.events, 5)
    r60 = np.where(n60 > 0, k60 / np.maximum(n60, 1e-12), np.nan)
    r5 = np.where(n5 > 0, k5 / np.maximum(n5, 1e-12), np.nan)
    if stream.signal == "quality":
        return -np.fmax(r60, r5)  # drops: both means low <=> the larger one low
    return np.fmin(r60, r5)


def window_alarms(sig: np.ndarray, line: float, lo: int = 0, first: bool = False) -> list[int]:
    over = np.nan_to_num(sig, nan=-np.inf) > line
    edges = np.flatnonzero(over[lo:] & ~np.concatenate([[False], over[lo:][:-1]])) + lo
    if first:
        hits = np.flatnonzero(over[lo:])
        return [int(hits[0] + lo)] if len(hits) else []
    return [int(e) for e in edges]


def oracle_fa(null_llr: list[np.ndarray], h: float) -> float:
    return sum(len(cusum_alarms(llr, h)) for llr in null_llr) / len(null_llr)


def window_fa(null_win: list[np.ndarray], line: float) -> float:
    return sum(len(window_alarms(w, line)) for w in null_win) / len(null_win)


def calibrate(count: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """Smallest line whose false alarms per stream-week are <= target (bisection)."""
    for _ in range(40):
        mid = (lo + hi) / 2
        if count(mid) <= target:
            hi = mid
        else:
            lo = mid
    return hi


# -- the run ----------------------------------------------------------------------------------


def bench_signal(
    level: float, signal: str, seeds: int, quick: bool
) -> list[tuple[Case, dict[str, Result]]]:
    rng = np.random.default_rng(12345)
    onsets = [int(x) for x in rng.integers(2 * 1440, 4 * 1440, seeds)]
    null_streams, snapshots, ours_fa = [], [], 0
    for seed in range(seeds):
        healthy, _ = streams(level, signal, seed, None, 0)
        series = make_series(signal)
        before = run_ours(series, healthy, 0, onsets[seed], False)
        snapshots.append(copy.deepcopy(series))
        after = run_ours(series, healthy, onsets[seed], WEEK, False)
        ours_fa += len(before) + len(after)
        null_streams.append(healthy)
    fa_rate = ours_fa / seeds
    out = []
    for case in cases(signal, quick):
        results = {n: Result() for n in ("ours", "oracle", "window", "ceiling")}
        twins = [streams(level, signal, s, case, onsets[s])[1] for s in range(seeds)]
        # references, calibrated on the healthy streams to the same false-alarm rate as ours
        null_llr = [oracle_llr(s, case.magnitude) for s in null_streams]
        h = calibrate(partial(oracle_fa, null_llr), fa_rate, 0.1, 60.0)
        # the same oracle allowed the whole budget: what no detector can beat at that budget
        h_budget = calibrate(partial(oracle_fa, null_llr), BUDGET, 0.1, 60.0)
        null_win = [window_signal(s) for s in null_streams]
        allv = np.concatenate([w[np.isfinite(w)] for w in null_win])
        line = calibrate(
            partial(window_fa, null_win),
            fa_rate,
            float(allv.min()),
            float(allv.max()) + 1e-9,
        )
        for s, twin in enumerate(twins):
            assert twin is not None
            onset, end = onsets[s], min(onsets[s] + HORIZON, WEEK)
            series = copy.deepcopy(snapshots[s])
            hits = {
                "ours": run_ours(series, twin, onset, end, True),
                "oracle": cusum_alarms(oracle_llr(twin, case.magnitude)[:end], h, onset, True),
                "ceiling": cusum_alarms(
                    oracle_llr(twin, case.magnitude)[:end], h_budget, onset, True
                ),
                "window": window_alarms(window_signal(twin)[:end], line, onset, True),
            }
            for name, found in hits.items():
                res = results[name]
                if found:
                    d = found[0]
                    res.delays.append(d + 1 - onset)
                    res.events.append(
                        float(
                            twin.events[onset : d + 1].sum()
                            if signal != "quality"
                            else twin.trials[onset : d + 1].sum()
                        )
                    )
                else:
                    res.delays.append(math.inf)
                    res.events.append(math.inf)
        results["oracle"].events.append(h)  # keep the calibrated line for the report
        results["window"].events.append(line)
        results["ours"].events.append(fa_rate)
        out.append((case, results))
    return out


def pct(values: list[float], q: float) -> float:
    """Percentile with misses counted as infinitely late (nearest rank)."""
    if not values:
        return math.inf
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def fmt(x: float) -> str:
    return "  miss" if math.isinf(x) else f"{x:6.0f}"


def report(level: float, rows: list[tuple[Case, dict[str, Result]]], seeds: int) -> list[str]:
    lines = [
        f"\n## {level:,.0f} outputs/h, {seeds} seeds (stream-weeks) per row",
        f"{'signal':18} {'case':14} | {'ours med':>8} {'p90':>6} {'events':>6} "
        f"{'R@15m':>5} {'R@1h':>5} {'R@6h':>5} {'R@24h':>5} {'FA/wk':>5} | "
        f"{'oracle':>6} {'R@1h':>5} | {'window':>6} {'R@1h':>5}",
    ]
    summary = []
    for case, res in rows:
        ours, oracle, window = res["ours"], res["oracle"], res["window"]
        n = len(ours.delays)
        fa = ours.events[-1]
        d = ours.delays
        rec = [sum(x <= t for x in d) / n for t in RECALL_AT]
        med = pct(d, 50)
        lines.append(
            f"{case.signal:18} {case.label:14} | {fmt(med):>8} {fmt(pct(d, 90))} "
            f"{fmt(pct(ours.events[:n], 50))} "
            + " ".join(f"{r:5.2f}" for r in rec)
            + f" {fa:5.2f} | {fmt(pct(oracle.delays, 50))} "
            f"{sum(x <= 60 for x in oracle.delays) / n:5.2f} | {fmt(pct(window.delays, 50))} "
            f"{sum(x <= 60 for x in window.delays) / n:5.2f}"
        )
        if n != seeds:
            lines[-1] += f"  [{n} stream-weeks]"
        summary.append((case, med, rec, fa, pct(oracle.delays, 50), pct(window.delays, 50)))
    return [*lines, ""] if not summary else lines


def done_when(rows: list[tuple[Case, dict[str, Result]]]) -> list[str]:
    """The issue's acceptance lines at 2,000 outputs/h."""
    out = ["\n## Done-when checks (2,000 outputs/h)"]
    by = {(c.signal, c.label): r for c, r in rows}

    def ceiling(sig: str, label: str) -> str:
        d = by[(sig, label)]["ceiling"].delays
        return (
            f"oracle at {BUDGET} FA/wk: median {pct(d, 50):.0f}, "
            f"recall@1h {sum(x <= 60 for x in d) / len(d):.2f}"
        )

    def stats(sig: str, label: str) -> tuple[float, list[float], float, float, float]:
        r = by[(sig, label)]
        d, n = r["ours"].delays, len(r["ours"].delays)
        rec = [sum(x <= t for x in d) / n for t in RECALL_AT]
        return (
            pct(d, 50),
            rec,
            r["ours"].events[-1],
            pct(r["oracle"].delays, 50),
            pct(r["window"].delays, 50),
        )

    def line(ok: bool, text: str) -> None:
        out.append(f"[{'PASS' if ok else 'FAIL'}] {text}")

    for sig, share in (("negative_feedback", 0.3), ("negative_feedback@0.5", 0.5)):
        med, rec, fa, orc, _ = stats(sig, "target")
        line(
            med <= 45 and rec[1] >= 0.85 and fa <= 0.25,
            f"thumbs-down +50% (10% rated, {share:.0%} of ratings down): median {med:.0f} min "
            f"(<=45), recall@1h {rec[1]:.2f} (>=0.85), FA/wk {fa:.2f}; oracle median {orc:.0f}"
            f"; {ceiling(sig, 'target')}",
        )
    med, rec, fa, _, _ = stats("safety", "target")
    line(med <= 30 and fa <= 0.25, f"safety x3: median {med:.0f} min (<=30), FA/wk {fa:.2f}")
    _, rec, _, _, _ = stats("safety", "x10-burst15m")
    line(rec[3] >= 0.95, f"safety x10 burst of 15 min caught: recall {rec[3]:.2f}")
    med, rec, fa, _, _ = stats("errors", "target")
    line(med <= 30 and fa <= 0.25, f"errors x4: median {med:.0f} min (<=30), FA/wk {fa:.2f}")
    med, rec, fa, _, _ = stats("quality", "target")
    line(
        rec[2] >= 0.85 and fa <= 0.25,
        f"quality -0.05 @40/h: recall@6h {rec[2]:.2f} (>=0.85), FA/wk {fa:.2f}",
    )
    for sig in MONITOR:
        med, _, _, orc, win = stats(sig, "target")
        if sig not in ISSUE_SIGNALS:
            # A ticket topic at 2,000 outputs/h is about ten tickets a day (issue 10, item 6:
            # within 1.5x of the oracle's delay, at the same false-alarm rate).
            line(
                med <= 1.5 * orc,
                f"{sig} (~10 a day) x3: {med:.0f} min, {med / orc:.2f}x the oracle's {orc:.0f} "
                f"(<=1.5x); window rule {win:.0f}",
            )
            continue
        line(
            med < win or math.isinf(win),
            f"{sig}: beats the window rule ({med:.0f} vs {win:.0f} min)",
        )
        line(med <= 2 * orc, f"{sig}: within 2x of the oracle ({med:.0f} vs {orc:.0f} min)")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, for CI and laptops")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--levels", default="200,2000,20000")
    parser.add_argument("--signals", default=",".join(MONITOR))
    args = parser.parse_args()
    seeds = args.seeds or (8 if args.quick else 30)
    began = time.time()
    print("# Tripwire detection benchmark")
    print(
        "delays in minutes from onset to alert; 'events' = bad events (scores: scored outputs)"
        " seen before the alert; R@x = recall within x; FA/wk = false alarms per stream-week"
        " on the healthy twin streams; references calibrated to ours' FA/wk in the same run"
    )
    at_target: list[tuple[Case, dict[str, Result]]] = []
    for level in (float(x) for x in args.levels.split(",")):
        rows = []
        for signal in args.signals.split(","):
            n = max(seeds, TICKET_SEEDS) if signal.startswith("tickets") else seeds
            rows += bench_signal(level, signal, n, args.quick)
        print("\n".join(report(level, rows, seeds)), flush=True)
        if level == 2000:
            at_target = rows
    if at_target and set(args.signals.split(",")) == set(MONITOR):
        print("\n".join(done_when(at_target)))
    print(f"\nfinished in {time.time() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
