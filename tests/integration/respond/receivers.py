"""Real receivers started by tests: an HTTP server that misbehaves on cue."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """Answers each request with the next behaviour in `script` (then 200): `fail` (500),
    `slow` (sleeps past the sender's timeout, then 503), `throttle` (429 + Retry-After),
    `gone` (410), `redirect` (302 elsewhere). Records what it accepted, in arrival order."""

    script: list[str] = field(default_factory=list)
    retry_after: str = "1"
    slow_seconds: float = 1.5
    accepted: list[dict[str, Any]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            behaviour = receiver.next()
            if behaviour == "slow":
                time.sleep(receiver.slow_seconds)
                return self._answer(503)
            codes = {"fail": 500, "throttle": 429, "gone": 410, "redirect": 302}
            if behaviour in codes:
                return self._answer(codes[behaviour])
            with receiver.lock:
                receiver.accepted.append(
                    {
                        "headers": dict(self.headers.items()),
                        "body": json.loads(body),
                        "raw": body,
                        "path": self.path,
                    }
                )
            return self._answer(200)

        def _answer(self, code: int) -> None:
            with receiver.lock:
                receiver.answered.append(code)
            try:
                self.send_response(code)
                if code == 429:
                    self.send_header("Retry-After", receiver.retry_after)
                if code == 302:
                    self.send_header("Location", receiver.url + "/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the `slow` case)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def http_receiver(script: list[str] | None = None, **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(script=list(script or []), **options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
