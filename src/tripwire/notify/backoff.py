"""When to try again: exponential backoff with full jitter, or what Retry-After asked for."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    """Attempt n waits a random time between half and all of `base * 2**(n-1)`, at most `cap`;
    after `max_attempts` failures the notification is given up (status `failed`)."""

    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 15

    def delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        if retry_after is not None:
            return timedelta(seconds=max(retry_after, 0.0))
        ceiling: timedelta = min(self.base * (2 ** max(attempts - 1, 0)), self.cap)
        return ceiling * random.uniform(0.5, 1.0)
