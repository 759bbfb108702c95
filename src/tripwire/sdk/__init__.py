"""The Tripwire SDK: send telemetry, read feature flags. Imports only stdlib, httpx, pydantic."""

from tripwire.sdk.client import Client
from tripwire.sdk.flags import Flag, Flags, FlagsStatus
from tripwire.sdk.stats import Stats

__all__ = ["Client", "Flag", "Flags", "FlagsStatus", "Stats"]
