"""`flags:` in tripwire.yaml: flags declared in the file and how clients may poll."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FlagDeclaration(BaseModel):
    """A flag created at first use when it does not exist yet; never overwrites a stored one."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
    type: Literal["boolean", "string"] | None = None
    value: bool | str
    default: bool | str | None = None
    kill_value: bool | str | None = None
    variants: list[str] | None = None
    use_case: str | None = None
    description: str | None = None


class FlagsConfig(BaseModel):
    """Declared flags and the polling interval advertised to OFREP clients."""

    model_config = ConfigDict(extra="forbid")

    declare: list[FlagDeclaration] = Field(default_factory=list)
    min_polling_interval_ms: int = Field(1000, ge=100, le=3_600_000)
