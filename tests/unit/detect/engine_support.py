"""Drive the engine over simulated events minute by minute, as the stage does on event time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from tripwire.config.monitors import MonitorsConfig
from tripwire.detect.alerting import to_alert
from tripwire.detect.engine import Engine
from tripwire.domain.alerts import Alert


def minute_of(ts: str) -> int:
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() // 60)


def run(events: list[dict[str, Any]], config: MonitorsConfig | None = None) -> list[Alert]:
    engine = Engine(config or MonitorsConfig())
    alerts: list[Alert] = []
    current: int | None = None
    for event in events:
        minute = minute_of(event["ts"])
        if current is None:
            current = minute
        while minute > current:
            current += 1
            alerts += [to_alert(v) for v in engine.close(current)]
        engine.observe(event["type"], event.get("use_case"), event, None)
    return alerts


T0 = 29_000_000 - 29_000_000 % 1440  # a midnight, in minutes since the epoch
DAY = 1440


def feed_versions(
    engine: Engine,
    rng: np.random.Generator,
    start: int,
    minutes: int,
    versions: dict[str, float],
    *,
    per_hour: float = 60.0,
    level: float = 0.8,
    drop: float = 0.0,
) -> list[tuple[int, str, str]]:
    """`per_hour` quality-scored outputs of use case "chat", each with a thumbs rating (20 %
    down), minute by minute from `T0 + start`. `versions` maps a prompt version to its share of
    the traffic; scores are `level` with sd 0.1 (0.2 for a version named "noisy"), and `drop`
    lower for "v2". Returns the alerts raised: (minutes since `start`, monitor, version or "")."""
    names = list(versions)
    shares = np.array([versions[v] for v in names])
    fired = []
    for minute in range(start, start + minutes):
        for i in range(rng.poisson(per_hour / 60)):
            version = names[int(rng.choice(len(names), p=shares / shares.sum()))]
            mu = level - (drop if version == "v2" else 0.0)
            sd = 0.2 if version == "noisy" else 0.1
            score = float(np.clip(rng.normal(mu, sd), 0, 1))
            out = {"id": f"o{minute}-{i}", "model": "m", "model_version": "1"}
            out["prompt_version"] = version
            engine.observe("output", "chat", {**out, "scores": {"quality": score}}, None)
            rating = "down" if rng.random() < 0.2 else "up"
            engine.observe("feedback", "chat", {"output_id": out["id"], "rating": rating}, None)
        for verdict in engine.close(T0 + minute):
            if verdict.change.raised:
                fired.append((minute - start, verdict.key[0], verdict.key[4]))
    return fired
