"""A webhook receiver for the benchmarks (respond.py, scale_live.py): its own process, so it
does not share the benchmark's interpreter lock, and it reports each arrival's wall-clock time
keyed by the `x-bench` header (a direct POST) or the `webhook-id` (a delivered page)."""

from __future__ import annotations

import subprocess
import sys
import threading

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


RECEIVER = r"""
import sys, time, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        key = self.headers.get("x-bench") or self.headers.get("webhook-id", "")
        with lock:
            sys.stdout.write(f"{key} {time.time()}\n"); sys.stdout.flush()
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a):
        pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H); s.daemon_threads = True
print("PORT", s.server_address[1], flush=True)
s.serve_forever()
"""


class Receiver:
    """A webhook receiver in its own process (so it does not share our interpreter lock);
    it reports each arrival's wall-clock time."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().split()[1]
        self.url = f"http://127.0.0.1:{port}/hook"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            key, _, at = line.strip().rpartition(" ")
            with self.lock:
                self.arrivals.setdefault(key, float(at))

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
