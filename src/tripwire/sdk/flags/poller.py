"""Fetch `GET /v1/flags` with `If-None-Match`, on a background thread, every `interval`."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

_RANDOM = random.Random()  # private: the product's own random state is left alone


@dataclass(frozen=True, slots=True)
class Poll:
    """One poll's result: `payload` with its `etag` (200), `not_modified` (304), or `error`."""

    payload: Any = None
    etag: str | None = None
    not_modified: bool = False
    error: str | None = None


def fetch(http: httpx.Client, url: str, etag: str | None) -> Poll:
    """One conditional GET; never raises."""
    headers = {"If-None-Match": etag} if etag else {}
    try:
        response = http.get(url, headers=headers)
    except Exception as exc:  # any failure to fetch is a failed poll, never an error upstream
        return Poll(error=f"{type(exc).__name__}: {exc}")
    if response.status_code == 304:
        return Poll(not_modified=True, etag=etag)
    if response.status_code != 200:
        return Poll(error=f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        payload = response.json()
    except ValueError:
        return Poll(error="the flags answer is not JSON")
    return Poll(payload=payload, etag=response.headers.get("etag"))


class Poller:
    """Calls `step` now and then every `interval` seconds (with 10 % jitter, so a fleet of
    clients does not poll in lockstep) until `stop`."""

    def __init__(self, step: Callable[[], object], interval: float) -> None:
        self._step = step
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tripwire-sdk-flags", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._step()
            self._stopped.wait(self._interval * _RANDOM.uniform(0.9, 1.0))
