"""The bounded in-memory queue between the product's threads and the sender thread."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Item:
    """One encoded event: `seq` orders it, `body` is its JSON, `at` when it was queued."""

    seq: int
    id: str
    body: bytes
    at: float


class EventQueue:
    """FIFO of encoded events bounded in count and bytes; `put` never blocks, it says no."""

    def __init__(self, max_events: int, max_bytes: int) -> None:
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._items: deque[Item] = deque()
        self._bytes = 0
        self._seq = 0
        self._lock = threading.Lock()

    def put(self, event_id: str, body: bytes) -> int | None:
        """Queue an event and return its length afterwards, or None when the queue is full."""
        with self._lock:
            if len(self._items) >= self.max_events or self._bytes + len(body) > self.max_bytes:
                return None
            self._seq += 1
            self._items.append(Item(self._seq, event_id, body, time.monotonic()))
            self._bytes += len(body)
            return len(self._items)

    def take(self, max_events: int, max_bytes: int) -> list[Item]:
        """Remove and return the oldest events that fit in one batch (at least one if any)."""
        batch: list[Item] = []
        size = 0
        with self._lock:
            while self._items and len(batch) < max_events:
                item = self._items[0]
                if batch and size + len(item.body) + 1 > max_bytes:
                    break
                batch.append(self._items.popleft())
                size += len(item.body) + 1
            self._bytes -= sum(len(item.body) for item in batch)
        return batch

    def drain(self) -> list[Item]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
            self._bytes = 0
        return items

    @property
    def last_seq(self) -> int:
        return self._seq

    def __len__(self) -> int:
        return len(self._items)

    def oldest_at(self) -> float | None:
        items = self._items
        try:
            return items[0].at
        except IndexError:
            return None
