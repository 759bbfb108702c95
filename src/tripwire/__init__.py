"""Tripwire: incident management for AI products."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tripwire.sdk import Client as Client


def __getattr__(name: str) -> Any:
    # Lazy, so `import tripwire` (the CLI, the server) does not pay for the SDK's imports.
    if name == "Client":
        from tripwire.sdk import Client

        return Client
    raise AttributeError(f"module 'tripwire' has no attribute {name!r}")
