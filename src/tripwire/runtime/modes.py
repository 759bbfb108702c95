"""The ways a Tripwire process runs, and what each means for the stages it builds.

Only the composition root reads the mode: every stage receives typed options instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    """`serve` (API, UI and, by default, the background work), `worker` (background work only)
    and `replay` (a file on event time)."""

    SERVE = "serve"
    WORKER = "worker"
    REPLAY = "replay"


@dataclass(frozen=True, slots=True)
class StageOptions:
    """How the stages behave in one mode.

    - `event_time`: the clock follows the events' `ts` (the LLM judge runs only if configured
      for replays);
    - `inline_delivery`: notifications are delivered inside the pipeline's transaction on its
      clock (retries and backoff follow event time) instead of by the outbox worker;
    - `memo_exposure`: count exposed users incrementally (exact only with a single writer).
    """

    event_time: bool
    inline_delivery: bool
    memo_exposure: bool

    @classmethod
    def for_mode(cls, mode: Mode, *, single_writer: bool) -> StageOptions:
        if mode is Mode.REPLAY:
            return cls(event_time=True, inline_delivery=True, memo_exposure=single_writer)
        return cls(event_time=False, inline_delivery=False, memo_exposure=False)
