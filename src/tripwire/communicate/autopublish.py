"""Auto-publish (`communicate.status_page.auto_publish`, e.g. P0): an incident at or above that
severity goes on the status page when it opens, under a neutral title generated from its type
and the component's public name. The detector's title and text are never used."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tripwire.communicate.context import PageContext
from tripwire.communicate.publish import publish
from tripwire.communicate.queries import use_cases
from tripwire.communicate.statuspage import component_ids, display_name
from tripwire.domain.incidents import SEVERITIES

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService
    from tripwire.store.tables.respond import IncidentRow

ACTOR = "tripwire (auto-publish)"
TITLES = {
    "availability": "Errors or slow responses in {name}",
    "safety": "Inappropriate answers in {name}",
}
DEFAULT_TITLE = "Degraded answers in {name}"
FIRST_UPDATE = (
    "We are investigating a problem with {name}. We will post an update as soon as we know more."
)


def neutral_title(incident_type: str, name: str) -> str:
    return TITLES.get(incident_type, DEFAULT_TITLE).format(name=name)


class AutoPublishHook:
    name = "status-page-auto-publish"

    def opened(self, service: IncidentService, incident: IncidentRow) -> None:
        config = service.config.communicate.status_page
        floor = config.auto_publish
        if floor is None or SEVERITIES.index(incident.severity) > SEVERITIES.index(floor):
            return
        component = incident.use_case
        if component is None or component not in component_ids(config, use_cases(service.session)):
            return  # a hidden use case, or none: nothing the public would recognise
        key = service.settings.secret_key
        assert key is not None, "Runtime.open sets the secret key"
        ctx = PageContext(
            service.session,
            config,
            service.clock.now(),
            service.settings.public_url,
            key.get_secret_value().encode(),
        )
        name = display_name(config, component)
        impact = "major_outage" if incident.type == "availability" else "partial_outage"
        publish(
            ctx,
            incident.number,
            neutral_title(incident.type, name),
            FIRST_UPDATE.format(name=name),
            "investigating",
            {component: impact},
            ACTOR,
        )

    def status_changed(
        self, service: IncidentService, incident: IncidentRow, old: str, new: str
    ) -> None:
        return None  # a public resolution is a person's words, not the internal status

    def tick(self, service: IncidentService) -> None:
        return None

    def next_due(self, service: IncidentService) -> datetime | None:
        return None


HOOK = AutoPublishHook()
