"""Small real HTTP servers for the SDK tests: the real Tripwire app under uvicorn, a scripted
ingest server for failure modes, a flags server with ETags, and a flaky proxy."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Run `app` under uvicorn on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


Reply = tuple[int, dict[str, str], dict[str, Any]]
Script = Callable[[list[dict[str, Any]]], Reply]


def ok(events: list[dict[str, Any]]) -> Reply:
    return 202, {}, {"accepted": len(events), "duplicates": 0}


@dataclass
class Request:
    at: float
    events: list[dict[str, Any]]
    size: int
    status: int


@dataclass
class FakeIngest:
    """`POST /v1/events` that answers from `script` (one callable per request, then `ok`),
    and, like the real server, stores each id once whenever it answers 2xx or `store=True`."""

    script: deque[Script] = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    gate: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __post_init__(self) -> None:
        self.gate.set()
        self.lock = threading.Lock()

    def handle(self, body: bytes) -> Reply:
        self.gate.wait(30)
        events = json.loads(body)["events"]
        with self.lock:
            step = self.script.popleft() if self.script else ok
        status, headers, reply = step(events)
        with self.lock:
            self.requests.append(Request(time.monotonic(), events, len(body), status))
            if 200 <= status < 300 or reply.pop("_store", False):
                duplicates = sum(1 for e in events if e["id"] in self.stored)
                for event in events:
                    self.stored.setdefault(event["id"], event)
                if 200 <= status < 300:
                    reply = {"accepted": len(events) - duplicates, "duplicates": duplicates}
        return status, headers, reply


@dataclass
class FakeFlags:
    """`GET /v1/flags` with the server's shape: `200 {"flags": [...]}` and an ETag, or 304."""

    flags: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None
    hits: list[tuple[int, str | None]] = field(default_factory=list)
    url: str = ""

    def etag(self) -> str:
        digest = hashlib.sha256(json.dumps(self.flags, sort_keys=True).encode()).hexdigest()
        return f'"{digest[:16]}"'

    def set(self, key: str, value: object) -> None:
        for flag in self.flags:
            if flag["key"] == key:
                flag["value"] = value
                flag["version"] = flag.get("version", 1) + 1

    def handle(self, if_none_match: str | None) -> tuple[int, dict[str, str], bytes]:
        if self.fail_with is not None:
            self.hits.append((self.fail_with, if_none_match))
            return self.fail_with, {}, b'{"error": "boom"}'
        etag = self.etag()
        if if_none_match == etag:
            self.hits.append((304, if_none_match))
            return 304, {"ETag": etag}, b""
        self.hits.append((200, if_none_match))
        return 200, {"ETag": etag}, json.dumps({"flags": self.flags}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_: Any) -> None:
        return None

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        ingest = self.server.ingest
        if ingest is None or self.path != "/v1/events":
            return self._reply(404, {}, b'{"error": "not found"}')
        status, headers, reply = ingest.handle(body)
        self._reply(status, headers, json.dumps(reply).encode())

    def do_GET(self) -> None:
        flags = self.server.flags
        if flags is None or self.path != "/v1/flags":
            return self._reply(404, {}, b'{"error": "not found"}')
        self._reply(*flags.handle(self.headers.get("if-none-match")))

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (a timeout test)
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    ingest: FakeIngest | None = None
    flags: FakeFlags | None = None


@contextmanager
def serve_fake(
    ingest: FakeIngest | None = None, flags: FakeFlags | None = None, port: int = 0
) -> Iterator[str]:
    server = _Server(("127.0.0.1", port), _Handler)
    server.ingest, server.flags = ingest, flags
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for fake in (ingest, flags):
        if fake is not None:
            fake.url = url
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class FlakyProxy:
    """Forwards `POST /v1/events` to a real server, but for the requests `fail(n)` picks it
    forwards and then answers 500 (stored, yet the client must retry) or hangs past the
    client's timeout: the client must retry, and the server's idempotency on ids must leave
    each event stored once."""

    def __init__(self, upstream: str, fail: Callable[[int], str | None]) -> None:
        self.upstream = upstream
        self.fail = fail
        self.count = 0
        self.lock = threading.Lock()
        self.http = httpx.Client(timeout=30)

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.count += 1
            n = self.count
        mode = self.fail(n)
        if mode == "refuse":
            return 503, {"Retry-After": "0"}, b'{"error": "down"}'
        response = self.http.post(self.upstream + "/v1/events", content=body, headers=headers)
        if mode == "lose-answer":
            return 500, {}, b'{"error": "answer lost"}'
        if mode == "hang":
            time.sleep(2.0)
        return response.status_code, {}, response.content


@contextmanager
def serve_proxy(proxy: FlakyProxy) -> Iterator[str]:
    class Handler(_Handler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            auth = {"Authorization": self.headers.get("authorization", "")}
            self._reply(*proxy.handle(body, {**auth, "Content-Type": "application/json"}))

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        proxy.http.close()
