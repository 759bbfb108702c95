"""What every status-page change needs, and the ways it can be refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tripwire.config.communicate import StatusPageConfig


class Invalid(ValueError):
    """The input breaks a rule of the public page; the message says what to fix (422)."""


class Missing(LookupError):
    """No such incident, maintenance window or subscription (404)."""


class Conflict(Exception):
    """Already done: the incident is already public, the URL already subscribed (409)."""


@dataclass(frozen=True, slots=True)
class PageContext:
    """The transaction, the page's config, now, the public URL (for links) and the
    installation key (links and webhook secrets are derived from it)."""

    session: Session
    config: StatusPageConfig
    now: datetime
    public_url: str
    key: bytes
