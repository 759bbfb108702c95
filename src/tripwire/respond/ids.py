"""Public incident ids: `INC-<n>`."""

from __future__ import annotations

import re

_ID = re.compile(r"^INC-([0-9]{1,18})$", re.IGNORECASE | re.ASCII)


def incident_id(number: int) -> str:
    return f"INC-{number}"


def parse_incident_id(value: str) -> int | None:
    """The number inside `INC-<n>` (a bare number is accepted too), or None."""
    value = value.strip()
    # ASCII only: "³" is a Unicode digit that int() refuses (a path anyone can send).
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    match = _ID.match(value)
    return int(match.group(1)) if match else None
