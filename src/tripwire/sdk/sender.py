"""The background thread that turns the queue into batches: a batch leaves when it is full, when
its oldest event has waited `interval` seconds, or when someone flushes or closes."""

from __future__ import annotations

import threading
import time

from tripwire.sdk._util import logger
from tripwire.sdk.queue import EventQueue, Item
from tripwire.sdk.stats import Counters
from tripwire.sdk.transport import Transport


class Sender:
    """Owns the sender thread. `flush` waits for what is queued now; `close` stops the thread,
    giving retries until its deadline and counting what is still undelivered as dropped."""

    def __init__(
        self,
        queue: EventQueue,
        transport: Transport,
        counters: Counters,
        *,
        batch_size: int,
        max_batch_bytes: int,
        interval: float,
    ) -> None:
        self._queue = queue
        self._transport = transport
        self._counters = counters
        self._batch_size = batch_size
        self._max_batch_bytes = max_batch_bytes
        self._interval = interval
        self._wake = threading.Event()
        self._interrupt = threading.Event()
        self._done = threading.Condition()
        self._done_seq = 0
        self._flush_upto = 0
        self._deadline: float | None = None
        self._abandoned = False  # something was left undelivered at close
        self._thread = threading.Thread(target=self._run, name="tripwire-sdk-sender", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def flush(self, timeout: float | None) -> bool:
        """Wait until everything queued before the call is settled; False on timeout."""
        target = self._queue.last_seq
        with self._done:
            self._flush_upto = max(self._flush_upto, target)
        self._wake.set()
        with self._done:
            return self._done.wait_for(lambda: self._done_seq >= target, timeout)

    def close(self, timeout: float) -> bool:
        """Stop after sending what is queued, within `timeout`; True if all of it was settled."""
        self._deadline = time.monotonic() + max(0.0, timeout)
        self._wake.set()
        self._interrupt.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout + 1.0)
        return not self._thread.is_alive() and len(self._queue) == 0 and not self._abandoned

    def _run(self) -> None:
        while True:
            self._wake.clear()
            if self._past_deadline():
                self._drop_rest()
                return
            if self._due():
                batch = self._queue.take(self._batch_size, self._max_batch_bytes)
                if batch:
                    self._send(batch)
                    continue
            if self._deadline is not None and len(self._queue) == 0:
                return
            self._wake.wait(self._wait_time())

    def _send(self, batch: list[Item]) -> None:
        try:
            self._transport.deliver(batch, self._sleep)
        except Exception:  # keep the thread alive whatever happens
            logger.exception("tripwire: sender error")
        self._settled(batch[-1].seq)

    def _due(self) -> bool:
        size = len(self._queue)
        if size == 0:
            return False
        if size >= self._batch_size or self._deadline is not None:
            return True
        if self._flush_upto > self._done_seq:
            return True
        oldest = self._queue.oldest_at()
        return oldest is not None and time.monotonic() - oldest >= self._interval

    def _wait_time(self) -> float | None:
        oldest = self._queue.oldest_at()
        if oldest is None:
            return None if self._deadline is None else 0.05
        return max(0.001, self._interval - (time.monotonic() - oldest))

    def _sleep(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while True:
            self._interrupt.clear()  # before reading the deadline, so `close` cannot be missed
            now = time.monotonic()
            stop = end if self._deadline is None else min(end, self._deadline)
            if now >= stop:
                if self._past_deadline():
                    self._abandoned = True
                    return False
                return True
            self._interrupt.wait(stop - now)

    def _past_deadline(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _drop_rest(self) -> None:
        rest = self._queue.drain()
        if rest:
            self._abandoned = True
            self._counters.add("dropped", len(rest))
            logger.warning(
                "tripwire: dropped %d queued event(s) still unsent when the client closed",
                len(rest),
            )
            self._settled(rest[-1].seq)
        with self._done:
            self._done.notify_all()

    def _settled(self, seq: int) -> None:
        with self._done:
            self._done_seq = max(self._done_seq, seq)
            self._done.notify_all()
