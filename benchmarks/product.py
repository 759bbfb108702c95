"""Product-level detection benchmark: whole simulated products through `replay` (issue 10).

Each product has three use cases at different volumes (one under 100 outputs/h), the default
configuration (every built-in monitor, segment and score source), a healthy warm-up week, then
evaluation weeks with benign confounders (traffic surge, harmless prompt deploy, knowledge-base
update, evaluator gap, slow latency drift, a noisy prompt version) and four injected incidents a
week, one of each type (quality_regression, hallucination, safety, availability), steps and ramps,
some in a version segment (a prompt rolled out to half the traffic, rolled back at the end).

The events go through the real path: JSON Lines -> `read_events` -> `Runtime.replay` on a fresh
SQLite database -> the incidents it opened. Beside Tripwire, per injected incident:

- oracle: a CUSUM that knows the healthy rate (or mean), the size of the change and the affected
  segment, its line set for the issue's false-alarm budget (a parametric bootstrap of healthy
  weeks with the same volumes); the ceiling no learning detector beats on average;
- 1-h window: what today's LLM-observability tools do, a static threshold per use case and signal
  on the signal's 1-hour value (rate or score mean, use-case totals), tuned on the tuning seeds
  to the same false-alarm budget, and applied unchanged to the held-out seeds.

An incident is an injected incident's when it is about it (typed as it, or carrying a signal of
its monitor or type) and it, or such a signal of it, was detected from 15 minutes before the
onset to an hour after the end; its delay runs to that moment (`matched_at`). Every other
incident is false. So a chance alarm of another monitor inside a 12-hour ramp is a false
incident, not the ramp's duplicate, and a ramp whose signal joined an incident a chance alarm
opened earlier is found at the join. The older rule (any incident of the use case detected in
the window) is printed beside for comparison with earlier runs.

Usage: python benchmarks/product.py [--quick] [--products N] [--held-out N] [--weeks W]
                                   [--first-seed N] [--keep DIR | --kept DIR]
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.pipeline.replay import read_events
from tripwire.respond import queries
from tripwire.respond.ids import incident_id
from tripwire.respond.summary import summary
from tripwire.runtime import Runtime
from tripwire.sim import (
    MAGNITUDES,
    Deploy,
    EvaluatorGap,
    Injection,
    Scenario,
    Signal,
    Surge,
    TruthIncident,
    UseCase,
    simulate,
    write_jsonl,
)
from tripwire.sim.profile import rate_cycle
from tripwire.store.tables.respond import IncidentRow

Floats = NDArray[np.float64]
DAY = 1440
WEEK = 7 * DAY
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
BUDGET = 0.25  # the false incidents per use-case-week
BUDGET_P01 = 0.05
USE_CASES = (
    # ~10 wrong-answer tickets a day in support-chat (the ticket case)
    UseCase("support-chat", share=800 / 1100, ticket_rate=0.0026),
    UseCase(
        "med-summary",
        share=240 / 1100,
        model="claude-3.5",
        model_version="2026-09-15",
        negative_share=0.2,
        latency_ms=2500.0,
    ),
    UseCase("contract-review", share=60 / 1100, model="gpt-4o-mini", negative_share=0.25),
)
OUTPUTS_PER_HOUR = 1100.0


def total_volume(scale: float) -> float:
    return 60.0 + (OUTPUTS_PER_HOUR - 60.0) * scale


def use_cases(scale: float) -> tuple[UseCase, ...]:
    """The use cases with the two larger ones' volume scaled (shares of the new total)."""
    total = total_volume(scale)
    out = []
    for uc in USE_CASES:
        volume = uc.share * OUTPUTS_PER_HOUR
        if uc.name != "contract-review":
            volume *= scale
        ticket = uc.ticket_rate / scale if uc.name == "support-chat" else uc.ticket_rate
        out.append(replace(uc, share=volume / total, ticket_rate=ticket))
    return tuple(out)


SIGNALS: tuple[Signal, ...] = (
    "quality",
    "negative_feedback",
    "groundedness",
    "tickets_wrong_answer",
    "safety",
    "errors",
)
BY_TYPE: dict[str, tuple[Signal, ...]] = {
    "quality_regression": ("quality", "negative_feedback"),
    "hallucination": ("groundedness", "tickets_wrong_answer"),
    "safety": ("safety",),
    "availability": ("errors",),
}
SEGMENTABLE = {"quality", "negative_feedback", "groundedness", "errors"}
SLOTS = (0.25, 1.75, 3.25, 4.75)  # days into an evaluation week; each incident at most 25 h
MATCH_BEFORE = 15  # minutes: an incident opened this long before the onset still counts
MATCH_AFTER = 60  # minutes after the end


# -- the products --------------------------------------------------------------------------


def product(seed: int, weeks: int, scale: float = 1.0) -> Scenario:
    """A warm-up week then `weeks` evaluation weeks of one product (deterministic per seed).
    `scale` multiplies the volume of the two larger use cases (and divides support-chat's ticket
    rate, so it keeps its ~10 wrong-answer tickets a day); the small one stays at 60/h."""
    rng = np.random.default_rng([seed, 2026])
    injections: list[Injection] = []
    surges: list[Surge] = [Surge(int(rng.integers(1, 6)) * DAY + 600, 180, 3.0, None)]
    gaps: list[EvaluatorGap] = []
    deploys: list[Deploy] = []
    names = [uc.name for uc in USE_CASES]
    for week in range(weeks):
        base = WEEK * (week + 1)
        types = list(BY_TYPE)
        rng.shuffle(types)
        for slot, kind in zip(SLOTS, types, strict=True):
            onset = base + int(slot * DAY + rng.integers(0, DAY // 4))
            injections.append(
                _incident(rng, kind, onset, week, use_cases(scale), total_volume(scale))
            )
        at = (base + rng.integers(0, 7 * DAY - 360, 5)).tolist()
        uc = [names[i] for i in rng.integers(0, len(names), 4).tolist()]
        surges.append(Surge(at[0], 180, 3.0, uc[0]))
        gaps.append(EvaluatorGap(at[1], 360))
        deploys += [
            Deploy(at[2], uc[1], "prompt_change", f"w{week}-harmless"),
            Deploy(at[3], uc[2], "data_change", f"kb-w{week}"),
            Deploy(at[4], uc[3], "prompt_change", f"w{week}-noisy", score_sd=0.2),
        ]
    drift = Injection("latency", names[seed % 3], WEEK + DAY, 1.3, "ramp", ramp_minutes=4 * DAY)
    return Scenario(
        seed=seed,
        start=START,
        days=7.0 * (weeks + 1),
        outputs_per_hour=total_volume(scale),
        use_cases=use_cases(scale),
        injections=tuple(injections),
        surges=tuple(surges),
        gaps=tuple(gaps),
        deploys=tuple(sorted(deploys, key=lambda d: d.minute)),
        drifts=(drift,),
        id_prefix=f"p{seed}-",
    )


def _incident(
    rng: np.random.Generator,
    kind: str,
    onset: int,
    week: int,
    cases: tuple[UseCase, ...],
    volume: float,
) -> Injection:
    signals = BY_TYPE[kind]
    signal = signals[int(rng.integers(0, len(signals)))]
    # Tickets are only frequent enough to tell anything in support-chat (~10 a day).
    if signal == "tickets_wrong_answer":
        use_case = "support-chat"
    else:
        use_case = USE_CASES[int(rng.choice(3, p=[0.4, 0.3, 0.3]))].name
    shape = "ramp" if rng.random() < 0.3 else "step"
    duration = 24 * 60 if signal == "tickets_wrong_answer" else 12 * 60
    segment: dict[str, str] = {}
    if signal in SEGMENTABLE and rng.random() < 0.35:
        segment = {"prompt_version": f"w{week}-rollout-{onset}"}
    # The "target" sizes are set at 2,000 outputs/h; where fewer outputs carry the
    # change (a small use case, a segment) even the oracle needs the "easy" size to see it
    # within the incident's 12 hours. Scores come at 40 an hour whatever the volume.
    carried = next(u for u in cases if u.name == use_case).share * volume
    carried *= 0.5 if segment else 1.0
    small = carried < 500 and signal not in ("quality", "groundedness", "tickets_wrong_answer")
    size = MAGNITUDES[signal]["easy" if small or segment else "target"]
    return Injection(
        signal,
        use_case,
        onset,
        size,
        shape,  # type: ignore[arg-type]
        ramp_minutes=120,
        duration_minutes=duration,
        segment=segment,
        segment_share=0.5,
        rollback=True,
    )


# -- per-minute streams from the events (for the references) --------------------------------


@dataclass
class Streams:
    """Per use case and signal: trials and events (scores: count and sum) per minute; and the
    same per (use case, prompt version) for segments."""

    minutes: int
    totals: dict[tuple[str, str], tuple[Floats, Floats]] = field(default_factory=dict)
    by_version: dict[tuple[str, str, str], tuple[Floats, Floats]] = field(default_factory=dict)

    def add(
        self, uc: str, signal: str, version: str | None, minute: int, n: float, k: float
    ) -> None:
        pairs = [self._pair(self.totals, (uc, signal))]
        if version is not None:
            pairs.append(self._pair(self.by_version, (uc, signal, version)))
        for pair in pairs:
            pair[0][minute] += n
            pair[1][minute] += k

    def _pair(self, store: dict[Any, tuple[Floats, Floats]], key: Any) -> tuple[Floats, Floats]:
        pair = store.get(key)
        if pair is None:
            pair = store[key] = (np.zeros(self.minutes), np.zeros(self.minutes))
        return pair


def streams(events: list[dict[str, Any]], minutes: int) -> Streams:
    out = Streams(minutes)
    origin = START.timestamp()
    version: dict[str, tuple[str, str | None]] = {}  # output id -> (use case, prompt version)
    for e in events:
        ts = e["ts"]
        minute = int((_parse(ts) - origin) // 60)
        if minute >= minutes:
            continue
        uc, kind = e.get("use_case", ""), e["type"]
        if kind == "output":
            pv = e.get("prompt_version")
            version[e["id"]] = (uc, pv)
            out.add(uc, "errors", pv, minute, 1.0, float(e.get("status") != "ok"))
            out.add(uc, "tickets_wrong_answer", None, minute, 1.0, 0.0)
            for name in ("quality", "groundedness"):
                score = e.get("scores", {}).get(name)
                if score is not None:
                    out.add(uc, name, pv, minute, 1.0, float(score))
        elif kind == "safety":
            pv = version.get(e.get("output_id", ""), (uc, None))[1]
            out.add(uc, "safety", pv, minute, 1.0, float(e["triggered"]))
        elif kind == "feedback":
            pv = version.get(e.get("output_id", ""), (uc, None))[1]
            out.add(uc, "negative_feedback", pv, minute, 1.0, float(e["rating"] == "down"))
        elif kind == "ticket" and e.get("topic") == "wrong_answer":
            out.add(uc, "tickets_wrong_answer", None, minute, 0.0, 1.0)
    return out


_TS_CACHE: dict[str, float] = {}


def _parse(ts: str) -> float:
    head = ts[:17]  # minute prefix, shared by many events
    base = _TS_CACHE.get(head)
    if base is None:
        base = _TS_CACHE[head] = datetime.fromisoformat(head + "00+00:00").timestamp()
    return base + float(ts[17:23])


# -- the oracle -----------------------------------------------------------------------------


def healthy_level(uc: UseCase, signal: str) -> tuple[float, float]:
    """(healthy rate or mean, score sd)."""
    table = {
        "negative_feedback": uc.negative_share,
        "safety": uc.safety_rate,
        "errors": uc.error_rate + uc.timeout_rate,
        "tickets_wrong_answer": uc.ticket_rate * dict(uc.ticket_topics)["wrong_answer"],
        "quality": uc.quality_mean,
        "groundedness": uc.groundedness_mean,
    }
    return table[signal], uc.score_sd


def clipped(mu: float, sd: float) -> tuple[float, float]:
    """Mean and standard deviation of N(mu, sd) clipped to [0, 1]: the scores the simulator
    emits. At mu 0.85, sd 0.15 a sixth of them sit at 1, so the mean is 0.8375 and the sd 0.13,
    and a drop of 0.05 of mu moves the mean by 0.044."""
    x = np.linspace(mu - 8 * sd, mu + 8 * sd, 16001)
    w = np.exp(-0.5 * ((x - mu) / sd) ** 2)
    w /= w.sum()
    y = np.clip(x, 0.0, 1.0)
    mean = float((w * y).sum())
    return mean, float(math.sqrt(max((w * (y - mean) ** 2).sum(), 0.0)))


def oracle_level(signal: str, level: float, sd: float, size: float) -> tuple[float, float, float]:
    """What the oracle knows for a score: the clipped healthy mean and sd, and the size of
    the change on the clipped scale. Judged with the unclipped level (0.85 where the scores
    average 0.8375) its healthy evidence drifted down half as fast as its line assumed: 0.3
    false alarms per stream-week against the 0.04 it was set for (40 simulated weeks of 40
    groundedness scores an hour)."""
    if signal not in ("quality", "groundedness"):
        return level, sd, size
    mean, spread = clipped(level, sd)
    return mean, spread, clipped(level + size, sd)[0] - mean


def oracle_llr(signal: str, n: Floats, k: Floats, p0: Floats, size: float, sd: float) -> Floats:
    if signal in ("quality", "groundedness"):
        d = size
        return np.asarray((d * (k - n * p0) - n * d * d / 2) / sd**2, dtype=np.float64)
    p1 = np.clip(p0 * size, 1e-12, 1 - 1e-9)
    if signal == "tickets_wrong_answer":
        return np.asarray(k * np.log(p1 / p0) - n * (p1 - p0), dtype=np.float64)
    return np.asarray(k * np.log(p1 / p0) + (n - k) * np.log((1 - p1) / (1 - p0)), dtype=np.float64)


def cusum_first(llr: Floats, h: float) -> int | None:
    s = 0.0
    for i, x in enumerate(llr.tolist()):
        s = max(0.0, s + x)
        if s >= h:
            return i
    return None


def oracle_line(
    signal: str, n: Floats, p0: Floats, size: float, sd: float, budget: float, seed: int
) -> float:
    """The line a CUSUM of this design crosses in `budget` of healthy weeks with these volumes
    (parametric bootstrap: healthy draws around the true level)."""
    reps = 200
    rng = np.random.default_rng(seed)
    ni = np.rint(n).astype(np.int64)
    s = np.zeros(reps)
    peak = np.zeros(reps)
    score = signal in ("quality", "groundedness")
    for i in np.flatnonzero(ni > 0).tolist():
        if score:
            k = rng.normal(ni[i] * p0[i], sd * math.sqrt(ni[i]), reps)
        elif signal == "tickets_wrong_answer":
            k = rng.poisson(ni[i] * p0[i], reps).astype(np.float64)
        else:
            k = rng.binomial(ni[i], min(p0[i], 1.0), reps).astype(np.float64)
        llr = oracle_llr(signal, np.full(reps, float(ni[i])), k, np.full(reps, p0[i]), size, sd)
        s = np.maximum(0.0, s + llr)
        np.maximum(peak, s, out=peak)
    return float(np.quantile(peak, 1.0 - budget))


# -- the 1-hour window reference ----------------------------------------------------------------


def hourly(n: Floats, k: Floats) -> tuple[Floats, Floats]:
    def roll(x: Floats) -> Floats:
        c = np.concatenate([[0.0], np.cumsum(x)])
        return np.asarray(c[60:] - c[:-60], dtype=np.float64)

    n60, k60 = roll(n), roll(k)
    pad = np.zeros(59)
    return np.concatenate([pad, n60]), np.concatenate([pad, k60])


def window_stat(signal: str, n: Floats, k: Floats) -> Floats:
    """Per minute: the 1-h rate (scores: minus the 1-h mean), NaN with too little volume."""
    n60, k60 = hourly(n, k)
    enough = n60 >= (5 if signal in ("quality", "groundedness") else 20)
    value = np.where(enough, k60 / np.maximum(n60, 1e-12), np.nan)
    return -value if signal in ("quality", "groundedness") else value


def window_alarms(stat: Floats, line: float) -> NDArray[np.int64]:
    over = np.nan_to_num(stat, nan=-np.inf) > line
    rising = over & ~np.concatenate([[False], over[:-1]])
    return np.flatnonzero(rising)


# -- one product through replay ------------------------------------------------------------------


@dataclass
class ProductRun:
    scenario: Scenario
    seed: int
    weeks: int
    truth: list[TruthIncident]
    incidents: list[dict[str, Any]]
    streams: Streams
    events: int
    seconds: float


@contextmanager
def _quiet_progress(console: Console) -> Iterator[Progress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        yield bar


def run_product(
    seed: int,
    weeks: int,
    scale: float,
    bar: Progress,
    keep: Path | None = None,
    kept: Path | None = None,
) -> ProductRun:
    """Simulate one product and replay it through a fresh database (`kept`: read the incidents
    of an earlier `--keep` run's database instead of replaying, to score it again)."""
    began = time.time()
    scenario = product(seed, weeks, scale)
    result = simulate(scenario)
    if kept is not None:
        incidents = read_incidents(kept / f"seed{seed}.db", len(result.events))
    else:
        incidents = _replay(result.events, seed, bar, keep)
    data = streams(result.events, scenario.minutes)
    return ProductRun(
        scenario,
        seed,
        weeks,
        result.truth,
        incidents,
        data,
        len(result.events),
        time.time() - began,
    )


def _replay(
    events: list[dict[str, Any]], seed: int, bar: Progress, keep: Path | None
) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="tw-product-") as tmp:
        path = Path(tmp) / "events.jsonl"
        write_jsonl(events, path)
        prepared = read_events(path)
        # --keep: the database stays for study (signals, timelines) after the run.
        db = keep / f"seed{seed}.db" if keep is not None else Path(tmp) / "tw.db"
        runtime = Runtime.open(Settings(database_url=f"sqlite:///{db}"), TripwireConfig())
        task = bar.add_task(f"product {seed}: replay", total=len(prepared))
        try:
            runtime.replay(prepared, progress=lambda n: bar.advance(task, n))
            return _incidents(runtime, len(prepared))
        finally:
            runtime.close()
            bar.remove_task(task)


def read_incidents(db: Path, events: int) -> list[dict[str, Any]]:
    """The incidents of a database an earlier run kept."""
    if not db.exists():
        raise SystemExit(f"--kept: {db} does not exist (run with --keep first)")
    runtime = Runtime.open(Settings(database_url=f"sqlite:///{db}"), TripwireConfig())
    try:
        return _incidents(runtime, events)
    finally:
        runtime.close()


def _incidents(runtime: Runtime, events: int) -> list[dict[str, Any]]:
    with runtime.db.session() as session:
        incidents: list[dict[str, Any]] = summary(session, events)["incidents"]
        rows = session.scalars(select(IncidentRow))
        top = {incident_id(r.number): paged_at(session, r) for r in rows}
    for incident in incidents:
        incident["paged_at"] = top.get(incident["id"])
    return incidents


def paged_at(session: Any, row: IncidentRow) -> datetime | None:
    """When the incident first stood at P0 or P1 (None: never): at open, or at the severity
    change that took it there (held by the evidence until then, docs/detect.md)."""
    top = ("P0", "P1")
    changes = [e for e in queries.timeline(session, row.number) if e.kind == "severity_changed"]
    opened = changes[0].data["from"] if changes else row.severity
    if opened in top:
        return row.detected_at
    return next((e.at for e in changes if e.data["to"] in top), None)


# -- scoring ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One injected incident as each detector saw it (delays in minutes, inf when missed)."""

    truth: TruthIncident
    ours: float
    typed_right: bool | None
    duplicates: int
    oracle: float
    window: float
    held: float | None = None  # minutes from open to P0/P1 (None: never paged at P0/P1)


@dataclass
class ByTime:
    """The detection-time matching's counts (`match_by_time`), for comparison with older runs."""

    duplicates: int = 0
    detected: int = 0
    typed_right: int = 0
    false_p01: int = 0
    false_p23: int = 0


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)
    by_time: ByTime = field(default_factory=ByTime)
    use_case_weeks: int = 0
    false_p01: int = 0
    false_p23: int = 0
    warmup_false: int = 0
    window_false: int = 0
    events: int = 0
    seconds: float = 0.0


def _z(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _minute(at: datetime) -> int:
    return int((at - START).total_seconds() // 60)


def _window_of(t: TruthIncident) -> tuple[int, int]:
    onset = _minute(t.onset)
    end = _minute(t.end) if t.end is not None else onset + DAY
    return onset - MATCH_BEFORE, end + MATCH_AFTER


Ours = tuple[float, bool | None, int, float | None]

# The monitor that watches each injected signal (config/monitors.py's defaults).
MONITOR_OF: dict[str, str] = {
    "negative_feedback": "negative-feedback",
    "safety": "safety-triggers",
    "errors": "errors",
    "latency": "latency-p95",
    "quality": "quality-score",
    "groundedness": "groundedness-score",
    "tickets_wrong_answer": "tickets-wrong-answer",
    "tickets_inappropriate": "tickets-inappropriate",
    "tickets_other": "tickets-ai-quality",
}


@dataclass
class Matching:
    """Incidents against the injected ones: per injected incident its matches in order, and
    the incidents that match none (counted by when they were detected and their severity)."""

    found: dict[int, list[tuple[datetime, dict[str, Any]]]] = field(default_factory=dict)
    false_p01: int = 0
    false_p23: int = 0
    warmup_false: int = 0

    def unmatched(self, incident: dict[str, Any]) -> None:
        detected = _z(incident["detected_at"])
        assert detected is not None
        if _minute(detected) < WEEK:
            self.warmup_false += 1
        elif incident["severity"] in ("P0", "P1"):
            self.false_p01 += 1
        else:
            self.false_p23 += 1


def _in_window(at: datetime | None, t: TruthIncident) -> bool:
    lo, hi = _window_of(t)
    return at is not None and lo <= _minute(at) <= hi


def _of(signal: dict[str, Any], t: TruthIncident) -> bool:
    """The signal is evidence of the injected change: its monitor, or a monitor of its type."""
    return signal.get("monitor") == MONITOR_OF[t.signal] or signal.get("type") == t.incident_type


def matched_at(incident: dict[str, Any], t: TruthIncident) -> datetime | None:
    """When the incident first showed the injected change `t` (None: it is not `t`'s).

    An incident is `t`'s when it is about `t` (typed as `t`, or carrying a signal of `t`'s
    monitor or type) and either it was detected in `t`'s window or such a signal was (it
    joined an incident opened earlier: the user met the problem at the join), or such a
    signal, firing since earlier, grew in the window (its detector re-triggered on the graver
    level: the user met the problem there). A chance alarm
    of another monitor inside a long window (a latency blip during a 12-hour safety ramp) is
    an incident of its own, false, not the ramp's duplicate."""
    if incident["use_case"] != t.use_case:
        return None
    signals = incident.get("signals") or []
    about = incident["type"] == t.incident_type or any(_of(s, t) for s in signals)
    if not about:
        return None
    times = [_z(incident["detected_at"])]
    times += [_z(s.get("detected_at")) for s in signals if _of(s, t)]
    times += [_z(at) for s in signals if _of(s, t) for at in s.get("grew_at") or []]
    inside = [at for at in times if at is not None and _in_window(at, t)]
    return min(inside, default=None)


def match(run: ProductRun) -> Matching:
    """Each incident to the injected incident it first showed; the rest are false."""
    out = Matching()
    for incident in run.incidents:
        hits = [
            (at, i) for i, t in enumerate(run.truth) if (at := matched_at(incident, t)) is not None
        ]
        if hits:
            at, i = min(hits)
            out.found.setdefault(i, []).append((at, incident))
        else:
            out.unmatched(incident)
    return out


def match_by_time(run: ProductRun) -> Matching:
    """The rule before 2026-12-07, printed beside for continuity: any incident of the use case
    detected in the window is the injected incident's, whatever it is about."""
    out = Matching()
    for incident in run.incidents:
        detected = _z(incident["detected_at"])
        hit = next(
            (
                i
                for i, t in enumerate(run.truth)
                if t.use_case == incident["use_case"] and _in_window(detected, t)
            ),
            None,
        )
        if hit is None:
            out.unmatched(incident)
        else:
            assert detected is not None
            out.found.setdefault(hit, []).append((detected, incident))
    return out


def outcomes_of(run: ProductRun, matching: Matching) -> dict[int, Ours]:
    """Per injected incident: delay from onset to the first match, whether that incident has
    the injected type, how many more incidents matched it, and minutes from the match to
    P0/P1."""
    out: dict[int, Ours] = {}
    for i, t in enumerate(run.truth):
        matched = sorted(matching.found.get(i, []), key=lambda x: x[0])
        if not matched:
            out[i] = (math.inf, None, 0, None)
            continue
        at, first = matched[0]
        delay = max(0.0, (at - t.onset).total_seconds() / 60)
        top = first.get("paged_at")
        held = None if top is None else max(0.0, (top - at).total_seconds() / 60)
        out[i] = (delay, first["type"] == t.incident_type, len(matched) - 1, held)
    return out


def score_ours(run: ProductRun, score: Score) -> dict[int, Ours]:
    """Match incidents to injected ones (`match`), count the rest as false, and keep the
    detection-time rule's counts beside (`Score.by_time`)."""
    matching = match(run)
    score.false_p01 += matching.false_p01
    score.false_p23 += matching.false_p23
    score.warmup_false += matching.warmup_false
    legacy = match_by_time(run)
    by_time = outcomes_of(run, legacy)
    score.by_time.false_p01 += legacy.false_p01
    score.by_time.false_p23 += legacy.false_p23
    score.by_time.duplicates += sum(o[2] for o in by_time.values())
    score.by_time.detected += sum(math.isfinite(o[0]) for o in by_time.values())
    score.by_time.typed_right += sum(o[1] is True for o in by_time.values())
    return outcomes_of(run, matching)


def truth_stream(run: ProductRun, t: TruthIncident) -> tuple[Floats, Floats, float]:
    """The oracle's view: the affected segment when there is one; (n, k, share of traffic)."""
    if t.segment:
        version = next(iter(t.segment.values()))
        pair = run.streams.by_version.get((t.use_case, t.signal, version))
        if pair is not None:
            return pair[0], pair[1], 0.5
    n, k = run.streams.totals[(t.use_case, t.signal)]
    return n, k, 1.0


def score_oracle(run: ProductRun, t: TruthIncident, cycle: Floats, extra: float = 0.0) -> float:
    """Minutes from onset to the oracle's alarm; `extra` nats on its line (a study's: a smaller
    budget, a segment's margin; see benchmarks/hallucination_study.py)."""
    uc = run.scenario.use_case(t.use_case)
    level, sd, size = oracle_level(t.signal, *healthy_level(uc, t.signal), t.magnitude)
    score = t.signal in ("quality", "groundedness")
    n, k, share = truth_stream(run, t)
    p0 = np.full(len(n), level) if score else level * cycle[: len(n)]
    onset, end = _minute(t.onset), _minute(t.end) if t.end else _minute(t.onset) + DAY
    # The healthy volumes the line is set on: the warm-up week's, scaled to the segment.
    warm_n, _ = run.streams.totals[(t.use_case, t.signal)]
    h = oracle_line(
        t.signal,
        warm_n[:WEEK] * share,
        p0[:WEEK],
        size,
        sd,
        BUDGET / len(SIGNALS),
        run.seed * 1000 + onset,
    )
    h += extra
    llr = oracle_llr(t.signal, n[onset:end], k[onset:end], p0[onset:end], size, sd)
    hit = cusum_first(llr, h)
    return math.inf if hit is None else float(hit + 1)


def tune_window(runs: list[ProductRun]) -> dict[tuple[str, str], float]:
    """Per use case and signal: the lowest line whose alarms outside injected incidents are at
    most the budget's share per week, over the tuning products."""
    lines: dict[tuple[str, str], float] = {}
    per_signal = BUDGET / len(SIGNALS)
    for uc in USE_CASES:
        for signal in SIGNALS:
            stats: list[Floats] = []
            weeks = 0.0
            for run in runs:
                pair = run.streams.totals.get((uc.name, signal))
                if pair is None:
                    continue
                stat = window_stat(signal, *pair)
                for t in run.truth:
                    if t.use_case == uc.name:
                        first, last = _window_of(t)
                        stat[max(first, 0) : last] = np.nan
                stats.append(stat)
                weeks += len(stat) / WEEK
            values = np.concatenate([s[np.isfinite(s)] for s in stats]) if stats else np.zeros(0)
            if len(values) == 0:
                lines[(uc.name, signal)] = math.inf
                continue
            lo, hi = float(np.min(values)), float(np.max(values))
            for _ in range(30):
                mid = (lo + hi) / 2
                count = sum(len(window_alarms(s, mid)) for s in stats)
                if count / weeks <= per_signal:
                    hi = mid
                else:
                    lo = mid
            lines[(uc.name, signal)] = hi
    return lines


def score_window(run: ProductRun, t: TruthIncident, lines: dict[tuple[str, str], float]) -> float:
    n, k = run.streams.totals[(t.use_case, t.signal)]
    stat = window_stat(t.signal, n, k)
    onset, end = _minute(t.onset), _minute(t.end) if t.end else _minute(t.onset) + DAY
    over = np.flatnonzero(
        np.nan_to_num(stat[onset:end], nan=-np.inf) > lines[(t.use_case, t.signal)]
    )
    return float(over[0] + 1) if len(over) else math.inf


def window_false(run: ProductRun, lines: dict[tuple[str, str], float]) -> int:
    count = 0
    for uc in USE_CASES:
        for signal in SIGNALS:
            pair = run.streams.totals.get((uc.name, signal))
            if pair is None:
                continue
            alarms = window_alarms(window_stat(signal, *pair), lines[(uc.name, signal)])
            for a in alarms.tolist():
                if a < WEEK:
                    continue
                inside = any(
                    t.use_case == uc.name and _window_of(t)[0] <= a <= _window_of(t)[1]
                    for t in run.truth
                )
                count += 0 if inside else 1
    return count


def score_runs(runs: list[ProductRun], lines: dict[tuple[str, str], float]) -> Score:
    score = Score()
    for run in runs:
        cycle = rate_cycle(run.scenario)
        ours = score_ours(run, score)
        for i, t in enumerate(run.truth):
            delay, typed, dups, held = ours[i]
            oracle, window = score_oracle(run, t, cycle), score_window(run, t, lines)
            score.outcomes.append(Outcome(t, delay, typed, dups, oracle, window, held))
        score.use_case_weeks += run.weeks * len(USE_CASES)
        score.window_false += window_false(run, lines)
        score.events += run.events
        score.seconds += run.seconds
    return score


# -- the report -----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, misses counted as infinitely late."""
    if not values:
        return math.inf
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def fmt(x: float) -> str:
    return "  miss" if math.isinf(x) else f"{x:6.0f}"


def recall(delays: list[float]) -> float:
    return sum(math.isfinite(d) for d in delays) / len(delays) if delays else 0.0


def versus_oracle(out: list[Outcome]) -> str:
    """Recall split by what the oracle caught: an injected change the oracle CUSUM (which knows
    the stream, the size and the onset) misses at its budget is under the detection limit,
    and a miss of ours there says less than a miss of a change the oracle found."""
    caught = [o for o in out if math.isfinite(o.oracle)]
    beyond = [o for o in out if not math.isfinite(o.oracle)]
    ours = sum(math.isfinite(o.ours) for o in caught)
    extra = sum(math.isfinite(o.ours) for o in beyond)
    share = f" ({ours / len(caught):.2f})" if caught else ""
    return (
        f"recall on the changes the oracle catches: {ours} of {len(caught)}{share}; "
        f"of the {len(beyond)} it misses, Tripwire catches {extra}"
    )


def report(title: str, score: Score) -> list[str]:
    ucw = max(score.use_case_weeks, 1)
    lines = [
        f"\n## {title}: {ucw} use-case-weeks, {len(score.outcomes)} injected incidents, "
        f"{score.events:,} events replayed in {score.seconds:.0f} s",
        f"{'type':19} {'n':>3} | {'recall':>6} {'typed':>5} {'dups':>4} {'median':>6} "
        f"{'p90':>6} | {'oracle':>6} {'p90':>6} {'rec':>4} | {'1h-win':>6} {'p90':>6} {'rec':>4}",
    ]
    checks: list[tuple[bool, str]] = []
    groups: list[tuple[str, list[Outcome]]] = [
        (kind, [o for o in score.outcomes if o.truth.incident_type == kind]) for kind in BY_TYPE
    ]
    groups.append(
        (
            "low volume (<100/h)",
            [o for o in score.outcomes if o.truth.use_case == "contract-review"],
        )
    )
    groups.append(("in a segment", [o for o in score.outcomes if o.truth.segment]))
    groups.append(("ramps", [o for o in score.outcomes if o.truth.shape == "ramp"]))
    groups.append(("all", score.outcomes))
    for name, rows in groups:
        if not rows:
            continue
        ours = [o.ours for o in rows]
        oracle = [o.oracle for o in rows]
        window = [o.window for o in rows]
        typed = [o.typed_right for o in rows if o.typed_right is not None]
        acc = sum(typed) / len(typed) if typed else 0.0
        dups = sum(o.duplicates for o in rows)
        lines.append(
            f"{name:19} {len(rows):3d} | {recall(ours):6.2f} {acc:5.2f} {dups:4d} "
            f"{fmt(pct(ours, 50))} {fmt(pct(ours, 90))} | {fmt(pct(oracle, 50))} "
            f"{fmt(pct(oracle, 90))} {recall(oracle):4.2f} | {fmt(pct(window, 50))} "
            f"{fmt(pct(window, 90))} {recall(window):4.2f}"
        )
        if name in BY_TYPE:
            med, orc, win = pct(ours, 50), pct(oracle, 50), pct(window, 50)
            checks.append(
                (
                    med <= 1.5 * orc and med < win,
                    f"{name}: median delay {fmt(med).strip()} min <= 1.5x oracle "
                    f"({fmt(orc).strip()}) and < 1-h window ({fmt(win).strip()})",
                )
            )
    false = score.false_p01 + score.false_p23
    lines.append(
        f"false incidents per use-case-week: {false / ucw:.2f} (P0/P1 {score.false_p01 / ucw:.2f}, "
        f"P2/P3 {score.false_p23 / ucw:.2f}); during warm-up weeks: {score.warmup_false} in all; "
        f"1-h window reference: {score.window_false / ucw:.2f}; oracle: {BUDGET:.2f} by design"
    )
    bt = score.by_time
    lines.append(
        f"matched by detection time alone (the rule before 2026-12-07): recall "
        f"{bt.detected / max(len(score.outcomes), 1):.2f}, type accuracy "
        f"{bt.typed_right / max(bt.detected, 1):.2f}, duplicates {bt.duplicates}, false "
        f"incidents per use-case-week {(bt.false_p01 + bt.false_p23) / ucw:.2f} "
        f"(P0/P1 {bt.false_p01 / ucw:.2f})"
    )
    out = score.outcomes
    held = [o.held for o in out if o.held is not None]
    median = fmt(pct(held, 50)).strip() if held else "-"
    lines.append(
        f"injected incidents at P0/P1: {len(held)} of {sum(math.isfinite(o.ours) for o in out)} "
        f"detected; minutes from open to P0/P1: median {median}, "
        f"max {fmt(max(held, default=0.0)).strip()} (held at P2 until the evidence is confirmed)"
    )
    lines.append(versus_oracle(out))
    typed = [o.typed_right for o in out if o.typed_right is not None]
    dups = sum(o.duplicates for o in out)
    head = [
        (
            recall([o.ours for o in out]) >= 0.95,
            f"recall {recall([o.ours for o in out]):.2f} >= 0.95",
        ),
        (
            bool(typed) and sum(typed) / len(typed) >= 0.95,
            f"type accuracy {sum(typed) / max(len(typed), 1):.2f} >= 0.95",
        ),
        (dups == 0, f"duplicate incidents {dups} == 0"),
        (false / ucw <= BUDGET, f"false incidents {false / ucw:.2f} per use-case-week <= {BUDGET}"),
        (
            score.false_p01 / ucw <= BUDGET_P01,
            f"P0/P1 false incidents {score.false_p01 / ucw:.2f} per use-case-week <= {BUDGET_P01}",
        ),
    ]
    lines += [f"[{'PASS' if ok else 'FAIL'}] {text}" for ok, text in head + checks]
    return lines


def details(runs: list[ProductRun], score: Score) -> list[str]:
    """Each injected incident and each incident Tripwire opened, for whoever tunes detection."""
    out = [
        "\ninjected (seed, minute, use case, signal, shape, size, segment): ours / type / "
        "dups | oracle | 1-h window"
    ]
    for o in score.outcomes:
        t = o.truth
        out.append(
            f"  {_minute(t.onset):6d} {t.use_case:16} {t.signal:21} {t.shape:4} {t.magnitude:6.2f} "
            f"{'seg' if t.segment else '   '}: {fmt(o.ours)} {o.typed_right!s:5} {o.duplicates} |"
            f" {fmt(o.oracle)} | {fmt(o.window)}"
        )
    out.append("opened (seed, detected minute, use case, type, severity, first signal):")
    for run in runs:
        for incident in sorted(run.incidents, key=lambda x: str(x["detected_at"])):
            detected = _z(incident["detected_at"])
            assert detected is not None
            first = incident["signals"][0] if incident["signals"] else {}
            out.append(
                f"  {run.seed:5d} {_minute(detected):6d} {incident['use_case']:16} "
                f"{incident['type']:19} {incident['severity']} {first.get('monitor')} "
                f"{first.get('source') or ''} {first.get('segment') or ''}"
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one small tuning and held-out run")
    parser.add_argument("--products", type=int, default=None, help="tuning products")
    parser.add_argument("--held-out", type=int, default=None, help="held-out products")
    parser.add_argument("--weeks", type=int, default=None, help="evaluation weeks per product")
    parser.add_argument("--scale", type=float, default=None, help="volume of the larger use cases")
    parser.add_argument("--verbose", action="store_true", help="every incident, injected or not")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=1,
        help="first tuning seed (fresh tuning products to study; held-out seeds never move)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep each product's database here")
    parser.add_argument(
        "--kept",
        type=Path,
        default=None,
        help="score the databases an earlier --keep run left here instead of replaying",
    )
    args = parser.parse_args()
    products = args.products if args.products is not None else (1 if args.quick else 10)
    held = args.held_out if args.held_out is not None else (1 if args.quick else 4)
    weeks = args.weeks or (1 if args.quick else 4)
    scale = args.scale or (0.35 if args.quick else 1.0)
    console = Console(stderr=True)
    began = time.time()
    if not (args.first_seed >= 1 and args.first_seed + products <= 9001):
        parser.error("--first-seed: tuning seeds stay below the held-out seeds (9001+)")
    tuning_seeds = list(range(args.first_seed, args.first_seed + products))
    held_seeds = list(range(9001, 9001 + held))  # never used to tune anything
    print("# Tripwire product benchmark (issue 10)")
    print(
        f"{len(USE_CASES)} use cases at "
        + ", ".join(f"{uc.share * total_volume(scale):.0f}" for uc in use_cases(scale))
        + " outputs/h; a warm-up week then "
        f"{weeks} evaluation week(s) per product; default configuration; delays in minutes "
        "from onset to the incident (oracle and 1-h window: to their alarm); 'typed' = share "
        "of detected incidents opened with the right type; references at "
        f"{BUDGET} false alarms per use-case-week"
    )
    runs: dict[str, list[ProductRun]] = {"tuning": [], "held-out": []}
    with _quiet_progress(console) as bar:
        total = bar.add_task("products", total=len(tuning_seeds) + len(held_seeds))
        for name, seeds in (("tuning", tuning_seeds), ("held-out", held_seeds)):
            for seed in seeds:
                runs[name].append(run_product(seed, weeks, scale, bar, args.keep, args.kept))
                bar.advance(total)
    lines = tune_window(runs["tuning"])
    if not runs["tuning"]:
        # The reference's lines are tuned on the tuning seeds only (never on held-out ones).
        print("\n(no tuning seeds in this run: the 1-h window reference is not calibrated)")
    for name in ("tuning", "held-out"):
        if runs[name]:
            score = score_runs(runs[name], lines)
            print("\n".join(report(f"{name} seeds", score)), flush=True)
            if args.verbose:
                print("\n".join(details(runs[name], score)))
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"\nfinished in {time.time() - began:.0f} s wall, {cpu.ru_utime + cpu.ru_stime:.0f} s CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
