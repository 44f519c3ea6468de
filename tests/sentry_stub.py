"""A local HTTP endpoint standing in for Sentry: it takes the SDK's envelopes and keeps their events."""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SentryStub:
    """Receives `POST /api/<project>/envelope/` and keeps each envelope's raw text and its events."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.events: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                stub.receive(body.decode("utf-8", "replace"))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self._server.server_address[1]}/1"

    def receive(self, text: str) -> None:
        self.raw.append(text)
        lines = text.split("\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            try:
                kind = json.loads(header).get("type")
                if kind == "event":
                    self.events.append(json.loads(payload))
            except json.JSONDecodeError:
                continue

    def wait_for_event(self, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.events:
            if time.monotonic() > deadline:
                raise AssertionError(f"no event reached the Sentry stand-in in {timeout} s: {self.raw[-3:]}")
            time.sleep(0.1)
        return self.events[0]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
