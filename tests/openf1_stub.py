"""Local stand-ins for OpenF1 over real HTTP: its REST API (documents taken from a recorded feed) and
its token endpoint (tokens that expire, handed to a password-checking broker through a callback)."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_CONDITION = re.compile(r"^([A-Za-z_]+)(>=|<=|>|<|=)(.*)$")


def documents_of(feed: Path) -> dict[str, list[dict[str, Any]]]:
    """The payloads of a recorded feed, per collection (`v1/laps` -> `laps`), in file order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for line in feed.read_text().splitlines():
        record = json.loads(line)
        out.setdefault(record["topic"].removeprefix("v1/"), []).append(record["payload"])
    return out


def _as_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _matches(document: dict[str, Any], field: str, op: str, raw: str) -> bool:
    value = document.get(field)
    if op == "=":
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return text == raw
    left, right = _as_time(value), _as_time(raw)
    if left is None or right is None:
        try:
            left_n, right_n = float(value), float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return {
            "<": left_n < right_n,
            "<=": left_n <= right_n,
            ">": left_n > right_n,
            ">=": left_n >= right_n,
        }[op]
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


@dataclass
class Fault:
    """Answer `status` (with `Retry-After: retry_after` if set) to the next `times` requests of `path`."""

    path: str
    status: int
    times: int
    retry_after: str | None = None


class OpenF1RestStub:
    """GET /v1/<collection>?field=value&date>=...: equality on any field, <, <=, >, >= on dates and
    numbers; nothing found is `[]` or, as the hosted API answers, 404 `{"detail": "No results found."}`.
    A collection it does not have (`missing`) is a plain 404. Faults are served first, in order."""

    def __init__(
        self,
        documents: dict[str, list[dict[str, Any]]],
        empty_as_404: bool = False,
        missing: tuple[str, ...] = (),
    ) -> None:
        self.documents = documents
        self.empty_as_404 = empty_as_404
        self.missing = missing
        self.faults: list[Fault] = []
        self.requests: list[tuple[float, str, int]] = []  # (monotonic time, path?query, status)
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, headers = stub.answer(self.path)
                with stub.lock:
                    stub.requests.append((time.monotonic(), self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def hits(self) -> Counter[str]:
        with self.lock:
            return Counter(urlsplit(path).path for _, path, _ in self.requests)

    def answer(self, raw_path: str) -> tuple[int, bytes, dict[str, str]]:
        parts = urlsplit(raw_path)
        with self.lock:
            for fault in self.faults:
                if fault.path == parts.path and fault.times > 0:
                    fault.times -= 1
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                    return fault.status, b'{"detail": "injected"}', headers
        match = re.fullmatch(r"/v1/(\w+)", parts.path)
        if match is None or match.group(1) in self.missing:
            return 404, b'{"detail": "Not Found"}', {}
        found = self.documents.get(match.group(1), [])
        for condition in filter(None, parts.query.split("&")):
            parsed = _CONDITION.match(unquote(condition.replace("+", " ")))
            if parsed is None:
                return 422, b'{"detail": "bad filter"}', {}
            field, op, value = parsed.groups()
            found = [d for d in found if _matches(d, field, op, value)]
        if not found:
            return self._empty()
        return 200, json.dumps(found).encode(), {}

    def _empty(self) -> tuple[int, bytes, dict[str, str]]:
        if self.empty_as_404:
            return 404, b'{"detail": "No results found."}', {}
        return 200, b"[]", {}


class TokenEndpointStub:
    """POST /token (form username, password) -> {"access_token", "expires_in": "<s>", "token_type"}.

    Each new token is handed to `on_token(token)` (the broker's password becomes it); when a token
    expires without a newer one, `on_expire()` runs (the broker stops accepting it)."""

    def __init__(
        self,
        username: str,
        password: str,
        lifetime_s: float,
        on_token: Callable[[str], None],
        on_expire: Callable[[], None],
    ) -> None:
        self.username = username
        self.password = password
        self.lifetime_s = lifetime_s
        self.on_token = on_token
        self.on_expire = on_expire
        self.issued: list[tuple[float, str]] = []  # (monotonic time, token)
        self.refused = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                status, answer = stub.issue(form.get("username"), form.get("password"))
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def issue(self, username: str | None, password: str | None) -> tuple[int, dict[str, str]]:
        if username != self.username or password != self.password:
            with self.lock:
                self.refused += 1
            return 401, {"detail": "Incorrect username or password"}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.on_token(token)
            self.issued.append((time.monotonic(), token))
        timer = threading.Timer(self.lifetime_s, self._expire, args=(token,))
        timer.daemon = True
        timer.start()
        return 200, {"access_token": token, "expires_in": f"{self.lifetime_s:g}", "token_type": "bearer"}

    def _expire(self, token: str) -> None:
        with self.lock:
            if self.issued and self.issued[-1][1] == token:  # no newer token: nothing is valid now
                self.on_expire()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
