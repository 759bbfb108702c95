"""Alerts into incidents: dedup on the signal's key, join signals that agree (same use case,
overlapping time), resolve a signal's part when it clears, and auto-resolve the incident once
every signal has cleared (as PagerDuty does when all alerts of an incident resolve)."""

from __future__ import annotations

from datetime import datetime

from tripwire.domain.alerts import Alert
from tripwire.domain.incidents import is_open, stronger_type
from tripwire.respond import queries
from tripwire.respond.affected import alert_scope, scope_of
from tripwire.respond.service import IncidentService, NewIncident
from tripwire.respond.severity import Facts, criticality_of
from tripwire.store.tables.respond import IncidentRow, SignalRow


def join_key(alert: Alert) -> str:
    """Signals with the same key may be one problem: the use case, else the Alertmanager
    group, else the signal itself."""
    if alert.use_case:
        return alert.use_case
    group = alert.details.get("group_key")
    return f"group:{group}" if group else f"signal:{alert.dedup_key}"


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
    if found is not None:
        incident, signal = found
        _refresh(service, incident, signal, alert)
        return incident
    joinable = _joinable(service, alert)
    if joinable is not None:
        _attach(service, joinable, alert, joined=True)
        return joinable
    return _open(service, alert)


def _open(service: IncidentService, alert: Alert) -> IncidentRow:
    exposed = alert.details.get("exposed_users")
    now, affected = service.clock.now(), service.config.communicate.affected_users
    seen = service.exposure_of(
        service.session, alert.use_case, alert.started_at, now, alert_scope(alert, now, affected)
    )
    new = NewIncident(
        type=alert.incident_type,
        title=title_of(alert),
        use_case=alert.use_case,
        started_at=alert.started_at,
        detected_at=alert.detected_at,
        source=alert.source,
        severity=alert.severity_hint,
        join_key=join_key(alert),
        magnitude=alert.magnitude,
        exposed_users=max(seen.users, int(exposed) if isinstance(exposed, int | float) else 0),
        exposed_outputs=seen.outputs,
    )
    # The signal goes in before the pages and the hooks, so they see it.
    return service.open(
        new, actor=alert.source, before_hooks=lambda inc: _attach(service, inc, alert, False)
    )


def _joinable(service: IncidentService, alert: Alert) -> IncidentRow | None:
    """An open incident of the same use case this signal belongs to: first one with a signal
    of the same type, else one whose signals began about when this one did (one cause, several
    symptoms). A jailbreak hours into an open quality regression is its own incident: joined,
    it would get neither its own playbook nor its own pages."""
    near: IncidentRow | None = None
    window = service.rc.join_window
    for incident in queries.open_by_join_key(service.session, join_key(alert)):
        sigs = queries.signals(service.session, incident.number)
        if not sigs:
            return incident  # declared by hand: the detector confirms what someone saw
        if not _live(service, sigs, alert):
            continue
        if any(s.type == alert.incident_type for s in sigs):
            return incident
        if near is None and any(abs(s.started_at - alert.started_at) <= window for s in sigs):
            near = incident
    return near


def _live(service: IncidentService, sigs: list[SignalRow], alert: Alert) -> bool:
    """The incident still fires, or its last signal cleared just before this one began."""
    if any(s.state == "firing" for s in sigs):
        return True
    last_clear = max(s.resolved_at or s.detected_at for s in sigs)
    return alert.started_at <= last_clear + service.rc.join_grace


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
        details=dict(alert.details),
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
    stronger = stronger_type(incident.type, alert.incident_type)  # type: ignore[arg-type]
    if stronger != incident.type:
        service.log(
            incident,
            "type_changed",
            f"Type {incident.type} -> {stronger}: a {stronger} signal joined",
            "tripwire",
            {"from": incident.type, "to": stronger},
        )
        incident.type = stronger
    reassess(service, incident, alert.magnitude)


def _refresh(
    service: IncidentService, incident: IncidentRow, signal: SignalRow, alert: Alert
) -> None:
    if signal.state == "resolved":
        signal.state, signal.resolved_at = "firing", None
        service.log(
            incident,
            "signal",
            f"Signal fired again: {title_of(alert)}",
            alert.source,
            {"dedup_key": alert.dedup_key},
        )
    if alert.observed is not None:
        signal.observed = alert.observed
    if alert.magnitude is not None and alert.magnitude > (signal.magnitude or 0.0):
        signal.magnitude = alert.magnitude
        reassess(service, incident, alert.magnitude)


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
    if (
        service.rc.auto_resolve
        and is_open(incident.status)
        and all(s.state == "resolved" for s in sigs)
    ):
        service.resolve(incident.number, "tripwire", "every signal has cleared")
    return incident


def reassess(
    service: IncidentService, incident: IncidentRow, magnitude: float | None = None
) -> None:
    """Refresh the people exposed and re-run the severity rules (severity only rises)."""
    now: datetime = service.clock.now()
    scope = scope_of(service.session, incident, now, service.config.communicate.affected_users)
    seen = service.exposure_of(service.session, incident.use_case, incident.started_at, now, scope)
    incident.exposed_users = max(incident.exposed_users, seen.users)
    incident.exposed_outputs = max(incident.exposed_outputs, seen.outputs)
    mags = [s.magnitude for s in queries.signals(service.session, incident.number) if s.magnitude]
    worst = max([m for m in [*mags, magnitude] if m is not None], default=None)
    facts = Facts(
        incident.type,  # type: ignore[arg-type]
        criticality_of(service.rc, incident.use_case),
        worst,
        incident.exposed_users,
        incident.exposed_outputs,
    )
    service.raise_severity_if(incident, facts)
