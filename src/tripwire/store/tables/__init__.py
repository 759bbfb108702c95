"""Every table, imported here so that `Base.metadata` is complete for Alembic.

One module per area; a new area adds its module and one import line below.
"""

from tripwire.store.tables import (
    communicate,
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
    "communicate",
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
