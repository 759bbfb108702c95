"""A small AI product with a busy deployment log, for attribution tests and benchmarks.

Each scenario is one use case's traffic over about a day, several changes around an incident,
and the truth: which change (if any) caused it. Culprit scenarios roll a prompt change out to
part of the traffic and degrade only that segment; benign scenarios degrade everything (a
provider problem) just after an innocent prompt change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tripwire.domain.clock import isoformat_z
from tripwire.respond.attribution.rank import IncidentWindow

START = datetime(2026, 11, 20, tzinfo=UTC)
USE_CASE = "support-chat"
# metric name as a detector would report it -> (incident type, kind, score name)
METRICS = {
    "score:groundedness": ("hallucination", "score", "groundedness"),
    "score:quality": ("quality_regression", "score", "quality"),
    "negative_feedback_rate": ("quality_regression", "feedback", None),
    "safety_trigger_rate": ("safety", "safety", None),
}


@dataclass
class Scenario:
    events: list[dict[str, Any]]
    incident: IncidentWindow
    culprit: str | None
    benign: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Segment:
    """Who serves what at a time: prompt rollout and model rollout."""

    prompt_old: str
    prompt_new: str | None = None
    prompt_from: datetime | None = None
    prompt_share: float = 0.0
    bad_prompt: str | None = None
    model_old: str = "m-2026-10"
    model_new: str | None = None
    model_from: datetime | None = None
    model_share: float = 0.0


def scenario(seed: int, *, benign: bool = False) -> Scenario:
    """The first draw for `seed` whose incident a detector would actually have caught."""
    for attempt in range(50):
        world = _draw(random.Random(seed * 100 + attempt), seed, benign)
        if world is not None:
            return world
    raise RuntimeError(f"seed {seed}: no detectable incident in 50 draws")


def _draw(rng: random.Random, seed: int, benign: bool) -> Scenario | None:
    metric = rng.choice(sorted(METRICS))
    incident_type, kind, score_name = METRICS[metric]
    onset = START + timedelta(hours=rng.uniform(18, 24))
    changes: list[dict[str, Any]] = []

    def change(ts: datetime, kind_: str, version: str, prev: str | None, uc: str | None) -> str:
        cid = f"chg-{seed}-{len(changes)}"
        item = {"id": cid, "type": "change", "ts": isoformat_z(ts), "kind": kind_}
        item.update({"version": version, "author": "dev"})
        if prev:
            item["previous_version"] = prev
        if uc:
            item["use_case"] = uc
        if kind_ == "prompt_change" and uc:
            item["rollback"] = {"flag": "chat.prompt", "variant": prev}
        changes.append(item)
        return cid

    seg = _Segment(prompt_old="v13")
    earlier = onset - timedelta(hours=rng.uniform(3, 14))
    change(earlier, "prompt_change", "v13", "v12", USE_CASE)  # v12 gone before our window
    culprit = None
    benign_id = None
    if benign:
        at = onset - timedelta(minutes=rng.uniform(2, 20))
        benign_id = change(at, "prompt_change", "v14", "v13", USE_CASE)
        seg.prompt_new, seg.prompt_from, seg.prompt_share = "v14", at, rng.uniform(0.3, 0.6)
    else:
        culprit = change(onset, "prompt_change", "v14", "v13", USE_CASE)
        seg.prompt_new, seg.prompt_from, seg.prompt_share = "v14", onset, rng.uniform(0.2, 0.6)
        seg.bad_prompt = "v14"
    model_at = onset - timedelta(hours=rng.uniform(0.3, 8))
    change(model_at, "model_update", "m-2026-11", "m-2026-10", USE_CASE)
    seg.model_new, seg.model_from = "m-2026-11", model_at
    seg.model_share = rng.choice([1.0, rng.uniform(0.3, 0.7)])
    change(onset + timedelta(minutes=rng.uniform(-45, 25)), "infra_change", "lb-7", "lb-6", None)
    change(onset - timedelta(hours=rng.uniform(0.2, 6)), "data_change", "kb-88", "kb-87", USE_CASE)
    change(onset - timedelta(minutes=rng.uniform(0, 60)), "model_update", "m2", "m1", "other")

    events = _traffic(rng, seg, kind, score_name, onset, onset + HORIZON, degrade_all=benign)
    caught = _detection_time(events, kind, onset)
    if caught is None:
        return None
    detected = caught + timedelta(minutes=rng.uniform(1, 5))
    events = [e for e in events if _ts(e) <= detected + FOLLOW_UP]
    incident = IncidentWindow(
        type=incident_type,
        use_case=USE_CASE,
        started_at=onset + timedelta(minutes=rng.gauss(0, 8)),
        detected_at=detected,
        signal_metrics=[metric],
    )
    return Scenario(changes + events, incident, culprit, benign_id, changes)


def _traffic(
    rng: random.Random,
    seg: _Segment,
    kind: str,
    score_name: str | None,
    onset: datetime,
    end: datetime,
    *,
    degrade_all: bool,
) -> list[dict[str, Any]]:
    rate = rng.uniform(60, 150) / 3600  # outputs per second
    drop = rng.uniform(0.1, 0.2)
    factor = rng.uniform(2.2, 3.5)
    ts = START + timedelta(hours=10)
    events: list[dict[str, Any]] = []
    n = 0
    while True:
        ts += timedelta(seconds=rng.expovariate(rate))
        if ts > end:
            return events
        n += 1
        prompt, model = _versions(rng, seg, ts)
        bad = ts >= onset and (degrade_all or prompt == seg.bad_prompt)
        oid = f"o{n}"
        out: dict[str, Any] = {
            "id": oid, "type": "output", "ts": isoformat_z(ts), "use_case": USE_CASE,
            "model": "gpt", "model_version": model, "prompt_version": prompt,
            "input": "q", "output": "a", "latency_ms": rng.uniform(300, 900),
        }  # fmt: skip
        events.append(out)
        later = isoformat_z(ts + timedelta(seconds=rng.uniform(5, 600)))
        base = {"use_case": USE_CASE, "output_id": oid, "ts": later}
        if kind == "score" and score_name:
            value = min(1.0, max(0.0, rng.gauss(0.86 - (drop if bad else 0.0), 0.08)))
            if rng.random() < 0.5:
                out["scores"] = {score_name: round(value, 4)}
            else:
                events.append({**base, "id": f"s{n}", "type": "score", "name": score_name,
                               "value": round(value, 4)})  # fmt: skip
        elif kind == "feedback" and rng.random() < 0.35:
            p_neg = 0.08 * (factor if bad else 1.0)
            rating = "down" if rng.random() < p_neg else "up"
            events.append({**base, "id": f"f{n}", "type": "feedback", "rating": rating})
        elif kind == "safety":
            p_hit = 0.02 * (factor * 1.5 if bad else 1.0)
            events.append({**base, "id": f"x{n}", "type": "safety", "filter": "moderation",
                           "triggered": rng.random() < p_hit})  # fmt: skip


HORIZON = timedelta(hours=8)
FOLLOW_UP = timedelta(hours=1)  # traffic kept after detection, for ranking again later
DETECT_Z = 4.0


def _ts(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["ts"]).replace("Z", "+00:00"))


def _detection_time(events: list[dict[str, Any]], kind: str, onset: datetime) -> datetime | None:
    """When a detector watching the whole use case would see the change: the overall metric
    after the onset is DETECT_Z standard errors worse than before it (at least 15 min)."""
    values = sorted((_ts(e), _value(e)) for e in events if _value(e) is not None)
    before = [v for t, v in values if onset - timedelta(hours=6) <= t < onset]
    mean = sum(before) / len(before)
    sd = max((sum((v - mean) ** 2 for v in before) / len(before)) ** 0.5, 0.01)
    total, n = 0.0, 0
    for ts, value in values:
        if ts < onset:
            continue
        total, n = total + value, n + 1
        worse = mean - total / n if kind == "score" else total / n - mean
        if n >= 10 and ts >= onset + timedelta(minutes=15) and worse / (sd / n**0.5) >= DETECT_Z:
            return ts if ts <= onset + HORIZON - FOLLOW_UP else None
    return None


def _value(event: dict[str, Any]) -> float | None:
    kind = event["type"]
    if kind == "output" and "scores" in event:
        return float(next(iter(event["scores"].values())))
    if kind == "score":
        return float(event["value"])
    if kind == "feedback":
        return 1.0 if event["rating"] == "down" else 0.0
    if kind == "safety":
        return 1.0 if event["triggered"] else 0.0
    return None


def _versions(rng: random.Random, seg: _Segment, ts: datetime) -> tuple[str, str]:
    prompt = seg.prompt_old
    if seg.prompt_from and ts >= seg.prompt_from and rng.random() < seg.prompt_share:
        prompt = seg.prompt_new or prompt
    model = seg.model_old
    if seg.model_from and ts >= seg.model_from and rng.random() < seg.model_share:
        model = seg.model_new or model
    return prompt, model
