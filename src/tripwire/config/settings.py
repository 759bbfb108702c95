"""Deployment settings from the environment (prefix `TRIPWIRE_`). Nothing else reads os.environ."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///tripwire.db"


class Settings(BaseSettings):
    """Where Tripwire stores data, how it listens and its limits.

    `TRIPWIRE_<NAME>_FILE` reads a secret from a file instead of the environment.
    """

    model_config = SettingsConfigDict(env_prefix="TRIPWIRE_", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the store")
    config: Path | None = Field(None, description="path of tripwire.yaml")
    admin_token: SecretStr | None = Field(None, description="accepted as an admin token")
    public_url: str = Field("http://127.0.0.1:8000", description="base URL used in links")
    max_batch_events: int = Field(10_000, ge=1)
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_inflight_ingest: int = Field(8, ge=1, description="concurrent ingest writes before 429")
    otlp_join_window_s: float = Field(
        30.0, gt=0, le=3600, description="how long a span waits for its log-record content"
    )
    otlp_join_max_pending: int = Field(
        100_000, ge=100, description="held outputs (and unjoined log records) at most"
    )
    event_max_age: timedelta = Field(
        timedelta(days=3650), description="oldest `ts` accepted at ingest (seconds or ISO 8601)"
    )
    event_max_future: timedelta = Field(
        timedelta(days=1), description="how far ahead of now a `ts` may be at ingest"
    )
    allow_private_webhooks: bool = Field(
        False, description="let outgoing webhooks reach loopback and private addresses"
    )
    sqlite_synchronous: str = Field("FULL", description="SQLite synchronous pragma")
    secret_key: SecretStr | None = Field(None, description="signs acknowledge links and CSRF")
    workers: bool = Field(True, description="run background workers inside `serve`")
    processes: int | Literal["auto"] = Field(
        1, description="server processes `serve` pre-forks on its socket (auto: one per core)"
    )
    pipeline_partitions: int = Field(
        64, ge=1, le=4096, description="pipeline partitions, fixed when the database is created"
    )
    retention_days: int = Field(30, ge=1, description="raw events older than this are dropped")

    @field_validator("processes", mode="before")
    @classmethod
    def _process_count(cls, value: object) -> object:
        return process_count_setting(value)

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "TRIPWIRE_DATABASE_URL must be sqlite:///... or postgresql+psycopg://..."
            )
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value


def load_settings() -> Settings:
    """Settings from the environment, with `TRIPWIRE_<NAME>_FILE` secrets resolved."""
    overrides: dict[str, str] = {}
    for name in ("admin_token", "secret_key", "database_url"):
        path = os.environ.get(f"TRIPWIRE_{name.upper()}_FILE")
        if path:
            overrides[name] = Path(path).read_text(encoding="utf-8").strip()
    return Settings(**overrides)  # type: ignore[arg-type]


def process_count_setting(value: object) -> int | Literal["auto"]:
    """A count of server processes as written (TRIPWIRE_PROCESSES, `serve --processes`): a
    whole number of 1 or more, or `auto`; ValueError otherwise."""
    if value == "auto":
        return "auto"
    text = str(value).strip()
    # isascii: str.isdigit accepts digits int() cannot read (a superscript two).
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValueError("must be a whole number of 1 or more, or auto")
    return int(text)
