"""`tripwire.yaml`: the validated configuration file.

Each stage owns one section model in this package; this module only composes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tripwire.config.communicate import CommunicateConfig
from tripwire.config.costs import CostsConfig
from tripwire.config.evaluate import EvaluateConfig
from tripwire.config.flags import FlagsConfig
from tripwire.config.learn import LearnConfig
from tripwire.config.monitors import MonitorsConfig
from tripwire.config.playbooks import PlaybooksConfig
from tripwire.config.respond import RespondConfig
from tripwire.config.settings import Settings


class TripwireConfig(BaseModel):
    """The whole file. Every section is optional and has working defaults."""

    model_config = ConfigDict(extra="forbid")

    service_name: str = "Tripwire"
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    monitors: MonitorsConfig = MonitorsConfig()
    respond: RespondConfig = RespondConfig()
    flags: FlagsConfig = FlagsConfig()
    playbooks: PlaybooksConfig = PlaybooksConfig()
    communicate: CommunicateConfig = Field(default_factory=CommunicateConfig)
    costs: CostsConfig = Field(default_factory=CostsConfig)
    learn: LearnConfig = Field(default_factory=LearnConfig)

    @model_validator(mode="after")
    def _user_channel(self) -> TripwireConfig:
        """Messages to users leave through a configured e-mail or webhook channel."""
        name = self.communicate.user_messages.channel
        channel = self.respond.channels.get(name) if name else None
        if name and (channel is None or channel.type not in ("email", "webhook")):
            raise ValueError(
                f"communicate.user_messages.channel: {name!r} is not an email or webhook "
                "channel of respond.channels"
            )
        return self

    @model_validator(mode="after")
    def _subscriber_mail(self) -> TripwireConfig:
        name = self.communicate.status_page.subscribers.email_channel
        channel = self.respond.channels.get(name) if name else None
        if name and (channel is None or channel.type != "email"):
            raise ValueError(
                f"communicate.status_page.subscribers.email_channel: {name!r} is not a "
                "respond channel of type email"
            )
        return self


class ConfigError(Exception):
    """The file could not be used; `problems` lists `path: message` lines."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


def config_path(settings: Settings, explicit: Path | None = None) -> Path | None:
    """--config, then TRIPWIRE_CONFIG, then ./tripwire.yaml if it exists."""
    if explicit is not None:
        return explicit
    if settings.config is not None:
        return settings.config
    default = Path("tripwire.yaml")
    return default if default.exists() else None


def parse_config(data: Any, source: str = "tripwire.yaml") -> TripwireConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, ["(top level): must be a mapping of sections"])
    try:
        return TripwireConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError(source, problems) from None


def load_config(path: Path | None) -> TripwireConfig:
    """Read and validate the file; no file means every default."""
    if path is None:
        return TripwireConfig()
    if not path.exists():
        raise ConfigError(str(path), ["file not found"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [f"(YAML syntax): {exc}"]) from None
    return parse_config(data, str(path))
