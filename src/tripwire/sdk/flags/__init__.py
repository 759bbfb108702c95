"""Feature flags and kill switches in the SDK: local evaluation, polling, a disk cache."""

from tripwire.sdk.flags.client import Flags, FlagsStatus
from tripwire.sdk.flags.model import Flag

__all__ = ["Flag", "Flags", "FlagsStatus"]
