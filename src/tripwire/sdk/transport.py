"""Deliver one batch to `POST /v1/events`: retry what retrying can fix, account for the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tripwire.sdk._util import RateLimitedLog, logger
from tripwire.sdk.queue import Item
from tripwire.sdk.retry import Backoff, is_retryable, parse_retry_after
from tripwire.sdk.stats import Counters

Sleep = Callable[[float], bool]
"""Waits the given seconds; False means the client is closing and must stop retrying."""


def encode_batch(items: list[Item]) -> bytes:
    return b'{"events":[' + b",".join(item.body for item in items) + b"]}"


class Transport:
    """Sends batches with one shared HTTP connection pool.

    A 2xx counts the events as sent; 422 drops the events the server named and sends the rest
    again; 413 splits the batch; 429, 5xx and network errors are retried with `backoff`; other
    answers (401, 403, ...) fail the batch. Never raises.
    """

    def __init__(
        self,
        http: httpx.Client,
        endpoint: str,
        counters: Counters,
        backoff: Backoff,
        log: RateLimitedLog,
    ) -> None:
        self._http = http
        self._endpoint = endpoint
        self._counters = counters
        self._backoff = backoff
        self._log = log

    def deliver(self, items: list[Item], sleep: Sleep) -> None:
        work = [items]
        while work:
            batch = work.pop(0)
            try:
                work[:0] = self._send(batch, sleep)
            except Exception:  # a bug here must not kill the sender thread
                logger.exception("tripwire: unexpected error sending %d event(s)", len(batch))
                self._counters.add("failed", len(batch))

    def _send(self, batch: list[Item], sleep: Sleep) -> list[list[Item]]:
        """Send one batch until it is settled; return the batches still to send."""
        body = encode_batch(batch)
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                response = self._http.post(self._endpoint, content=body)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    self._acknowledged(batch, response)
                    return []
                if status == 422:
                    return self._refused(batch, response)
                if status == 413 and len(batch) > 1:
                    half = len(batch) // 2
                    return [batch[:half], batch[half:]]
                if not is_retryable(status):
                    self._give_up(batch, f"HTTP {status}: {_error_of(response)}", "failed")
                    return []
                problem = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            if attempt >= self._backoff.max_retries:
                self._give_up(batch, f"{problem} after {attempt + 1} attempts", "failed")
                return []
            if not sleep(self._backoff.delay(attempt, retry_after)):
                self._give_up(batch, f"{problem}; the client closed before a retry", "dropped")
                return []
            self._counters.add("retried")
            attempt += 1

    def _acknowledged(self, batch: list[Item], response: httpx.Response) -> None:
        self._counters.add("sent", len(batch))
        duplicates = _json(response).get("duplicates")
        if isinstance(duplicates, int) and not isinstance(duplicates, bool) and duplicates > 0:
            self._counters.add("duplicates", min(duplicates, len(batch)))

    def _refused(self, batch: list[Item], response: httpx.Response) -> list[list[Item]]:
        """The server refused the whole batch (all or nothing): drop the events it named and
        send the others again, so one bad event cannot cost a thousand good ones."""
        data = _json(response)
        bad: dict[int, str] = {}
        for entry in data.get("invalid") or []:
            if isinstance(entry, dict) and isinstance(entry.get("index"), int):
                index = entry["index"]
                if 0 <= index < len(batch) and index not in bad:
                    bad[index] = f"{entry.get('field', '?')}: {entry.get('message', '?')}"
        if not bad:
            self._give_up(batch, f"HTTP 422: {_error_of(response)}", "dropped")
            return []
        for index, why in bad.items():
            logger.warning("tripwire: the server refused event %s: %s", batch[index].id, why)
        self._counters.add("dropped", len(bad))
        rest = [item for i, item in enumerate(batch) if i not in bad]
        return [rest] if rest else []

    def _give_up(self, batch: list[Item], why: str, counter: str) -> None:
        self._counters.add(counter, len(batch))
        first, last = batch[0].id, batch[-1].id
        self._log.warning(
            f"give-up-{counter}",
            "tripwire: %s %d event(s) (ids %s .. %s): %s",
            "dropped" if counter == "dropped" else "could not deliver",
            len(batch),
            first,
            last,
            why,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_of(response: httpx.Response) -> str:
    error = _json(response).get("error")
    return str(error)[:300] if error is not None else response.text[:300]
