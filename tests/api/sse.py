"""A reader of server-sent events over a real HTTP response (httpx streaming), as a browser parses them."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class Message:
    event: str | None = None
    data: str | None = None
    comments: tuple[str, ...] = ()
    id: str | None = None

    def json(self) -> Any:
        assert self.data is not None, f"no data in {self}"
        return json.loads(self.data)


@dataclass
class EventReader:
    """Messages of one open stream, in order; each read waits at most the client's read timeout."""

    response: httpx.Response
    seen: list[Message] = field(default_factory=list)
    _messages: Iterator[Message] | None = None

    def next(self) -> Message:
        if self._messages is None:
            self._messages = parse(self.response.iter_lines())
        message = next(self._messages)
        self.seen.append(message)
        return message

    def next_event(self) -> Message:
        """The next message with data (keep-alive comments skipped)."""
        while True:
            message = self.next()
            if message.data is not None:
                return message

    def until(self, matches: Callable[[Message], bool], timeout_s: float) -> list[Message]:
        """Events up to and including the first that matches; fails after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        events = []
        while time.monotonic() < deadline:
            message = self.next_event()
            events.append(message)
            if matches(message):
                return events
        raise AssertionError(f"no matching event within {timeout_s} s; got {events}")


@contextlib.contextmanager
def open_stream(
    client: httpx.Client, path: str, params: dict[str, Any], headers: dict[str, str] | None = None
) -> Iterator[EventReader]:
    """An accepted event stream (200, text/event-stream); leaving the block closes the connection, as a
    browser tab that goes away."""
    with client.stream("GET", path, params=params, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


def parse(lines: Iterator[str]) -> Iterator[Message]:
    event: str | None = None
    event_id: str | None = None
    data: list[str] = []
    comments: list[str] = []
    for line in lines:
        if line == "":
            if event is not None or data or comments:
                yield Message(event, "\n".join(data) if data else None, tuple(comments), event_id)
            event, event_id, data, comments = None, None, [], []
        elif line.startswith(":"):
            comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "id":
                event_id = value
            elif name == "data":
                data.append(value)
