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


class AffectedUsersConfig(_Strict):
    """Which outputs of a safety or hallucination incident count as affected."""

    safety_scores: list[str] = Field(
        default_factory=lambda: ["safety"], description="scores that flag a safety output"
    )
    safety_score_below: float = Field(
        0.75, gt=0, le=1, description="a safety score under this flags the output"
    )
    hallucination_scores: list[str] = Field(
        default_factory=lambda: ["groundedness"], description="scores that flag a hallucination"
    )
    low_score_below: float = Field(
        0.5, gt=0, le=1, description="a hallucination score under this flags the output"
    )


class UserMessagesConfig(_Strict):
    """How approved messages reach affected users: a channel of `respond.channels`."""

    channel: str | None = Field(
        None, description="an `email` or `webhook` channel in respond.channels (None: no sending)"
    )
    address: str = Field(
        "{user_id}",
        max_length=256,
        description="e-mail address of a user, `{user_id}` replaced (email channels only)",
    )


class CommunicateConfig(_Strict):
    status_page: StatusPageConfig = StatusPageConfig()
    affected_users: AffectedUsersConfig = AffectedUsersConfig()
    user_messages: UserMessagesConfig = UserMessagesConfig()
    follow_up_within_hours: int = Field(
        48, ge=1, description="a follow-up to affected users is due this long after resolution"
    )
    follow_up_remind_before_hours: int = Field(
        12, ge=0, description="remind the communications lead this long before it is due"
    )
