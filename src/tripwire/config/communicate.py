"""`communicate:` in tripwire.yaml: the public status page and user communications."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tripwire.domain.incidents import Severity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentConfig(_Strict):
    """How one use case appears on the status page."""

    name: str | None = Field(None, description="public name (default: the use case)")
    description: str | None = None
    hidden: bool = Field(False, description="never show this use case publicly")
    group: str | None = None


class StatusPageConfig(_Strict):
    name: str = "Status"
    url: str | None = Field(None, description="public URL of the page (default: public_url/status)")
    time_zone: str = "Etc/UTC"
    components: dict[str, ComponentConfig] = Field(default_factory=dict)
    auto_components: bool = Field(
        True, description="show every use case seen in telemetry, not only configured ones"
    )
    publish: Literal["updates", "open"] = Field(
        "updates",
        description="updates: an incident appears once someone posts an update with a stage; "
        "open: every open incident at or above min_severity appears at once",
    )
    min_severity: Severity = Field(
        "P2", description="least severe incident that degrades a component"
    )


class CommunicateConfig(_Strict):
    status_page: StatusPageConfig = StatusPageConfig()
    follow_up_within_hours: int = Field(
        48, ge=1, description="a follow-up to affected users is due this long after resolution"
    )
