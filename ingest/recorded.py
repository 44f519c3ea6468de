"""Bytewax source replaying recorded feeds (JSON Lines, optionally gzipped), fast or paced by `at`."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import msgspec
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

# Lines handed to the flow at once, at most. Bytewax costs per batch and per key a batch touches,
# so an unpaced replay goes faster in bigger batches (4,096: about a fifth faster than 1,000); a
# paced one hands out only what is due, so this bounds nothing there.
BATCH_SIZE = 4096


@dataclass(frozen=True, slots=True)
class RawLine:
    """One undecoded line of a feed and where it came from; decoding happens in the flow."""

    source: str
    offset: int
    data: bytes


class _ArrivalOnly(msgspec.Struct):
    at: datetime


_arrival_decoder = msgspec.json.Decoder(_ArrivalOnly)


def arrival_of(line: bytes) -> datetime | None:
    try:
        at = _arrival_decoder.decode(line).at
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):  # a line nested ~1000 deep
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def open_feed(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def iter_lines(path: Path) -> Iterator[bytes]:
    with open_feed(path) as fh:
        for line in fh:
            stripped = line.strip()
            if stripped:
                yield stripped


class Pacer:
    """When each line of a feed falls due at the given speed (none waits at speed 0): a silence longer
    than `max_gap` seconds of wall time (the night between sessions) is cut to it. The replay's source,
    `gridscore publish` and the demo's schedule pace by this one rule."""

    def __init__(self, speed: float, max_gap: float = 5.0) -> None:
        self.speed = speed
        self.max_gap = max_gap
        self._origin: tuple[float, datetime] | None = None
        self._last: datetime | None = None
        self._skipped = 0.0  # feed seconds cut out of long silences

    def offset(self, at: datetime) -> float:
        """Wall seconds from the first message to this one (call in feed order)."""
        if self._origin is None:
            self._origin = (time.monotonic(), at)
        if self._last is not None:
            excess = (at - self._last).total_seconds() / self.speed - self.max_gap
            if excess > 0:
                self._skipped += excess * self.speed
        self._last = at
        return ((at - self._origin[1]).total_seconds() - self._skipped) / self.speed

    def due_in(self, at: datetime) -> float:
        """Seconds from now until `at` is due (<= 0: now), advancing past long silences."""
        if self.speed <= 0:
            return 0.0
        offset = self.offset(at)
        assert self._origin is not None
        return offset - (time.monotonic() - self._origin[0])

    def wait(self, at: datetime) -> None:
        delay = self.due_in(at)
        if delay > 0:
            time.sleep(delay)


class _FeedPartition(StatefulSourcePartition[RawLine, int]):
    """Reads one file from a line offset; paced, it hands lines out when their `at` falls due."""

    def __init__(self, path: Path, resume_offset: int, speed: float, max_gap: float, batch_size: int) -> None:
        self._name = path.name
        self._lines = iter_lines(path)
        self._offset = 0
        self._speed = speed
        self._batch_size = batch_size
        self._pacer = Pacer(speed, max_gap)
        self._pending: bytes | None = None
        self._due: datetime | None = None
        for _ in range(resume_offset):
            if next(self._lines, None) is None:
                break
            self._offset += 1

    def _take(self) -> bytes | None:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return next(self._lines, None)

    def next_batch(self) -> list[RawLine]:
        batch: list[RawLine] = []
        while len(batch) < self._batch_size:
            line = self._take()
            if line is None:
                if not batch:
                    raise StopIteration
                break
            if self._speed > 0 and not self._due_now(line):
                self._pending = line
                break
            batch.append(RawLine(self._name, self._offset, line))
            self._offset += 1
        return batch

    def _due_now(self, line: bytes) -> bool:
        at = arrival_of(line)
        if at is None:
            return True  # a bad line is passed on to be rejected, never held back
        wait = self._pacer.due_in(at)  # a held-back line asked again: no gap, the same wait less time gone
        if wait <= 0:
            self._due = None
            return True
        self._due = datetime.now(UTC) + timedelta(seconds=wait)
        return False

    def next_awake(self) -> datetime | None:
        return self._due if self._pending is not None else None

    def snapshot(self) -> int:
        return self._offset  # a held-back line is not yet counted, so it is read again


class RecordedFeedSource(FixedPartitionedSource[RawLine, int]):
    """One partition per file; resumes from a line offset under Bytewax recovery.

    `speed` 0 replays as fast as possible; 1 is real time; 20 is twenty times faster. Paced,
    a silence longer than `max_gap` seconds of wall time (overnight between sessions) is cut short.
    `batch_size` lines at most are handed to the flow at once (smaller: finer-grained live updates).
    """

    def __init__(
        self, paths: list[Path], speed: float = 0.0, max_gap: float = 5.0, batch_size: int = BATCH_SIZE
    ) -> None:
        self._paths = {f"{i}:{p.name}": p for i, p in enumerate(paths)}
        self._speed = speed
        self._max_gap = max_gap
        self._batch_size = batch_size

    def list_parts(self) -> list[str]:
        return list(self._paths)

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _FeedPartition:
        return _FeedPartition(
            self._paths[for_part], resume_state or 0, self._speed, self._max_gap, self._batch_size
        )
