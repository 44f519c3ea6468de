"""What a recorded feed holds before it is replayed: its meeting and entrants (for team generation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.decode import Message, decode_line
from ingest.events import DriverInfo, SessionInfo
from ingest.recorded import iter_lines


@dataclass(frozen=True, slots=True)
class FeedSummary:
    meeting_keys: tuple[int, ...]
    drivers: tuple[str, ...]
    constructors: tuple[str, ...]
    messages: int


def summarise(paths: list[Path]) -> FeedSummary:
    meetings: dict[int, None] = {}
    drivers: dict[str, None] = {}
    constructors: dict[str, None] = {}
    count = 0
    for path in paths:
        for offset, line in enumerate(iter_lines(path)):
            count += 1
            if b"v1/sessions" not in line[:40] and b"v1/drivers" not in line[:40]:
                continue
            decoded = decode_line(line, offset)
            if not isinstance(decoded, Message):
                continue
            if isinstance(decoded.event, SessionInfo):
                meetings[decoded.event.meeting_key] = None
            elif isinstance(decoded.event, DriverInfo):
                drivers[decoded.event.name_acronym] = None
                constructors[decoded.event.team_name] = None
    return FeedSummary(tuple(meetings), tuple(drivers), tuple(constructors), count)
