"""`client.flags`: local evaluation from an in-memory snapshot, kept fresh by polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tripwire.sdk._util import RateLimitedLog, logger
from tripwire.sdk.flags import cache
from tripwire.sdk.flags.model import EMPTY, Flag, FlagValue, Snapshot, parse_snapshot
from tripwire.sdk.flags.poller import Poll, Poller, fetch

ChangeListener = Callable[[list[str]], None]
HealthListener = Callable[[bool], None]


@dataclass(frozen=True, slots=True)
class FlagsStatus:
    """Where the served values come from. `source`: `server` (a poll succeeded in this
    process), `disk` (only the cache file so far) or `none`. `healthy`: the last poll
    succeeded. `age`: seconds since the last successful poll (None if never)."""

    source: str
    healthy: bool
    age: float | None
    etag: str | None
    polls: int
    failures: int
    count: int


class Flags:
    """Feature flags and kill switches, evaluated locally.

    `is_enabled` and `variant` are a dict lookup on an immutable snapshot: no network, no lock,
    never raising. The snapshot is replaced by the polling thread when the server's answer
    changes, and saved to `cache_path`. With `max_stale` set, a snapshot older than that many
    seconds serves each flag's declared `default` instead of its last-known value.
    """

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        *,
        poll_interval: float = 10.0,
        cache_path: Path | None = None,
        max_stale: float | None = None,
        start: bool = True,
    ) -> None:
        self._http = http
        self._base_url = base_url
        self._url = base_url + "/v1/flags"
        self._cache_path = cache_path
        self._max_stale = max_stale
        self._poll_interval = poll_interval
        self._snapshot: Snapshot = EMPTY
        self._etag: str | None = None
        self._source = "none"
        self._healthy = False
        self._synced_at: float | None = None
        self._polls = 0
        self._failures = 0
        self._lock = (
            threading.RLock()
        )  # serialises polls (a listener may poll); never on evaluations
        self._ready = threading.Event()
        self._change_listeners: list[ChangeListener] = []
        self._health_listeners: list[HealthListener] = []
        self._log = RateLimitedLog(60.0)
        self._load_cache()
        self._poller = Poller(self.refresh, poll_interval)
        if start:
            self._poller.start()

    def is_enabled(self, key: str, default: bool = False, *, use_case: str | None = None) -> bool:
        """The boolean flag `key` (for `use_case` when given); `default` when unknown."""
        try:
            snapshot = self._snapshot
            flag = snapshot.by_scope.get((key, use_case))
            if flag is None:
                if use_case is None:
                    return default
                flag = snapshot.globals_.get(key)
                if flag is None:
                    return default
            value = (
                flag.default if self._max_stale is not None and self._too_stale() else flag.served
            )
            return value if value is True or value is False else default
        except Exception:
            return default

    def variant(self, key: str, default: str, *, use_case: str | None = None) -> str:
        """The string flag `key` (a variant: a prompt or model version...); `default` when
        unknown."""
        try:
            flag = self._snapshot.find(key, use_case)
            if flag is None:
                return default
            value = self._serve(flag)
            return value if isinstance(value, str) else default
        except Exception:
            return default

    def get(self, key: str, use_case: str | None = None) -> Flag | None:
        """The flag as last known, or None."""
        try:
            return self._snapshot.find(key, use_case)
        except Exception:
            return None

    def all(self) -> tuple[Flag, ...]:
        return self._snapshot.flags

    def serves_default(self, flag: Flag) -> bool:
        """True when `flag` serves its declared default rather than its last-known value."""
        return flag.from_default or self._too_stale()

    def _serve(self, flag: Flag) -> FlagValue | None:
        return flag.default if self._max_stale is not None and self._too_stale() else flag.served

    def _too_stale(self) -> bool:
        if self._max_stale is None:
            return False
        synced = self._synced_at
        return synced is None or time.monotonic() - synced > self._max_stale

    @property
    def status(self) -> FlagsStatus:
        synced = self._synced_at
        return FlagsStatus(
            source=self._source,
            healthy=self._healthy,
            age=None if synced is None else time.monotonic() - synced,
            etag=self._etag,
            polls=self._polls,
            failures=self._failures,
            count=len(self._snapshot.flags),
        )

    def on_change(self, listener: ChangeListener) -> None:
        """Call `listener(keys)` on the polling thread whenever served values change."""
        self._change_listeners.append(listener)

    def on_health(self, listener: HealthListener) -> None:
        """Call `listener(healthy)` when polling starts failing or recovers."""
        self._health_listeners.append(listener)

    def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Wait for values from the server or the disk cache; False on timeout."""
        return self._ready.wait(timeout)

    def refresh(self) -> bool:
        """Poll the server now; True when it answered. Never raises."""
        try:
            with self._lock:
                return self._apply(fetch(self._http, self._url, self._etag))
        except Exception:
            logger.exception("tripwire: unexpected error polling flags")
            return False

    def close(self) -> None:
        self._poller.stop()

    def _apply(self, poll: Poll) -> bool:
        self._polls += 1
        if poll.error is None and not poll.not_modified:
            try:
                snapshot = parse_snapshot(poll.payload)
            except ValueError as exc:
                poll = Poll(error=str(exc))
            else:
                self._install(snapshot, poll.etag, "server")
                if self._cache_path is not None:
                    cache.save(self._cache_path, self._base_url, snapshot.raw, poll.etag)
        if poll.error is not None:
            self._failures += 1
            self._log.warning(
                "poll", "tripwire: flags poll failed (%s); serving last-known values", poll.error
            )
            self._set_health(False)
            return False
        self._source = "server"
        self._synced_at = time.monotonic()
        self._ready.set()
        self._set_health(True)
        return True

    def _install(self, snapshot: Snapshot, etag: str | None, source: str) -> None:
        previous, self._snapshot = self._snapshot, snapshot
        self._etag = etag
        self._source = source
        changed = previous.changed_keys(snapshot)
        if changed and previous is not EMPTY:
            for listener in list(self._change_listeners):
                _call(listener, changed)

    def _set_health(self, healthy: bool) -> None:
        if healthy != self._healthy:
            self._healthy = healthy
            for listener in list(self._health_listeners):
                _call(listener, healthy)

    def _load_cache(self) -> None:
        if self._cache_path is None:
            return
        cached = cache.load(self._cache_path, self._base_url)
        if cached is None:
            return
        try:
            snapshot = parse_snapshot(cached[0])
        except ValueError:
            return
        self._install(snapshot, cached[1], "disk")
        if cached[2] is not None:  # the cache's age counts towards `max_stale`
            self._synced_at = time.monotonic() - max(0.0, time.time() - cached[2])
        self._ready.set()


def _call(listener: Callable[[object], None] | Callable[..., None], arg: object) -> None:
    try:
        listener(arg)
    except Exception:
        logger.exception("tripwire: a flags listener raised")
