"""A small OpenAI-compatible chat-completions server for tests: deterministic verdicts, and on
request malformed replies, slow replies and HTTP 500s, chosen by markers in the judged answer."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = re.compile(r"ANSWER:\n<<<BEGIN DATA (\w+)>>>\n(.*?)\n<<<END DATA \1>>>", re.DOTALL)


class FakeLLM:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.slow_seconds = 2.0

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | str]:
        user = body["messages"][1]["content"]
        match = ANSWER.search(user)
        answer = match.group(2) if match else ""
        with self.lock:
            self.requests.append(body)
            key = answer + "|" + str(len(body["messages"]))
            self.calls[key] += 1
            count = sum(n for k, n in self.calls.items() if k.startswith(answer + "|"))
        if "SLOW" in answer:
            time.sleep(self.slow_seconds)
        if "ERROR500" in answer and count == 1:
            return 500, "upstream exploded"
        if "MALFORMED" in answer and len(body["messages"]) == 2:
            return 200, _completion("Sure, I'd rate it highly: score is about 0.9 I guess")
        score = 0.1 if "refuse" in answer.lower() or "can't" in answer else 0.9
        label = "poor" if score < 0.5 else "good"
        verdict = json.dumps({"score": score, "label": label, "explanation": "deterministic"})
        return 200, _completion(verdict)


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


@contextmanager
def serve_fake_llm() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            status, payload = fake.answer(body)
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
