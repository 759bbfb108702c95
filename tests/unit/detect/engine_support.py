"""Drive the engine over simulated events minute by minute, as the stage does on event time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
