"""Alerts into incidents: dedup on the signal's key, join signals that are time-compatible
(respond/grouping.py), type the incident from all its evidence (respond/classify.py), and
resolve with hysteresis: when every signal has cleared the incident is mitigated (monitoring),
it resolves only once they stayed clear for `resolve_after` (respond/timers.py), and a signal
that fires again in the meantime, or within `reopen_window` of the resolution, brings the same
incident back instead of opening a new one."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from tripwire.domain.alerts import Alert, grown
from tripwire.domain.clock import isoformat_z
from tripwire.domain.incidents import AUTOMATION, SEVERITIES, Severity, rank
from tripwire.respond import grouping, queries
from tripwire.respond.affected import alert_scope, scope_of
from tripwire.respond.classify import decide
from tripwire.respond.grouping import join_key
from tripwire.respond.retype import alert_clue, content, revise
from tripwire.respond.service import IncidentService, NewIncident
from tripwire.respond.severity import Facts, criticality_of
from tripwire.store.tables.respond import IncidentRow, SignalRow

__all__ = ["ingest_alert", "join_key", "reassess", "title_of"]


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.4g}"


def title_of(alert: Alert) -> str:
    if alert.title:
        return alert.title
    where = f" in {alert.use_case}" if alert.use_case else ""
    if alert.baseline is not None and alert.observed is not None:
        way = "rose" if alert.observed > alert.baseline else "fell"
        change = f" {way} from {_fmt(alert.baseline)} to {_fmt(alert.observed)}"
    else:
        change = " crossed its alerting line"
    return f"{alert.metric}{where}{change} ({alert.monitor})"


def ingest_alert(service: IncidentService, alert: Alert) -> IncidentRow | None:
    """Apply one alert; returns the incident it touched (None: a resolve nobody waits for)."""
    if alert.state == "resolved":
        return _resolve(service, alert)
    found = queries.open_signal(service.session, alert.dedup_key)
    if found is not None and _current(service, found[1], alert):
        incident, signal = found
        _refresh(service, incident, signal, alert)
        return incident
    joinable = grouping.joinable(service.session, service.rc, alert)
    if joinable is not None:
        _attach_or_refresh(service, joinable, alert)
        return joinable
    # Only detector signals reopen: external sources resolve after their own hysteresis.
    detector = alert.source == "detector"
    back = grouping.reopenable(service.session, service.rc, alert) if detector else None
    if back is not None:
        service.reopen(back, f"{title_of(alert)} fired again soon after it resolved")
        _attach_or_refresh(service, back, alert)
        return back
    return _open(service, alert)


def _current(service: IncidentService, signal: SignalRow, alert: Alert) -> bool:
    """The signal's incident may take it back: it still fires, or cleared recently."""
    if signal.state == "firing":
        return True
    cleared = signal.resolved_at or signal.detected_at
    return alert.started_at <= cleared + service.rc.reopen_window


def _attach_or_refresh(service: IncidentService, incident: IncidentRow, alert: Alert) -> None:
    for signal in queries.signals(service.session, incident.number):
        if signal.dedup_key == alert.dedup_key:
            _refresh(service, incident, signal, alert)
            return
    _attach(service, incident, alert, joined=True)


def _open(service: IncidentService, alert: Alert) -> IncidentRow:
    exposed = alert.details.get("exposed_users")
    now, affected = service.clock.now(), service.config.communicate.affected_users
    seen = service.exposure_of(
        service.session, alert.use_case, alert.started_at, now, alert_scope(alert, now, affected)
    )
    evidence = content(service.session, alert.use_case, alert.started_at, now)
    verdict = decide([alert_clue(alert)], evidence, alert.incident_type)
    new = NewIncident(
        type=verdict.type,
        type_reason=verdict.reason,
        title=title_of(alert),
        use_case=alert.use_case,
        started_at=alert.started_at,
        detected_at=alert.detected_at,
        source=alert.source,
        severity_hint=alert.severity_hint,
        join_key=join_key(alert),
        magnitude=alert.magnitude,
        exposed_users=max(seen.users, int(exposed) if isinstance(exposed, int | float) else 0),
        exposed_outputs=seen.outputs,
        confirmed=confirmed(
            [alert.source], [alert.monitor], [alert.details], service.rc.severity.confirm_signals
        ),
        events=events_of([alert.details]),
        signals=kinds_of([alert.details]),
        confirm_in=confirm_in_of([alert.details]),
    )
    # The signal goes in before the pages and the hooks, so they see it.
    return service.open(
        new, actor=alert.source, before_hooks=lambda inc: _attach(service, inc, alert, False)
    )


def _attach(service: IncidentService, incident: IncidentRow, alert: Alert, joined: bool) -> None:
    signal = SignalRow(
        incident=incident.number,
        dedup_key=alert.dedup_key,
        source=alert.source,
        type=alert.incident_type,
        monitor=alert.monitor,
        metric=alert.metric,
        baseline=alert.baseline,
        observed=alert.observed,
        magnitude=alert.magnitude,
        state="firing",
        started_at=alert.started_at,
        detected_at=alert.detected_at,
        segment=dict(alert.segment),
        details=_with_hint(alert.details, alert.severity_hint),
    )
    service.session.add(signal)
    verb = "joined" if joined else "opened the incident"
    service.log(
        incident,
        "signal",
        f"Signal {verb}: {title_of(alert)}",
        alert.source,
        {
            "dedup_key": alert.dedup_key,
            "monitor": alert.monitor,
            "metric": alert.metric,
            "baseline": alert.baseline,
            "observed": alert.observed,
        },
    )
    if not joined:
        return
    if alert.started_at < incident.started_at:
        incident.started_at = alert.started_at
    revise(service, incident)
    reassess(service, incident, alert.magnitude)


def _with_hint(details: dict[str, Any], hint: Severity | None) -> dict[str, Any]:
    """The alert's details and its severity hint, kept for reassessment (a held incident
    rises to the hint once its evidence is confirmed, as an unheld one opens at it)."""
    return {**details, "severity_hint": hint} if hint is not None else dict(details)


def _hint(sigs: list[SignalRow]) -> tuple[Severity | None, str]:
    """The most severe hint among the signals' (None: none has one) and the source that sent
    it (the detector's is its estimate of the change's size; PagerDuty's is the sender's)."""
    hints = [
        (h, s.source) for s in sigs if (h := (s.details or {}).get("severity_hint")) in SEVERITIES
    ]
    hint, source = min(hints, key=lambda pair: rank(pair[0]), default=(None, "detector"))
    return hint, source


def _stored_hint(signal: SignalRow) -> Severity | None:
    hint = (signal.details or {}).get("severity_hint")
    return hint if hint in SEVERITIES else None


def _refresh(
    service: IncidentService, incident: IncidentRow, signal: SignalRow, alert: Alert
) -> None:
    if signal.state == "resolved":
        # Firing again, the signal keeps what its earlier episode established (confirmed, its
        # count, its hint, its largest magnitude): it is the same problem back, and an
        # incident's evidence only grows, as its severity only rises by itself.
        signal.state, signal.resolved_at = "firing", None
        service.log(
            incident,
            "signal",
            f"Signal fired again: {title_of(alert)}",
            alert.source,
            {"dedup_key": alert.dedup_key},
        )
        if (
            incident.status == "mitigated"
            and grouping.last_actor(service.session, incident, "mitigated") == AUTOMATION
        ):
            service.reopen(incident, f"{title_of(alert)} fired again while monitoring")
    if alert.details.get("confirmed") and not (signal.details or {}).get("confirmed"):
        signal.details = {**(signal.details or {}), "confirmed": True}
        service.log(
            incident,
            "signal",
            f"Signal confirmed (the change kept its evidence after the alert): {title_of(alert)}",
            alert.source,
            {"dedup_key": alert.dedup_key, "confirmed": True},
        )
        reassess(service, incident)
    if alert.grew and signal.state == "firing":
        _grew(service, incident, signal, alert)
    if alert.observed is not None:
        signal.observed = alert.observed
    if alert.magnitude is not None and alert.magnitude > (signal.magnitude or 0.0):
        signal.magnitude = alert.magnitude
        signal.details = _with_hint(signal.details or {}, alert.severity_hint)
        revise(service, incident)
        reassess(service, incident, alert.magnitude)
    elif _graver(alert.severity_hint, _stored_hint(signal)):
        # A sender that re-triggers with a graver severity (PagerDuty's `critical` after its
        # `warning`) says the problem grew, as a detector's larger magnitude does.
        signal.details = _with_hint(signal.details or {}, alert.severity_hint)
        reassess(service, incident)


def _grew(service: IncidentService, incident: IncidentRow, signal: SignalRow, alert: Alert) -> None:
    """The signal's detector saw it grow past its own level: said on the timeline, and kept
    (`grew_at`); the larger magnitude then re-runs the severity rules like any other."""
    at = isoformat_z(alert.detected_at)
    details = signal.details or {}
    signal.details = {**details, "grew_at": grown(details.get("grew_at"), at)}
    service.log(
        incident,
        "signal",
        f"Signal grew: {title_of(alert)}",
        alert.source,
        {"dedup_key": alert.dedup_key, "grew": True, "magnitude": alert.magnitude},
    )


def _graver(new: Severity | None, old: Severity | None) -> bool:
    return new is not None and (old is None or rank(new) < rank(old))


def _resolve(service: IncidentService, alert: Alert) -> IncidentRow | None:
    found = queries.open_signal(service.session, alert.dedup_key)
    if found is None or found[1].state == "resolved":
        return None if found is None else found[0]
    incident, signal = found
    signal.state, signal.resolved_at = "resolved", alert.detected_at
    service.log(
        incident,
        "signal_resolved",
        f"Signal cleared: {title_of(alert)}",
        alert.source,
        {"dedup_key": alert.dedup_key},
    )
    sigs = queries.signals(service.session, incident.number)
    if not service.rc.auto_resolve or any(s.state == "firing" for s in sigs):
        return incident
    if alert.source != "detector":
        # Alertmanager and PagerDuty resolve after their own hysteresis (resolve_timeout, an
        # explicit resolve): the incident follows them at once, as PagerDuty's own does.
        service.resolve(incident.number, "tripwire", "every signal has cleared")
    elif incident.status in ("triggered", "acknowledged"):
        wait = service.rc.resolve_after
        note = f"every signal has cleared; resolves if they stay clear for {_span(wait)}"
        service.mitigate(incident.number, "tripwire", note)
    return incident


def _span(wait: timedelta) -> str:
    minutes = int(wait.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes else f"{minutes} min"


def confirmed(
    sources: list[str],
    monitors: list[str | None],
    details: list[dict[str, Any]],
    pooled: Collection[str] = (),
) -> bool:
    """The incident's evidence goes beyond one detector stream's unconfirmed alert: a source
    outside the detector (it has its own hysteresis), a second monitor's signal, or a signal
    its detector confirmed (its support after the alert, detect/episode.py). Monitors of a
    `pooled` signal kind count as one: ticket topics are one source (the same customers, one
    classifier), so two chance clusters in two topics do not confirm each other."""
    if any(source != "detector" for source in sources):
        return True
    kinds = [d.get("signal") for d in details]
    witnesses = {kind if kind in pooled else m for m, kind in zip(monitors, kinds, strict=True)}
    if len(witnesses) >= 2:
        return True
    return any(d.get("confirmed") for d in details)


def kinds_of(details: list[dict[str, Any]]) -> frozenset[str]:
    """The signal kinds (`ticket_topic`, `safety_trigger`...) the detector's alerts name."""
    return frozenset(str(d["signal"]) for d in details if isinstance(d.get("signal"), str))


def confirm_in_of(details: list[dict[str, Any]]) -> float | None:
    """The longest any of the signals' detectors needs to confirm a real change (None: one of
    them cannot say, so no hold waits on it)."""
    waits = [float(w) for d in details if isinstance(w := d.get("confirm_in"), int | float)]
    return max(waits) if details and len(waits) == len(details) else None


def events_of(details: list[dict[str, Any]]) -> float | None:
    """The most events any of the signals' rates counted at alert (None: none is a count)."""
    counts = [float(d["events"]) for d in details if isinstance(d.get("events"), int | float)]
    return max(counts, default=None)


def reassess(
    service: IncidentService,
    incident: IncidentRow,
    magnitude: float | None = None,
    rules: bool = True,
) -> None:
    """Refresh the people exposed and re-run the severity rules (severity only rises;
    `rules=False`: the count only)."""
    now: datetime = service.clock.now()
    scope = scope_of(service.session, incident, now, service.config.communicate.affected_users)
    seen = service.exposure_of(service.session, incident.use_case, incident.started_at, now, scope)
    incident.exposed_users = max(incident.exposed_users, seen.users)
    incident.exposed_outputs = max(incident.exposed_outputs, seen.outputs)
    if not rules:
        return
    sigs = queries.signals(service.session, incident.number)
    mags = [s.magnitude for s in sigs if s.magnitude]
    worst = max([m for m in [*mags, magnitude] if m is not None], default=None)
    details = [s.details or {} for s in sigs]
    facts = Facts(
        incident.type,  # type: ignore[arg-type]
        criticality_of(service.rc, incident.use_case),
        worst,
        incident.exposed_users,
        incident.exposed_outputs,
        confirmed(
            [s.source for s in sigs],
            [s.monitor for s in sigs],
            details,
            service.rc.severity.confirm_signals,
        ),
        events_of(details),
        kinds_of(details),
        confirm_in_of(details),
    )
    hint, source = _hint(sigs)
    service.raise_severity_if(incident, facts, _unjudged(service, incident, hint), source)


def _unjudged(
    service: IncidentService, incident: IncidentRow, hint: Severity | None
) -> Severity | None:
    """The hint, unless a person already overruled it: they lowered the incident from a
    severity at least as high (the hint was before them, or was not more than what they saw),
    so only a hint above that is news. The written rules still run on every new fact."""
    overruled = queries.overruled_severity(service.session, incident.number)
    if hint is None or overruled not in SEVERITIES:
        return hint
    return hint if rank(hint) < rank(overruled) else None
