"""Every table, imported here so that `Base.metadata` is complete for Alembic.

One module per area; a new area adds its module and one import line below.
"""

from tripwire.store.tables import (
    detect,
    evaluate,
    events,
    flags,
    genai,
    learn,
    respond,
    runtime,
    tokens,
)

__all__ = [
    "detect",
    "evaluate",
    "events",
    "flags",
    "genai",
    "learn",
    "respond",
    "runtime",
    "tokens",
]
