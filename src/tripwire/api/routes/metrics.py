"""GET /metrics (Prometheus exposition, `read` scope: scrape with a bearer token) and
GET /v1/metrics/response (MTTD, MTTA, MTTM, MTTR per type and severity, as JSON)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tripwire.api.auth import requires
from tripwire.api.deps import RuntimeDep
from tripwire.detect.exposition import DetectorGauge, detector_gauges
from tripwire.detect.persist import late_events
from tripwire.notify.outbox import counts_by_status as outbox_counts
from tripwire.respond.metrics import MEASURES, response_report, response_tallies
from tripwire.respond.queries import counts_by_status
from tripwire.runtime.wiring import Runtime
from tripwire.store.deadletter import count_quarantined
from tripwire.store.events import counts_by_type

router = APIRouter(tags=["operations"])


class TripwireCollector(Collector):
    """Reads the store at scrape time, so every process reports the same numbers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        with self.runtime.db.read() as session:
            events, incidents = counts_by_type(session), counts_by_status(session)
            tallies, outbox = response_tallies(session), outbox_counts(session)
            dead_letter = count_quarantined(session)
            detectors = detector_gauges(session, self.runtime.config.monitors)
            late = late_events(session)
        stored = GaugeMetricFamily("tripwire_events_stored", "Events stored", labels=["type"])
        for kind, count in sorted(events.items()):
            stored.add_metric([kind], count)
        yield stored
        by_status = GaugeMetricFamily(
            "tripwire_incidents", "Incidents by status", labels=["status"]
        )
        for status, count in sorted(incidents.items()):
            by_status.add_metric([status], count)
        yield by_status
        yield from _response(tallies)
        yield from _detectors(detectors)
        queue = GaugeMetricFamily(
            "tripwire_outbox_notifications", "Outbox by status", labels=["status"]
        )
        for status, count in sorted(outbox.items()):
            queue.add_metric([status], count)
        yield queue
        yield GaugeMetricFamily(
            "tripwire_pipeline_dead_letter",
            "Events quarantined because a pipeline stage failed on them",
            value=dead_letter,
        )
        yield GaugeMetricFamily(
            "tripwire_pipeline_late_events",
            "Events counted outside their own minute (they arrived after its window closed)",
            value=late,
        )


def _response(tallies: Any) -> Iterator[Metric]:
    labels = ["type", "severity"]
    for measure in MEASURES:
        mean = GaugeMetricFamily(
            f"tripwire_{measure}_seconds", f"Mean {measure.upper()} in seconds", labels=labels
        )
        count = GaugeMetricFamily(
            f"tripwire_{measure}_incidents",
            f"Incidents measured for {measure.upper()}",
            labels=labels,
        )
        for (kind, severity), tally in sorted(tallies.items()):
            value = tally.means()[measure]
            if value is not None:
                mean.add_metric([kind, severity], value)
            count.add_metric([kind, severity], tally.counts[measure])
        yield mean
        yield count


def _detectors(gauges: list[DetectorGauge]) -> Iterator[Metric]:
    labels = ["monitor", "use_case"]
    firing = GaugeMetricFamily(
        "tripwire_detector_firing", "1 while the monitor fires on the use case", labels=labels
    )
    baseline = GaugeMetricFamily(
        "tripwire_detector_baseline", "What the detector expects (monitor's units)", labels=labels
    )
    observed = GaugeMetricFamily(
        "tripwire_detector_observed", "The last observed value (monitor's units)", labels=labels
    )
    for g in gauges:
        firing.add_metric([g.monitor, g.use_case], 1.0 if g.firing else 0.0)
        if g.baseline is not None:
            baseline.add_metric([g.monitor, g.use_case], g.baseline)
        if g.observed is not None:
            observed.add_metric([g.monitor, g.use_case], g.observed)
    yield from (firing, baseline, observed)


@router.get("/metrics", dependencies=[requires("read")])
def metrics(runtime: RuntimeDep) -> Response:
    # A registry per scrape and per app: nothing leaks between apps in one process (tests).
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TripwireCollector(runtime))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/metrics/response", dependencies=[requires("read")])
def response_metrics(runtime: RuntimeDep) -> dict[str, Any]:
    """Mean seconds to detect / acknowledge / mitigate / resolve, per type and severity."""
    with runtime.db.read() as session:
        return {"unit": "seconds", "groups": response_report(session)}
