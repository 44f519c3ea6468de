"""Seed a weekend's calendar, entrants and opening prices from a recorded feed (`gridscore api-seed`,
the demo, the benchmarks and the tests; it reads recorded feeds, which the API never does).

`first_session_at` shifts every session so that the weekend starts then: a recorded weekend
becomes a coming one, whose rosters can be built before it locks. Seeding a weekend again with a start
in the future opens it again: its lock (from an earlier seeding in the past) is lifted and its sessions
are upcoming, so that the rosters can be built until the new lock time.

`schedule_as_replayed` moves a seeded weekend's sessions to the times a paced replay of its feed plays
them (the demo replays a weekend in minutes: its pages should not say the Race is tomorrow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import psycopg

from ingest.recorded import Pacer, arrival_of, iter_lines
from store.calendar import MeetingRow, SessionRow, reopen, upsert_meetings, upsert_sessions
from store.price_moves import write_prices
from store.urls import libpq_url
from store.weekends import LOCKING_SESSIONS
from tasks.prices import opening_prices


class _Envelope(msgspec.Struct):
    topic: str
    payload: msgspec.Raw
    at: datetime | None = None


class _Session(msgspec.Struct):
    meeting_key: int
    session_key: int
    session_name: str
    date_start: datetime | None = None
    date_end: datetime | None = None
    year: int | None = None
    circuit_short_name: str | None = None
    location: str | None = None
    country_name: str | None = None


class _Driver(msgspec.Struct):
    name_acronym: str
    team_name: str
    driver_number: int | None = None
    full_name: str | None = None


@dataclass(frozen=True, slots=True)
class SeededWeekend:
    meeting_key: int
    sessions: dict[str, datetime | None]  # name -> start
    drivers: tuple[str, ...]
    constructors: tuple[str, ...]
    prices: int


def read_feed(feed: Path) -> tuple[list[_Session], dict[str, _Driver]]:
    sessions: dict[int, _Session] = {}
    drivers: dict[str, _Driver] = {}
    envelope = msgspec.json.Decoder(_Envelope)
    for line in iter_lines(feed):
        if b'"v1/sessions"' not in line[:60] and b'"v1/drivers"' not in line[:60]:
            continue
        item = envelope.decode(line)
        if item.topic.endswith("sessions"):
            session = msgspec.json.decode(item.payload, type=_Session)
            sessions[session.session_key] = session
        elif item.topic.endswith("drivers"):
            driver = msgspec.json.decode(item.payload, type=_Driver)
            drivers.setdefault(driver.name_acronym, driver)
    return sorted(sessions.values(), key=lambda s: s.date_start or datetime.max.replace(tzinfo=UTC)), drivers


def seed_from_feed(database_url: str, feed: Path, first_session_at: datetime | None = None) -> SeededWeekend:
    sessions, drivers = read_feed(feed)
    if not sessions:
        raise ValueError(f"{feed} has no v1/sessions message: nothing to seed")
    starts = [s.date_start for s in sessions if s.date_start is not None]
    shift = first_session_at - min(starts) if first_session_at is not None and starts else timedelta(0)

    def moved(at: datetime | None) -> datetime | None:
        return None if at is None else at + shift

    first = sessions[0]
    meeting_key = first.meeting_key
    constructors = tuple(dict.fromkeys(d.team_name for d in drivers.values()))
    prices = opening_prices(tuple(drivers), constructors)
    now = datetime.now(UTC)
    with psycopg.connect(libpq_url(database_url)) as conn, conn.transaction():
        year = first.year or (moved(min(starts)) or now).year
        name = " ".join(x for x in (first.location or first.circuit_short_name, "Grand Prix") if x)
        start = moved(min(starts)) if starts else None
        meeting = MeetingRow(meeting_key, year, name, first.circuit_short_name, first.country_name, start)
        upsert_meetings(conn, [meeting])
        upsert_sessions(
            conn,
            [
                SessionRow(s.session_key, meeting_key, s.session_name, moved(s.date_start), moved(s.date_end))
                for s in sessions
            ],
        )
        for name in constructors:
            conn.execute(
                "INSERT INTO constructor (name, created_at, updated_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, now, now),
            )
        for d in drivers.values():
            conn.execute(
                "INSERT INTO driver (acronym, full_name, number, constructor_id, created_at, updated_at)"
                " VALUES (%s, %s, %s, (SELECT id FROM constructor WHERE name = %s), %s, %s)"
                " ON CONFLICT (acronym) DO UPDATE SET full_name = EXCLUDED.full_name,"
                " number = EXCLUDED.number, constructor_id = EXCLUDED.constructor_id,"
                " updated_at = EXCLUDED.updated_at",
                (
                    d.name_acronym,
                    _title(d.full_name or d.name_acronym),
                    d.driver_number,
                    d.team_name,
                    now,
                    now,
                ),
            )
        locking = [s.date_start for s in sessions if s.session_name in LOCKING_SESSIONS and s.date_start]
        lock_at = moved(min(locking or starts)) if starts else None
        if lock_at is not None and lock_at > now:  # a coming weekend: open until its lock time
            reopen(conn, meeting_key)
        write_prices(conn, meeting_key, prices)
    return SeededWeekend(
        meeting_key,
        {s.session_name: moved(s.date_start) for s in sessions},
        tuple(drivers),
        constructors,
        len(prices),
    )


def schedule_as_replayed(
    database_url: str, feed: Path, first_session_at: datetime, speed: float, max_gap: float = 5.0
) -> dict[str, tuple[datetime, datetime]]:
    """Each session of `feed` dated when a replay started at `first_session_at` plays it: the recorded
    times at `speed`, with silences over `max_gap` seconds of wall time cut to it (the replay's source
    and `gridscore publish` pace by the same rule: ingest.recorded.Pacer); `speed` 0 (as fast as
    possible) plays every session at once. The sessions' states and the weekend's lock stay as they are.
    Returns name -> (start, end) as stored."""
    pacer = Pacer(speed, max_gap) if speed > 0 else None
    envelope = msgspec.json.Decoder(_Envelope)
    played: dict[int, tuple[_Session, float, float]] = {}  # start and end: wall s from the first line
    for line in iter_lines(feed):
        at = arrival_of(line)
        offset = pacer.offset(at) if pacer is not None and at is not None else 0.0
        if b'"v1/sessions"' not in line[:60]:
            continue
        session = msgspec.json.decode(envelope.decode(line).payload, type=_Session)
        if session.session_key in played:
            continue
        if pacer is None or at is None or session.date_start is None:
            played[session.session_key] = (session, offset, offset)
            continue
        ends = session.date_end or session.date_start
        start, end = ((d - at).total_seconds() / speed + offset for d in (session.date_start, ends))
        played[session.session_key] = (session, start, end)
    if not played:
        raise ValueError(f"{feed} has no v1/sessions message: nothing to schedule")
    order = sorted(played.values(), key=lambda p: p[1])
    first = order[0][1]

    def wall(offset: float) -> datetime:
        return first_session_at + timedelta(seconds=offset - first)

    rows, schedule = [], {}
    for i, (session, start, end) in enumerate(order):
        # Paced, a session's breaks are cut short too: it ends by the next one's start.
        until = min(end, order[i + 1][1]) if i + 1 < len(order) else end
        schedule[session.session_name] = (wall(start), wall(until))
        rows.append(
            SessionRow(
                session.session_key,
                session.meeting_key,
                session.session_name,
                *schedule[session.session_name],
            )
        )
    with psycopg.connect(libpq_url(database_url)) as conn, conn.transaction():
        upsert_sessions(conn, rows)
        conn.execute(
            "UPDATE meeting SET date_start = %s WHERE meeting_key = %s",
            (first_session_at, rows[0].meeting_key),
        )
    return schedule


def _title(full_name: str) -> str:
    """OpenF1 spells surnames in capitals ("Max VERSTAPPEN")."""
    return " ".join(part.capitalize() if part.isupper() else part for part in full_name.split())
