"""The playbook for each incident type: the shipped defaults, or tripwire.yaml's override."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from tripwire.config.playbooks import PlaybooksConfig, PlaybookSpec
from tripwire.domain.incidents import INCIDENT_TYPES


@cache
def shipped() -> dict[str, PlaybookSpec]:
    """The defaults in defaults.yaml, validated once."""
    text = resources.files("tripwire.respond.playbooks").joinpath("defaults.yaml").read_text()
    data = yaml.safe_load(text)
    return {kind: PlaybookSpec.model_validate(data[kind]) for kind in INCIDENT_TYPES}


def playbook_for(incident_type: str, config: PlaybooksConfig) -> PlaybookSpec | None:
    """The override from tripwire.yaml when there is one, else the shipped default."""
    override = getattr(config, incident_type, None) if incident_type in INCIDENT_TYPES else None
    if isinstance(override, PlaybookSpec):
        return override
    return shipped().get(incident_type)
