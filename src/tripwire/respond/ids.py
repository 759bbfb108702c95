"""Public incident ids: `INC-<n>`."""

from __future__ import annotations

import re

_ID = re.compile(r"^INC-(\d{1,18})$", re.IGNORECASE)


def incident_id(number: int) -> str:
    return f"INC-{number}"


def parse_incident_id(value: str) -> int | None:
    """The number inside `INC-<n>` (a bare number is accepted too), or None."""
    value = value.strip()
    if value.isdigit() and len(value) <= 18:
        return int(value)
    match = _ID.match(value)
    return int(match.group(1)) if match else None
