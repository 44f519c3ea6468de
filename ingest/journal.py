"""The engine's journal: every MQTT message it receives, in the recorded-feed format, before it is used.

A journal is a recorded feed (JSON Lines `{"topic", "at", "payload"}`, see FEEDS.md), so `gridscore
score` and replay read it as they are; a message's offset is its line number. Payloads are written
byte for byte when they are one line of valid UTF-8 JSON no bigger and no deeper than the decoder's
limits. Any other payload (bad JSON, binary, oversized, nested a thousand deep) is kept as
`"payload": null` plus `raw_b64` (and `raw_size` for an oversized one, whose first KiB only is
kept), so that reading the journal back gives the flow the same messages, rejected for the same
reasons. Writing a line never raises on what a payload holds.

Lines are flushed to the operating system before the message is acknowledged to the broker or
handed to the flow: a killed process loses nothing it acknowledged (fsync is not needed for that;
only a machine crash could lose the page cache).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import msgspec

from ingest.decode import MAX_JSON_DEPTH, MAX_PAYLOAD_BYTES, too_deep

KEEP_OF_OVERSIZED = 1024
MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # MQTT's largest packet: a raw_size beyond it is a damaged line


@dataclass(frozen=True, slots=True)
class MqttMessage:
    """A message as received from the broker, numbered by its place in the journal."""

    topic: str
    payload: bytes
    at: datetime
    offset: int


class _Line(msgspec.Struct):
    topic: str
    at: datetime
    payload: msgspec.Raw
    raw_b64: str | None = None
    raw_size: int | None = None


_line_decoder = msgspec.json.Decoder(_Line)
_encoder = msgspec.json.Encoder()


def _verbatim(payload: bytes) -> bool:
    """Whether the payload can stand in the line as JSON. Never raises: the receiver calls it on
    whatever the broker delivers, before acknowledging it (depth is checked first, so msgspec never
    recurses far; RecursionError is caught all the same)."""
    if len(payload) > MAX_PAYLOAD_BYTES or b"\n" in payload or b"\r" in payload:
        return False
    if too_deep(payload, MAX_JSON_DEPTH):
        return False
    try:
        payload.decode("utf-8")
        msgspec.json.decode(payload, type=msgspec.Raw)
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return False
    return True


def encode_line(topic: str, at: datetime, payload: bytes) -> bytes:
    """One journal line (with its newline)."""
    head = b'{"topic":' + _encoder.encode(topic) + b',"at":' + _encoder.encode(at.isoformat())
    if _verbatim(payload):
        return head + b',"payload":' + payload + b"}\n"
    kept = payload[:KEEP_OF_OVERSIZED] if len(payload) > MAX_PAYLOAD_BYTES else payload
    tail = b',"payload":null,"raw_b64":' + _encoder.encode(base64.b64encode(kept).decode("ascii"))
    if len(kept) != len(payload):
        tail += b',"raw_size":' + str(len(payload)).encode()
    return head + tail + b"}\n"


def decode_line(line: bytes, offset: int) -> MqttMessage:
    """A journal line back into the message it was; a damaged line becomes a message the flow rejects."""
    try:
        parsed = _line_decoder.decode(line)
        kept = b"" if parsed.raw_b64 is None else base64.b64decode(parsed.raw_b64, validate=True)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, binascii.Error):
        return MqttMessage("", line, datetime.now(UTC), offset)
    at = parsed.at if parsed.at.tzinfo else parsed.at.replace(tzinfo=UTC)
    if parsed.raw_b64 is None:
        return MqttMessage(parsed.topic, bytes(parsed.payload), at, offset)
    size = min(parsed.raw_size or len(kept), MAX_MESSAGE_BYTES)
    return MqttMessage(parsed.topic, kept + bytes(max(0, size - len(kept))), at, offset)


class JournalWriter:
    """Appends messages and numbers them; on open, a torn last line (a crash mid-write) is cut off."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.next_offset = repair_and_count(path)
        self._file: IO[bytes] = path.open("ab")

    def append(self, received: list[tuple[str, bytes, datetime]]) -> list[MqttMessage]:
        """Write (topic, payload, at) messages, flush them, and return them numbered."""
        out: list[MqttMessage] = []
        lines: list[bytes] = []
        for topic, payload, at in received:
            lines.append(encode_line(topic, at, payload))
            out.append(MqttMessage(topic, payload, at, self.next_offset))
            self.next_offset += 1
        self._file.write(b"".join(lines))
        self._file.flush()
        return out

    def close(self) -> None:
        self._file.close()


class JournalTail:
    """Follows a journal that another process appends to, from a line offset: `tail -f` by lines."""

    def __init__(self, path: Path, start: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        self.path = path
        self.offset = 0
        self._partial = b""
        self._file: IO[bytes] = path.open("rb")
        while self.offset < start and self._file.readline().endswith(b"\n"):
            self.offset += 1

    @property
    def position(self) -> int:
        """Bytes of the journal read into complete lines (a partial line is not counted)."""
        return self._file.tell() - len(self._partial)

    def read(self, limit: int) -> list[MqttMessage]:
        """Up to `limit` complete lines written since the last read (none: an empty list)."""
        out: list[MqttMessage] = []
        while len(out) < limit:
            line = self._file.readline()
            if not line:
                break
            if not line.endswith(b"\n"):
                self._partial += line  # the writer is mid-line: the rest comes with a later read
                break
            line, self._partial = self._partial + line, b""
            out.append(decode_line(line[:-1], self.offset))
            self.offset += 1
        return out

    def close(self) -> None:
        self._file.close()


@contextlib.contextmanager
def journal_lock(path: Path, timeout: float = 15.0) -> Iterator[None]:
    """Exclusive use of a journal (an advisory lock on `<journal>.lock`): one writer at a time, and
    no repair while a writer from a killed engine is still finishing."""
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"journal {path} is held by another process") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def repair_and_count(path: Path) -> int:
    """Number of complete lines, after truncating an incomplete last one."""
    if not path.exists():
        return 0
    count = 0
    good_end = 0
    position = 0
    with path.open("rb") as fh:
        for line in fh:
            position += len(line)
            if line.endswith(b"\n"):
                count += 1
                good_end = position
    if good_end != position:
        with path.open("r+b") as fh:
            fh.truncate(good_end)
            os.fsync(fh.fileno())
    return count
