"""Turn a Scenario into events: vectorised draws per use case, then one dict per event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tripwire.sim import profile, texts
from tripwire.sim.scenario import SIGNAL_TYPES, Injection, Scenario, UseCase
from tripwire.sim.scores import draw_scores
from tripwire.sim.truth import SimResult, TruthIncident

TOPIC_SIGNALS = {
    "wrong_answer": "tickets_wrong_answer",
    "inappropriate_response": "tickets_inappropriate",
    "ai_quality_other": "tickets_other",
}
Timed = tuple[int, dict[str, Any]]  # (ms since start, event)


@dataclass
class _Draws:
    """Per-output draws of one use case (parallel arrays)."""

    ms: NDArray[np.int64]
    minute: NDArray[np.int64]
    in_segment: NDArray[np.bool_]  # in any incident's segment
    masks: dict[int, NDArray[np.bool_]] = field(default_factory=dict)  # id(injection) -> mask

    def hit(self, inj: Injection) -> NDArray[np.bool_]:
        if not inj.segment:
            return np.ones(len(self.ms), dtype=bool)
        return self.masks.get(id(inj), self.in_segment)


def simulate(scenario: Scenario) -> SimResult:
    """Every event of the scenario in ts order, and the ground truth. Deterministic per seed."""
    timed: list[Timed] = []
    truth: list[TruthIncident] = []
    for index, uc in enumerate(scenario.use_cases):
        uc_rng = np.random.default_rng([scenario.seed, index])
        truth.extend(_use_case(scenario, uc, uc_rng, timed))
    timed.extend(_deploys(scenario))
    timed.sort(key=lambda pair: pair[0])
    stamps = _Stamps(scenario)
    events = []
    for ms, event in timed:
        event["ts"] = stamps.format(ms)
        events.append(event)
    return SimResult(events, truth, _benign(scenario))


class _Stamps:
    def __init__(self, scenario: Scenario) -> None:
        self.start = scenario.start
        self.prefix: dict[int, str] = {}

    def format(self, ms: int) -> str:
        minute, rem = divmod(ms, 60_000)
        head = self.prefix.get(minute)
        if head is None:
            head = (self.start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:")
            self.prefix[minute] = head
        return f"{head}{rem // 1000:02d}.{rem % 1000:03d}Z"


def _use_case(
    scenario: Scenario, uc: UseCase, rng: np.random.Generator, out: list[Timed]
) -> list[TruthIncident]:
    minutes = scenario.minutes
    volume = profile.outputs_per_minute(scenario, uc.share, uc.name)
    counts = rng.poisson(volume)
    minute = np.repeat(np.arange(minutes, dtype=np.int64), counts)
    ms = minute * 60_000 + rng.integers(0, 60_000, len(minute))
    order = np.argsort(ms, kind="stable")
    ms, minute = ms[order], minute[order]
    injections = [i for i in scenario.injections if i.use_case == uc.name]
    draws = _segments(ms, minute, rng, [i for i in injections if i.segment])
    drifts = [d for d in scenario.drifts if d.use_case == uc.name]
    _emit(scenario, uc, rng, draws, injections + drifts, out)
    return [_truth(scenario, uc, inj, out) for inj in injections]


def _segments(
    ms: NDArray[np.int64],
    minute: NDArray[np.int64],
    rng: np.random.Generator,
    segmented: list[Injection],
) -> _Draws:
    """Which outputs each segment incident moves to its version: `segment_share` of the traffic
    from the onset (until the end with `rollback`), never an output another one already took."""
    in_segment = np.zeros(len(ms), dtype=bool)
    masks: dict[int, NDArray[np.bool_]] = {}
    for inj in segmented:
        mask = (minute >= inj.onset_minute) & (rng.random(len(ms)) < inj.segment_share)
        if inj.rollback and inj.duration_minutes is not None:
            mask &= minute < inj.onset_minute + inj.duration_minutes
        mask &= ~in_segment
        masks[id(inj)] = mask
        in_segment |= mask
    return _Draws(ms, minute, in_segment, masks)


def _factor(
    scenario: Scenario,
    injections: list[Injection],
    signal: str,
    draws: _Draws,
    rng: np.random.Generator,
    additive: bool = False,
) -> NDArray[np.float64]:
    """Per-output effect of the healthy cycle, drift and any injection on `signal`."""
    minutes = scenario.minutes
    if additive:
        base = np.zeros(minutes)
    else:
        base = profile.rate_cycle(scenario) * profile.drift(rng, minutes, scenario.drift_per_day)
    per_output = base[draws.minute]
    for inj in injections:
        if inj.signal != signal:
            continue
        curve = profile.shift(inj, minutes) if additive else profile.multiplier(inj, minutes)
        effect = curve[draws.minute]
        hit = draws.hit(inj)
        changed = per_output + effect if additive else per_output * effect
        per_output = np.where(hit, changed, per_output)
    return np.asarray(per_output, dtype=np.float64)


def _emit(
    scenario: Scenario,
    uc: UseCase,
    rng: np.random.Generator,
    draws: _Draws,
    injections: list[Injection],
    out: list[Timed],
) -> None:
    n = len(draws.ms)
    neg_p = np.clip(
        uc.negative_share * _factor(scenario, injections, "negative_feedback", draws, rng), 0, 1
    )
    safety_p = np.clip(uc.safety_rate * _factor(scenario, injections, "safety", draws, rng), 0, 1)
    err_f = _factor(scenario, injections, "errors", draws, rng)
    lat_f = _factor(scenario, injections, "latency", draws, rng)
    q_shift = _factor(scenario, injections, "quality", draws, rng, additive=True)
    g_shift = _factor(scenario, injections, "groundedness", draws, rng, additive=True)
    u = rng.random(n)
    status = np.where(
        u < uc.error_rate * err_f, 1, np.where(u < (uc.error_rate + uc.timeout_rate) * err_f, 2, 0)
    )
    latency = uc.latency_ms * lat_f * np.exp(rng.normal(0, uc.latency_sigma, n))
    has_fb = rng.random(n) < scenario.feedback_rate
    negative = rng.random(n) < neg_p
    fb_delay = rng.exponential(120_000, n).astype(np.int64) + 1000
    triggered = rng.random(n) < safety_p
    mean_volume = scenario.outputs_per_hour * uc.share
    scored = rng.random(n) < min(1.0, scenario.scored_per_hour / max(mean_volume, 1e-9))
    scored &= ~_in_gaps(scenario, uc.name, draws.minute)
    versions = _versions(scenario, uc, draws, injections)
    sd = _score_sd(scenario, uc, versions)
    quality = draw_scores(rng, uc.quality_mean + q_shift, sd, uc.score_sd)
    grounded = draw_scores(rng, uc.groundedness_mean + g_shift, sd, uc.score_sd)
    topics = _ticket_topics(scenario, uc, rng, draws, injections)
    prefix = f"{scenario.id_prefix}{uc.name}-"
    statuses = ("ok", "error", "timeout")
    cols = zip(
        draws.ms.tolist(),
        status.tolist(),
        latency.round(1).tolist(),
        has_fb.tolist(),
        negative.tolist(),
        fb_delay.tolist(),
        triggered.tolist(),
        scored.tolist(),
        quality.round(3).tolist(),
        grounded.round(3).tolist(),
        topics,
        versions,
        strict=True,
    )
    prompts, answers = texts.PROMPTS, texts.ANSWERS
    for i, (t, st, lat, fb, neg, delay, trig, sc, q, g, topic, (mv, pv)) in enumerate(cols):
        oid = f"{prefix}o{i}"
        output: dict[str, Any] = {
            "id": oid,
            "type": "output",
            "use_case": uc.name,
            "model": uc.model,
            "model_version": mv,
            "prompt_version": pv,
            "input": prompts[i % len(prompts)],
            "output": answers[i % len(answers)],
            "latency_ms": lat,
            "status": statuses[st],
        }
        if sc:
            output["scores"] = {"quality": q, "groundedness": g}
        out.append((t, output))
        if scenario.safety_checks:
            out.append(
                (
                    t + 1,
                    {
                        "id": f"{prefix}s{i}",
                        "type": "safety",
                        "use_case": uc.name,
                        "filter": "moderation",
                        "triggered": trig,
                        "output_id": oid,
                    },
                )
            )
        if fb:
            out.append(
                (
                    t + delay,
                    {
                        "id": f"{prefix}f{i}",
                        "type": "feedback",
                        "use_case": uc.name,
                        "output_id": oid,
                        "rating": "down" if neg else "up",
                    },
                )
            )
        if topic is not None:
            pool = texts.TICKETS[topic]
            out.append(
                (
                    t + 600_000 + (i % 600) * 1000,
                    {
                        "id": f"{prefix}t{i}",
                        "type": "ticket",
                        "use_case": uc.name,
                        "text": pool[i % len(pool)],
                        "topic": topic,
                    },
                )
            )


def _in_gaps(scenario: Scenario, use_case: str, minute: NDArray[np.int64]) -> NDArray[np.bool_]:
    inside = np.zeros(len(minute), dtype=bool)
    for gap in scenario.gaps:
        if gap.use_case in (None, use_case):
            inside |= (minute >= gap.start_minute) & (minute < gap.start_minute + gap.minutes)
    return inside


def _ticket_topics(
    scenario: Scenario,
    uc: UseCase,
    rng: np.random.Generator,
    draws: _Draws,
    injections: list[Injection],
) -> list[str | None]:
    n = len(draws.ms)
    chosen: list[str | None] = [None] * n
    shares = dict(uc.ticket_topics)
    shares["not_ai"] = max(0.0, 1.0 - sum(shares.values()))
    for topic, share in shares.items():
        p = uc.ticket_rate * share * np.ones(n)
        signal = TOPIC_SIGNALS.get(topic)
        if signal is not None:
            p = p * _factor(scenario, injections, signal, draws, rng)
        for index in np.flatnonzero(rng.random(n) < p).tolist():
            chosen[index] = topic
    return chosen


def _versions(
    scenario: Scenario, uc: UseCase, draws: _Draws, injections: list[Injection]
) -> list[tuple[str, str]]:
    """(model_version, prompt_version) per output, following deploys and the incident's change."""
    mv = np.full(len(draws.ms), uc.model_version, dtype=object)
    pv = np.full(len(draws.ms), uc.prompt_version, dtype=object)
    for deploy in scenario.deploys:
        if deploy.use_case == uc.name and deploy.kind != "data_change":
            target = mv if deploy.kind == "model_update" else pv
            target[draws.minute >= deploy.minute] = deploy.version
    for inj in injections:
        for key, value in inj.segment.items():
            target = mv if key == "model_version" else pv
            target[draws.hit(inj)] = value
    return list(zip(mv.tolist(), pv.tolist(), strict=True))


def _score_sd(
    scenario: Scenario, uc: UseCase, versions: list[tuple[str, str]]
) -> float | NDArray[np.float64]:
    """The spread of each output's scores: wider on a noisy version (a scalar when none is)."""
    noisy = {
        d.version: d.score_sd
        for d in scenario.deploys
        if d.use_case == uc.name and d.score_sd is not None
    }
    if not noisy:
        return uc.score_sd
    return np.array([noisy.get(pv, noisy.get(mv, uc.score_sd)) for mv, pv in versions])


def _change_id(scenario: Scenario, uc: str, minute: int) -> str:
    return f"{scenario.id_prefix}chg-{uc}-{minute}"


def _truth(scenario: Scenario, uc: UseCase, inj: Injection, out: list[Timed]) -> TruthIncident:
    onset = scenario.start + timedelta(minutes=inj.onset_minute)
    end = None
    if inj.duration_minutes is not None:
        end = onset + timedelta(minutes=inj.duration_minutes)
    change_id = None
    if inj.segment:
        change_id = _change_id(scenario, uc.name, inj.onset_minute)
        key, value = next(iter(inj.segment.items()))
        model_change = key == "model_version"
        previous = uc.model_version if model_change else uc.prompt_version
        out.append(
            (
                inj.onset_minute * 60_000,
                {
                    "id": change_id,
                    "type": "change",
                    "use_case": uc.name,
                    "kind": "model_update" if model_change else "prompt_change",
                    "component": "model" if model_change else "prompt",
                    "version": value,
                    "previous_version": previous,
                    "author": "sim",
                    "description": f"roll out {key} {value} to {inj.segment_share:.0%} of traffic",
                    "rollback": {
                        "flag": f"{uc.name}-{'model' if model_change else 'prompt'}",
                        "variant": previous,
                    },
                },
            )
        )
    return TruthIncident(
        SIGNAL_TYPES[inj.signal],
        inj.signal,
        uc.name,
        onset,
        end,
        inj.shape,
        inj.magnitude,
        dict(inj.segment),
        change_id,
    )


def _deploys(scenario: Scenario) -> list[Timed]:
    events: list[Timed] = []
    for deploy in scenario.deploys:
        uc = scenario.use_case(deploy.use_case)
        previous = uc.model_version if deploy.kind == "model_update" else uc.prompt_version
        if deploy.kind == "data_change":
            previous = f"kb-{deploy.minute}"
        events.append(
            (
                deploy.minute * 60_000,
                {
                    "id": _change_id(scenario, deploy.use_case, deploy.minute),
                    "type": "change",
                    "use_case": deploy.use_case,
                    "kind": deploy.kind,
                    "version": deploy.version,
                    "previous_version": previous,
                    "author": "sim",
                    "description": "knowledge-base update"
                    if deploy.kind == "data_change"
                    else "harmless deploy",
                    "rollback": {"flag": f"{deploy.use_case}-version", "variant": previous},
                },
            )
        )
    return events


def _benign(scenario: Scenario) -> list[str]:
    notes = [
        f"surge x{s.factor} at minute {s.start_minute} for {s.minutes} min" for s in scenario.surges
    ]
    notes += [
        f"evaluator gap at minute {g.start_minute} for {g.minutes} min" for g in scenario.gaps
    ]
    notes += [f"harmless {d.kind} of {d.use_case} at minute {d.minute}" for d in scenario.deploys]
    notes += [
        f"slow drift of {d.signal} x{d.magnitude} in {d.use_case} from minute {d.onset_minute}"
        for d in scenario.drifts
    ]
    return notes
