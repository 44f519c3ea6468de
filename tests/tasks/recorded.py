"""A local HTTP server answering like api.jolpi.ca from recorded responses (tests/fixtures/jolpica).

The path picks the file, whatever the query; tests can make a path fail a number of times, or
answer something else, and read which requests came in and when.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class RecordedSource:
    root: Path
    url: str = ""
    requests: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, path?query)
    failures: dict[str, int] = field(default_factory=dict)  # path -> answers still to fail with 503
    overrides: dict[str, bytes] = field(default_factory=dict)  # path?query -> body
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.overrides.clear()

    def fail(self, path: str, times: int) -> None:
        with self.lock:
            self.failures[path] = times

    def hits(self, path: str) -> list[float]:
        with self.lock:
            return [t for t, p in self.requests if urlsplit(p).path == path]

    def answer(self, target: str) -> tuple[int, bytes]:
        path = urlsplit(target).path
        with self.lock:
            self.requests.append((time.monotonic(), target))
            if self.failures.get(path, 0) > 0:
                self.failures[path] -= 1
                return 503, b'{"detail": "recorded outage"}'
            if target in self.overrides:
                return 200, self.overrides[target]
        file = (self.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            return 404, b'{"detail": "Not found."}'
        return 200, file.read_bytes()

    @classmethod
    @contextlib.contextmanager
    def serving(cls, root: Path) -> Iterator[RecordedSource]:
        source = cls(root)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = source.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        source.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield source
        finally:
            server.shutdown()
            server.server_close()
