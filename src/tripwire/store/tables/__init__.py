"""Every table, imported here so that `Base.metadata` is complete for Alembic.

One module per area; a new area adds its module and one import line below.
"""

from tripwire.store.tables import (
    deadletter,
    detect,
    evaluate,
    events,
    flags,
    genai,
    learn,
    respond,
    runtime,
    sessions,
    statuspage,
    tokens,
)

__all__ = [
    "deadletter",
    "detect",
    "evaluate",
    "events",
    "flags",
    "genai",
    "learn",
    "respond",
    "runtime",
    "sessions",
    "statuspage",
    "tokens",
]
