"""`communicate:` in tripwire.yaml: the public status page and user communications."""

from __future__ import annotations

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


class SubscribersConfig(_Strict):
    """Who may follow the page: e-mail (through a configured `email` channel) and webhooks."""

    email_channel: str | None = Field(
        None, description="a respond channel of type email that sends subscriber mail"
    )
    webhooks: bool = Field(True, description="accept webhook subscriptions")
    max_subscribers: int = Field(10_000, ge=0, le=1_000_000)


class StatusPageConfig(_Strict):
    name: str = "Status"
    url: str | None = Field(None, description="public URL of the page (default: public_url/status)")
    time_zone: str = "Etc/UTC"
    components: dict[str, ComponentConfig] = Field(default_factory=dict)
    auto_components: bool = Field(
        True, description="show every use case seen in telemetry, not only configured ones"
    )
    auto_publish: Severity | None = Field(
        None,
        description="publish incidents at or above this severity at once, under a neutral "
        "generated title (e.g. P0); default: only people publish",
    )
    history_days: int = Field(90, ge=1, le=366, description="days of history and uptime bars")
    subscribers: SubscribersConfig = SubscribersConfig()


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
