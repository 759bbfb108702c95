"""False alarms of the whole detection engine on a healthy product: every default monitor, every
segment and two score sources on, several use cases at different volumes, no incident at all.

Each seed simulates `--days` of a product with three use cases (one under 100 outputs/h), a
canary prompt version carrying part of one use case's traffic (so segments are watched), a
harmless model update, and a second score source (Tripwire's own evaluators: groundedness and
quality scores that are skewed toward 1, like a judge that is mostly satisfied). Everything goes
through `Engine` minute by minute on event time; every firing is a false alert. Alerts of one
use case and incident type that start within 2 hours of each other count as one false incident.

Usage: python benchmarks/null_product.py [--seeds N] [--days D] [--rate OUTPUTS_PER_HOUR]
"""

from __future__ import annotations

import argparse
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from tripwire.config.monitors import MonitorsConfig
from tripwire.detect.engine import Engine
from tripwire.sim import Deploy, Scenario, UseCase, simulate

JOIN_MINUTES = 120
USE_CASES = (
    UseCase("support-chat", share=0.62),
    UseCase("med-summary", share=0.3, model="claude-3.5", negative_share=0.2, latency_ms=2500.0),
    UseCase("sql-helper", share=0.08, quality_mean=0.7, groundedness_mean=0.9),
)
CANARY = ("support-chat", "v2-canary", 0.3, 2 * 1440)  # use case, version, share, from minute


@dataclass
class Tally:
    alerts: list[tuple[str, str, str, int, bool]] = field(default_factory=list)
    minutes: int = 0

    def incidents(self) -> list[tuple[str, str, int]]:
        """(use case, type, minute): alerts joined like respond joins them (same use case and
        type, onset within JOIN_MINUTES of the incident's last alert)."""
        found: list[tuple[str, str, int]] = []
        last: dict[tuple[str, str], int] = {}
        for use_case, kind, _, minute, _ in sorted(self.alerts, key=lambda a: a[3]):
            key = (use_case, kind)
            if key not in last or minute - last[key] > JOIN_MINUTES:
                found.append((use_case, kind, minute))
            last[key] = minute
        return found


def _minute(ts: str) -> int:
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() // 60)


def _canary(event: dict[str, Any]) -> None:
    use_case, version, share, _ = CANARY
    mine = event["type"] == "output" and event["use_case"] == use_case
    if mine and zlib.crc32(event["id"].encode()) % 1000 < share * 1000:
        event["prompt_version"] = version


def _evaluator_scores(event: dict[str, Any], rng: np.random.Generator) -> list[dict[str, Any]]:
    """Scores from a second source on scored outputs: Beta(18, 1.2), mean 0.94, skewed."""
    if event["type"] != "output" or "scores" not in event:
        return []
    out = []
    for name in ("groundedness", "quality"):
        value = round(float(rng.beta(18.0, 1.2)), 3)
        out.append(
            {
                "type": "score",
                "use_case": event["use_case"],
                "output_id": event["id"],
                "name": name,
                "value": value,
                "source": "tripwire",
            }
        )
    return out


def run_seed(seed: int, days: float, rate: float, config: MonitorsConfig) -> Tally:
    scenario = Scenario(
        seed=seed,
        days=days,
        outputs_per_hour=rate,
        use_cases=USE_CASES,
        deploys=(Deploy(4 * 1440, "med-summary", "model_update", "2026-12-01"),),
    )
    events = simulate(scenario).events
    engine = Engine(config)
    rng = np.random.default_rng(seed)
    tally = Tally()
    start = _minute(events[0]["ts"])
    current = start
    for event in events:
        minute = _minute(event["ts"])
        while minute >= current + 1:
            current += 1
            _close(engine, current, tally)
        if minute - start >= CANARY[3]:
            _canary(event)
        engine.observe(event["type"], event.get("use_case"), event, event.get("topic"))
        for score in _evaluator_scores(event, rng):
            engine.observe("score", score["use_case"], score, None)
    _close(engine, current + 1, tally)
    tally.minutes = current + 1 - start
    return tally


def _close(engine: Engine, minute: int, tally: Tally) -> None:
    for verdict in engine.close(minute):
        if not verdict.change.raised:
            continue  # a clearing, or the confirmation of an alert already counted
        key = verdict.key
        series = key[0] + (f"@{key[2]}" if key[2] else "") + (f"[{key[3]}]" if key[3] else "")
        tally.alerts.append((key[1], verdict.spec.incident_type, series, minute, bool(key[3])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--rate", type=float, default=800.0, help="outputs per hour, all use cases")
    args = parser.parse_args()
    began = time.time()
    config = MonitorsConfig()
    alerts: Counter[str] = Counter()
    incidents = 0
    first_day = 0
    for seed in range(args.seeds):
        tally = run_seed(seed, args.days, args.rate, config)
        for _, _, series, _, _ in tally.alerts:
            alerts[series] += 1
        found = tally.incidents()
        incidents += len(found)
        start = int(Scenario(seed=seed).start.timestamp() // 60)
        first_day += sum(1 for i in found if i[2] - start <= 1440)
    weeks = args.seeds * len(USE_CASES) * args.days / 7
    print("# Null simulation: a healthy product, every default monitor, segment and source on")
    print(
        f"{args.seeds} seeds x {args.days:g} days x {len(USE_CASES)} use cases "
        f"({args.rate:g} outputs/h in all; shares {[u.share for u in USE_CASES]}) "
        f"= {weeks:.1f} use-case-weeks"
    )
    print(f"false alerts per use-case-week:    {sum(alerts.values()) / weeks:.3f}")
    print(f"false incidents per use-case-week: {incidents / weeks:.3f}")
    print(f"false incidents in the first day:  {first_day} (over {args.seeds} seeds)")
    for series, count in alerts.most_common():
        print(f"  {series:48s} {count:4d} alerts ({count / weeks:.3f} per use-case-week)")
    print(f"finished in {time.time() - began:.0f} s")


if __name__ == "__main__":
    main()
