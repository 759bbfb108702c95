"""`tripwire.Client`: what an AI product calls to send telemetry and read flags."""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tripwire.sdk import events as ev
from tripwire.sdk._util import RateLimitedLog, logger, uuid7
from tripwire.sdk.encode import encode_event
from tripwire.sdk.flags.cache import default_cache_path
from tripwire.sdk.flags.client import Flags
from tripwire.sdk.queue import EventQueue
from tripwire.sdk.retry import Backoff
from tripwire.sdk.sender import Sender
from tripwire.sdk.stats import Counters, Stats
from tripwire.sdk.transport import Transport

MAX_BATCH_EVENTS = 1_000
MAX_BATCH_BYTES = 10 * 1024 * 1024 - 64 * 1024  # the server takes 10 MiB; keep a margin
ENVELOPE = len(b'{"events":[]}')
Ts = datetime | str | None
_DEFAULT_CACHE: Any = object()


class Client:
    """Sends events to a Tripwire server in the background and serves its feature flags.

    Every method returns at once and never raises: an event the SDK cannot send (bad
    arguments, a full queue, refused by the server) is counted in `stats` and logged on the
    `tripwire.sdk` logger. The `log_*`-style methods return the event's id (generated, a
    UUIDv7, unless given), to link feedback and scores to an output.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        batch_size: int = MAX_BATCH_EVENTS,
        flush_interval: float = 1.0,
        max_queue: int = 10_000,
        max_queue_bytes: int = 64 * 1024 * 1024,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        timeout: float = 10.0,
        max_retries: int = 10,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        flush_at_exit: bool = True,
        exit_timeout: float = 5.0,
        flags_poll_interval: float = 10.0,
        flags_cache_path: str | Path | None = _DEFAULT_CACHE,
        flags_max_stale: float | None = None,
        flags_token: str | None = None,
    ) -> None:
        self._closed = False
        self._flags: Flags | None = None
        self._flags_lock = threading.Lock()
        self._log = RateLimitedLog()
        self._counters = Counters()
        self._exit_timeout = exit_timeout
        # Safe values first: if the arguments are unusable the client still answers every call.
        self._base_url = ""
        self._max_batch_bytes = MAX_BATCH_BYTES
        self._flags_options: tuple[float, Any, float | None] = (10.0, None, None)
        self._flags_http: httpx.Client | None = None
        try:
            self._base_url = str(url).rstrip("/")
            if not self._base_url.startswith(("http://", "https://")):
                raise ValueError(f"url must start with http:// or https://, got {url!r}")
            self._token = str(token)
            self._flags_token = str(flags_token) if flags_token is not None else self._token
            self._batch_size = max(1, min(int(batch_size), MAX_BATCH_EVENTS))
            self._max_batch_bytes = max(1024, min(int(max_batch_bytes), MAX_BATCH_BYTES))
            self._max_queue = (max(1, int(max_queue)), max(1024, int(max_queue_bytes)))
            self._flush_interval = max(0.001, float(flush_interval))
            self._timeout = float(timeout)
            self._backoff = Backoff(float(backoff_base), float(backoff_cap), int(max_retries))
            self._flags_options = (float(flags_poll_interval), flags_cache_path, flags_max_stale)
            self._start()
        except Exception:
            logger.exception("tripwire: could not start the client; events will be dropped")
            self._closed = True
            return
        if flush_at_exit:
            atexit.register(self._at_exit)
        _after_fork_in_child(self)

    # -- events -------------------------------------------------------------------------------

    def log_output(
        self,
        use_case: str,
        model: str,
        input: str | None,
        output: str | None,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        model_version: str | None = None,
        prompt_version: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        context: str | Sequence[str] | None = None,
        latency_ms: float | None = None,
        status: str = "ok",
        scores: Mapping[str, float] | None = None,
        attributes: Mapping[str, Any] | None = None,
        id: str | None = None,
        ts: Ts = None,
    ) -> str:
        """Queue an `output` event: one production interaction.

        Pass `input`/`output` as None when you do not capture content (it is then left out:
        "not captured", which Tripwire does not score, unlike an empty answer `""`).
        `input_tokens`/`output_tokens` are the provider's usage counts (priced per model by
        the server's `costs:` table).
        """

        def build() -> dict[str, Any]:
            event = ev.common("output", use_case, id, ts)
            event["model"] = ev.name("model", model)
            ev.put(event, "model_version", ev.opt_name("model_version", model_version))
            ev.put(event, "prompt_version", ev.opt_name("prompt_version", prompt_version))
            ev.put(event, "user_id", ev.opt_name("user_id", user_id))
            ev.put(event, "session_id", ev.opt_name("session_id", session_id))
            ev.put(event, "input", ev.opt_text("input", input))
            ev.put(event, "output", ev.opt_text("output", output))
            ev.put(event, "input_tokens", ev.opt_count("input_tokens", input_tokens))
            ev.put(event, "output_tokens", ev.opt_count("output_tokens", output_tokens))
            ev.put(event, "context", ev.context(context))
            if latency_ms is not None:
                event["latency_ms"] = ev.number("latency_ms", latency_ms, low=0.0)
            event["status"] = ev.choice("status", status, ev.STATUSES)
            ev.put(event, "scores", ev.scores(scores))
            ev.put(event, "attributes", ev.attributes("attributes", attributes))
            return event

        return self._submit("output", id, build)

    def feedback(
        self,
        use_case: str,
        rating: str | int,
        *,
        output_id: str | None = None,
        user_id: str | None = None,
        comment: str | None = None,
        id: str | None = None,
        ts: Ts = None,
    ) -> str:
        """Queue a `feedback` event: `up`, `down`, `not_helpful` or 1..5 stars."""

        def build() -> dict[str, Any]:
            event = ev.common("feedback", use_case, id, ts)
            ev.put(event, "output_id", ev.opt_id("output_id", output_id))
            ev.put(event, "user_id", ev.opt_name("user_id", user_id))
            event["rating"] = ev.rating(rating)
            ev.put(event, "comment", ev.opt_text("comment", comment))
            return event

        return self._submit("feedback", id, build)

    def safety_check(
        self,
        use_case: str,
        filter: str,
        triggered: bool,
        *,
        output_id: str | None = None,
        category: str | None = None,
        id: str | None = None,
        ts: Ts = None,
    ) -> str:
        """Queue a `safety` event: one safety-filter check, triggered or not."""

        def build() -> dict[str, Any]:
            event = ev.common("safety", use_case, id, ts)
            event["filter"] = ev.name("filter", filter)
            event["triggered"] = ev.boolean("triggered", triggered)
            ev.put(event, "output_id", ev.opt_id("output_id", output_id))
            ev.put(event, "category", ev.opt_name("category", category))
            return event

        return self._submit("safety", id, build)

    def ticket(
        self,
        use_case: str,
        text: str,
        *,
        subject: str | None = None,
        channel: str | None = None,
        user_id: str | None = None,
        topic: str | None = None,
        id: str | None = None,
        ts: Ts = None,
    ) -> str:
        """Queue a `ticket` event: one support ticket."""

        def build() -> dict[str, Any]:
            event = ev.common("ticket", use_case, id, ts)
            event["text"] = ev.text("text", text)
            ev.put(event, "subject", ev.opt_text("subject", subject))
            ev.put(event, "channel", ev.opt_name("channel", channel))
            ev.put(event, "user_id", ev.opt_name("user_id", user_id))
            ev.put(event, "topic", ev.opt_name("topic", topic))
            return event

        return self._submit("ticket", id, build)

    def change(
        self,
        kind: str,
        version: str,
        *,
        use_case: str | None = None,
        component: str | None = None,
        previous_version: str | None = None,
        description: str | None = None,
        author: str | None = None,
        rollback: Mapping[str, Any] | None = None,
        id: str | None = None,
        ts: Ts = None,
    ) -> str:
        """Queue a `change` event: one deployment-log entry (no `use_case`: it affects all)."""

        def build() -> dict[str, Any]:
            event = ev.common("change", use_case, id, ts)
            event["kind"] = ev.choice("kind", kind, ev.CHANGE_KINDS)
            ev.put(event, "component", ev.opt_name("component", component))
            event["version"] = ev.name("version", version)
            ev.put(event, "previous_version", ev.opt_name("previous_version", previous_version))
            ev.put(event, "description", ev.opt_text("description", description))
            ev.put(event, "author", ev.opt_name("author", author))
            ev.put(event, "rollback", ev.rollback(rollback))
            return event

        return self._submit("change", id, build)

    def score(
        self,
        use_case: str,
        output_id: str,
        name: str,
        value: float,
        *,
        label: str | None = None,
        explanation: str | None = None,
        source: str | None = None,
        id: str | None = None,
        ts: Ts = None,
    ) -> str:
        """Queue a `score` event: a quality score in [0, 1] for an earlier output."""

        def build() -> dict[str, Any]:
            event = ev.common("score", use_case, id, ts)
            event["output_id"] = ev.ident("output_id", output_id)
            event["name"] = ev.name("name", name)
            event["value"] = ev.number("value", value, low=0.0, high=1.0)
            ev.put(event, "label", ev.opt_name("label", label))
            ev.put(event, "explanation", ev.opt_text("explanation", explanation))
            ev.put(event, "source", ev.opt_name("source", source))
            return event

        return self._submit("score", id, build)

    def metric(
        self,
        use_case: str,
        name: str,
        value: float,
        *,
        labels: Mapping[str, str] | None = None,
        id: str | None = None,
        ts: Ts = None,
    ) -> str:
        """Queue a `metric` event: a sample of any numeric series."""

        def build() -> dict[str, Any]:
            event = ev.common("metric", use_case, id, ts)
            event["name"] = ev.name("name", name)
            event["value"] = ev.number("value", value)
            ev.put(event, "labels", ev.labels(labels))
            return event

        return self._submit("metric", id, build)

    # -- delivery -----------------------------------------------------------------------------

    @property
    def stats(self) -> Stats:
        """Counters: enqueued, sent, duplicates, dropped, failed, retried, queued."""
        queue: EventQueue | None = getattr(self, "_queue", None)
        if queue is None:
            return self._counters.snapshot(queued=0, enqueued=0)
        return self._counters.snapshot(queued=len(queue), enqueued=queue.last_seq)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until every event queued so far is sent (or given up); False on timeout."""
        try:
            return self._closed or self._sender.flush(timeout)
        except Exception:
            logger.exception("tripwire: flush failed")
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Send what is queued (retrying until `timeout`), then stop; True if all settled.
        Later events are dropped and counted."""
        try:
            if self._closed:
                return True
            self._closed = True
            atexit.unregister(self._at_exit)
            done = self._sender.close(timeout)
            with self._flags_lock:
                if self._flags is not None:
                    self._flags.close()
            if done:
                self._http.close()
                if self._flags_http is not None:
                    self._flags_http.close()
            return done
        except Exception:
            logger.exception("tripwire: close failed")
            return False

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- flags --------------------------------------------------------------------------------

    @property
    def flags(self) -> Flags:
        """The server's feature flags, polled in the background from first use."""
        flags = self._flags
        if flags is None:
            with self._flags_lock:
                if self._flags is None:
                    interval, path, max_stale = self._flags_options
                    if path is _DEFAULT_CACHE:
                        path = default_cache_path(self._base_url)
                    self._flags = Flags(
                        self._flags_http or httpx.Client(),
                        self._base_url,
                        poll_interval=interval,
                        cache_path=Path(path) if path else None,
                        max_stale=max_stale,
                        start=not self._closed,
                    )
                flags = self._flags
        return flags

    # -- internals ----------------------------------------------------------------------------

    def _start(self) -> None:
        headers = {"User-Agent": "tripwire-sdk", "Content-Type": "application/json"}
        self._http = httpx.Client(
            headers={**headers, "Authorization": f"Bearer {self._token}"},
            timeout=self._timeout,
        )
        self._flags_http = httpx.Client(
            headers={"User-Agent": "tripwire-sdk", "Authorization": f"Bearer {self._flags_token}"},
            timeout=min(self._timeout, 5.0),
        )
        self._queue = EventQueue(*self._max_queue)
        transport = Transport(
            self._http, self._base_url + "/v1/events", self._counters, self._backoff, self._log
        )
        self._sender = Sender(
            self._queue,
            transport,
            self._counters,
            batch_size=self._batch_size,
            max_batch_bytes=self._max_batch_bytes,
            interval=self._flush_interval,
        )

    def _submit(self, kind: str, event_id: object, build: Callable[[], dict[str, Any]]) -> str:
        try:
            event = build()
            body = encode_event(event)
            if len(body) + ENVELOPE > self._max_batch_bytes:
                raise ev.Refused(
                    f"the event is {len(body)} bytes; a batch takes at most {self._max_batch_bytes}"
                )
        except Exception as exc:
            self._counters.add("dropped")
            self._log.warning(f"refused-{kind}", "tripwire: dropped a %s event: %s", kind, exc)
            return event_id if isinstance(event_id, str) else uuid7()
        new_id: str = event["id"]
        if self._closed:
            self._counters.add("dropped")
            self._log.warning("closed", "tripwire: dropped a %s event: the client is closed", kind)
            return new_id
        size = self._queue.put(new_id, body)
        if size is None:
            self._counters.add("dropped")
            self._log.warning(
                "full",
                "tripwire: dropped a %s event: the queue is full (%d events)",
                kind,
                len(self._queue),
            )
        else:
            if size == 1 or size == self._batch_size:
                self._sender.wake()
        return new_id

    def _at_exit(self) -> None:
        self.close(self._exit_timeout)

    def _restart_after_fork(self) -> None:
        """In a forked child the sender thread does not exist and the parent sends what was
        queued before the fork: start afresh with an empty queue."""
        if self._closed:
            return
        # Locks held by other threads at the fork stay held forever in the child: renew them.
        self._counters = Counters()
        self._log = RateLimitedLog()
        self._flags_lock = threading.Lock()
        self._flags = None  # rebuilt on next use, with its own polling thread
        self._start()


def _after_fork_in_child(client: Client) -> None:
    ref = weakref.ref(client)

    def restart() -> None:
        alive = ref()
        if alive is not None:
            try:
                alive._restart_after_fork()
            except Exception:
                logger.exception("tripwire: could not restart the client after fork")

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=restart)
