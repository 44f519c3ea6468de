"""A recorded feed (../shared/FEEDS.md format) of one race weekend, built from OpenF1's REST API.

For each scored session of the meeting, the collections the engine reads, filtered by
`session_key`, become `v1/<collection>` lines ordered as they happened, so that the file replays
like the live session: each document at its own time (`date`; a lap when it ended, `date_start` +
`lap_duration`), and documents without one at the session's start (sessions, drivers, grid) or,
for results, at its end. Nothing is dropped or invented, with two exceptions that OpenF1's shapes
force: its starting grid hangs off the qualifying session (it is moved to the race it is the grid
of), and 2023's "Sprint Shootout" is called "Sprint Qualifying" as from 2024. Driver of the Day is
not in OpenF1: it is taken from the server if it offers it, or from `--driver-of-the-day`.
OpenF1's overtakes include position changes from pit stops; they are kept as OpenF1 has them, and
scoring leaves them out (scoring/facts.py), live and replayed alike.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol, cast

Document = dict[str, Any]

SCORED_SESSIONS = ("Qualifying", "Sprint Qualifying", "Sprint", "Race")
RENAMED_SESSIONS = {"Sprint Shootout": "Sprint Qualifying"}
# Fetched per session, in this order; at equal times, lines keep it (sessions come first).
COLLECTIONS = (
    "drivers",
    "starting_grid",
    "laps",
    "position",
    "overtakes",
    "pit",
    "race_control",
    "session_result",
    "driver_of_the_day",
)
_RANK = {name: rank for rank, name in enumerate(("sessions", *COLLECTIONS))}
GRID_FROM = {"Race": "Qualifying", "Sprint": "Sprint Qualifying"}  # whose grid a session starts from


class FeedError(Exception):
    """The meeting cannot be made into a feed as asked (no such meeting, session or driver)."""


class Source(Protocol):
    def get(self, collection: str, optional: bool = False, **filters: object) -> list[Document]: ...


@dataclass(frozen=True, slots=True)
class FeedLine:
    at: datetime
    rank: int
    topic: str
    payload: Document


@dataclass
class Feed:
    meeting_key: int
    sessions: list[Document]
    lines: list[FeedLine]
    counts: Counter[str] = field(default_factory=Counter)


def parse_time(value: object) -> datetime | None:
    """An OpenF1 date (ISO 8601, with or without zone: UTC if none); None if absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def requests_planned(sessions: int) -> int:
    """Requests `build_feed` makes for this many sessions (for a progress bar)."""
    return 1 + sessions * len(COLLECTIONS)


def select_sessions(all_sessions: list[Document], wanted: Sequence[str]) -> list[Document]:
    """The meeting's sessions named in `wanted` (after renaming), not cancelled, in time order."""
    chosen = []
    for session in all_sessions:
        name = RENAMED_SESSIONS.get(session.get("session_name", ""), session.get("session_name", ""))
        if name in wanted and not session.get("is_cancelled"):
            chosen.append({**session, "session_name": name})
    return sorted(chosen, key=lambda s: parse_time(s.get("date_start")) or datetime.max.replace(tzinfo=UTC))


def build_feed(
    source: Source,
    meeting_key: int,
    wanted: Sequence[str] = SCORED_SESSIONS,
    driver_of_the_day: str | None = None,
    on_sessions: Callable[[int], None] | None = None,
    on_request: Callable[[str], None] | None = None,
) -> Feed:
    """Fetch the meeting's scored sessions and their collections; lines in the order they happened.

    on_sessions(n) once the sessions are known; on_request(description) after every request."""
    found = source.get("sessions", meeting_key=meeting_key)
    if on_request:
        on_request("sessions")
    if not found:
        raise FeedError(f"OpenF1 has no sessions for meeting {meeting_key}")
    sessions = select_sessions(found, wanted)
    if not sessions:
        names = sorted({str(s.get("session_name")) for s in found})
        raise FeedError(f"meeting {meeting_key} has none of {', '.join(wanted)} (it has: {', '.join(names)})")
    if on_sessions:
        on_sessions(len(sessions))
    feed = Feed(meeting_key, sessions, [])
    every = select_sessions(found, SCORED_SESSIONS)  # a grid may come from a session not asked for
    for session in sessions:
        start, end = _bounds(session)
        feed.lines.append(FeedLine(start, _RANK["sessions"], "v1/sessions", session))
        fetched: dict[str, list[Document]] = {}
        for collection in COLLECTIONS:
            fetched[collection] = _collection(source, collection, session, every)
            if on_request:
                on_request(f"{session['session_name']}: {collection}")
        for collection, documents in fetched.items():
            for document in documents:
                at = _when(collection, document, start, end)
                feed.lines.append(FeedLine(at, _RANK[collection], f"v1/{collection}", document))
    if driver_of_the_day is not None:
        _set_driver_of_the_day(feed, driver_of_the_day)
    feed.lines.sort(key=lambda line: (line.at, line.rank))  # stable: each collection keeps its order
    feed.counts = Counter(line.topic for line in feed.lines)
    return feed


def _bounds(session: Document) -> tuple[datetime, datetime]:
    start = parse_time(session.get("date_start"))
    if start is None:
        raise FeedError(f"session {session.get('session_key')} has no date_start")
    end = parse_time(session.get("date_end")) or start
    return start, max(start, end)


def _collection(source: Source, collection: str, session: Document, every: list[Document]) -> list[Document]:
    key = session["session_key"]
    name = session["session_name"]
    if collection == "starting_grid":
        if name not in GRID_FROM:
            return []  # a qualifying session's "grid" in OpenF1 is the next race's: taken there
        grid = source.get(collection, session_key=key)
        if grid:
            return grid
        earlier = [
            s for s in every if s["session_name"] == GRID_FROM[name] and _bounds(s)[0] < _bounds(session)[0]
        ]
        if not earlier:
            return []
        donor = earlier[-1]["session_key"]
        return [{**slot, "session_key": key} for slot in source.get(collection, session_key=donor)]
    if collection == "driver_of_the_day":
        if name != "Race":
            return []
        return source.get(collection, optional=True, session_key=key)  # not every server has it
    return source.get(collection, session_key=key)


def _when(collection: str, document: Document, start: datetime, end: datetime) -> datetime:
    """When the document became known: its own time, else the session's start (or end, for results);
    never before the session's start, so that every line follows its session's announcement."""
    if collection == "session_result":
        return end
    own: datetime | None = None
    if collection == "laps":
        own = parse_time(document.get("date_start"))
        duration = document.get("lap_duration")
        if own is not None and isinstance(duration, (int, float)) and duration > 0:
            own += timedelta(seconds=float(duration))
    elif collection in ("position", "overtakes", "pit", "race_control", "driver_of_the_day"):
        own = parse_time(document.get("date"))
    if own is None:
        own = end if collection == "driver_of_the_day" else start
    return max(own, start)


def _set_driver_of_the_day(feed: Feed, acronym: str) -> None:
    races = [s for s in feed.sessions if s["session_name"] == "Race"]
    if not races:
        raise FeedError("--driver-of-the-day needs the Race among the sessions")
    race = races[-1]
    key = race["session_key"]
    numbers = {
        str(line.payload.get("name_acronym", "")).upper(): line.payload.get("driver_number")
        for line in feed.lines
        if line.topic == "v1/drivers" and line.payload.get("session_key") == key
    }
    number = numbers.get(acronym.upper())
    if number is None:
        raise FeedError(f"no driver {acronym!r} in the Race (drivers: {', '.join(sorted(numbers))})")
    _, end = _bounds(race)
    feed.lines = [line for line in feed.lines if line.topic != "v1/driver_of_the_day"]
    document = {
        "meeting_key": race.get("meeting_key", feed.meeting_key),
        "session_key": key,
        "driver_number": number,
        "date": end.isoformat(),
    }
    feed.lines.append(FeedLine(end, _RANK["driver_of_the_day"], "v1/driver_of_the_day", document))


def format_at(moment: datetime) -> str:
    """`at` as in the bundled feeds: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write_feed(feed: Feed, out: Path) -> None:
    """JSON Lines (gzip if `out` ends with .gz), written whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(fd, "wb") as raw:
            stream: IO[bytes] = (
                cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="wb")) if out.suffix == ".gz" else raw
            )
            for line in feed.lines:
                record = {"topic": line.topic, "at": format_at(line.at), "payload": line.payload}
                stream.write(json.dumps(record).encode() + b"\n")
            if stream is not raw:
                stream.close()
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
