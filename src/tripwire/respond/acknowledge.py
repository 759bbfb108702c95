"""Acknowledging through a signed link: a page link acknowledges the incident (or, when
someone already did, records this person's acknowledgement too); a stakeholder link
acknowledges that notification only."""

from __future__ import annotations

from tripwire.domain.incidents import is_open
from tripwire.respond import stakeholders
from tripwire.respond.acklink import AckClaim
from tripwire.respond.acks import add_ack, has_acked
from tripwire.respond.service import Conflict, IncidentService


def acknowledge_link(service: IncidentService, claim: AckClaim) -> str:
    """Act on a verified claim; returns what happened, for the person who clicked."""
    incident = service.get(claim.incident)
    if claim.notice is not None:
        stakeholders.acknowledge(service, claim.notice, claim.person, "link")
        return "Your acknowledgement of this notification is recorded."
    if incident.status == "triggered":
        note = "from the link in the page"
        service.acknowledge(incident.number, claim.person, note, "link", claim.channel)
        return f"{claim.incident} acknowledged; escalation stopped."
    if not is_open(incident.status):
        raise Conflict(f"{claim.incident} is already {incident.status}")
    if has_acked(service.session, incident.number, claim.person):
        return f"You had already acknowledged {claim.incident}."
    now = service.clock.now()
    add_ack(service.session, incident.number, claim.person, now, "link", claim.channel)
    via = f"link ({claim.channel})" if claim.channel else "link"
    data = {"person": claim.person, "via": "link", "channel": claim.channel}
    service.log(incident, "ack", f"{claim.person} acknowledged too, via {via}", claim.person, data)
    return f"{claim.incident} was already acknowledged; your acknowledgement is recorded too."
