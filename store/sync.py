"""Upsert a season's calendar, drivers, constructors and line-ups in one transaction.

Every statement only writes rows whose values differ (`IS DISTINCT FROM`), so running the same
sync twice rewrites nothing: same contents, same `updated_at`, not even a new row version. The
sync never deletes and never touches what the flow owns (a session's state and end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg


@dataclass(frozen=True, slots=True)
class MeetingRow:
    meeting_key: int
    year: int
    name: str
    circuit: str | None
    country: str | None
    date_start: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    session_key: int
    meeting_key: int
    name: str
    date_start: datetime | None


@dataclass(frozen=True, slots=True)
class ConstructorRow:
    ergast_id: str
    name: str


@dataclass(frozen=True, slots=True)
class DriverRow:
    ergast_id: str
    acronym: str
    full_name: str
    number: int | None
    constructor_ergast_id: str | None  # None: unknown now, keep the stored team


@dataclass(frozen=True, slots=True)
class SeasonRows:
    meetings: Sequence[MeetingRow]
    sessions: Sequence[SessionRow]
    constructors: Sequence[ConstructorRow]
    drivers: Sequence[DriverRow]


@dataclass(frozen=True, slots=True)
class SyncCounts:
    """Rows inserted or changed per table (all zero when the database was already up to date)."""

    meetings: int
    sessions: int
    constructors: int
    drivers: int


_MEETING = """
INSERT INTO meeting (meeting_key, year, name, circuit, country, date_start)
VALUES (%(meeting_key)s, %(year)s, %(name)s, %(circuit)s, %(country)s, %(date_start)s)
ON CONFLICT (meeting_key) DO UPDATE SET year = EXCLUDED.year, name = EXCLUDED.name,
    circuit = EXCLUDED.circuit, country = EXCLUDED.country, date_start = EXCLUDED.date_start
WHERE (meeting.year, meeting.name, meeting.circuit, meeting.country, meeting.date_start)
    IS DISTINCT FROM (EXCLUDED.year, EXCLUDED.name, EXCLUDED.circuit, EXCLUDED.country, EXCLUDED.date_start)
"""

_SESSION = """
INSERT INTO race_session (session_key, meeting_key, name, date_start, state)
VALUES (%(session_key)s, %(meeting_key)s, %(name)s, %(date_start)s, 'upcoming')
ON CONFLICT (session_key) DO UPDATE SET meeting_key = EXCLUDED.meeting_key, name = EXCLUDED.name,
    date_start = coalesce(EXCLUDED.date_start, race_session.date_start)
WHERE (race_session.meeting_key, race_session.name, race_session.date_start) IS DISTINCT FROM
    (EXCLUDED.meeting_key, EXCLUDED.name, coalesce(EXCLUDED.date_start, race_session.date_start))
"""

# A row someone else created by name (no ergast_id yet) is adopted rather than duplicated.
_CONSTRUCTOR_ADOPT = """
UPDATE constructor SET ergast_id = %(ergast_id)s, updated_at = now()
WHERE ergast_id IS NULL AND name = %(name)s
  AND NOT EXISTS (SELECT 1 FROM constructor c WHERE c.ergast_id = %(ergast_id)s)
"""

_CONSTRUCTOR = """
INSERT INTO constructor (name, ergast_id, created_at, updated_at)
VALUES (%(name)s, %(ergast_id)s, now(), now())
ON CONFLICT (ergast_id) DO UPDATE SET name = EXCLUDED.name, updated_at = EXCLUDED.updated_at
WHERE constructor.name IS DISTINCT FROM EXCLUDED.name
"""

_DRIVER_ADOPT = """
UPDATE driver SET ergast_id = %(ergast_id)s, updated_at = now()
WHERE ergast_id IS NULL AND acronym = %(acronym)s
  AND NOT EXISTS (SELECT 1 FROM driver d WHERE d.ergast_id = %(ergast_id)s)
"""

_DRIVER = """
INSERT INTO driver (acronym, full_name, number, ergast_id, constructor_id, created_at, updated_at)
VALUES (%(acronym)s, %(full_name)s, %(number)s, %(ergast_id)s,
        (SELECT id FROM constructor WHERE ergast_id = %(constructor_ergast_id)s), now(), now())
ON CONFLICT (ergast_id) DO UPDATE SET acronym = EXCLUDED.acronym, full_name = EXCLUDED.full_name,
    number = EXCLUDED.number, constructor_id = coalesce(EXCLUDED.constructor_id, driver.constructor_id),
    updated_at = EXCLUDED.updated_at
WHERE (driver.acronym, driver.full_name, driver.number, driver.constructor_id) IS DISTINCT FROM
    (EXCLUDED.acronym, EXCLUDED.full_name, EXCLUDED.number,
     coalesce(EXCLUDED.constructor_id, driver.constructor_id))
"""


def write_season(conn: psycopg.Connection, rows: SeasonRows) -> SyncCounts:
    """All or nothing: one transaction (a savepoint if the caller already opened one)."""
    with conn.transaction():
        meetings = _upsert(conn, _MEETING, [asdict(r) for r in rows.meetings])
        sessions = _upsert(conn, _SESSION, [asdict(r) for r in rows.sessions])
        constructors_ = [asdict(r) for r in rows.constructors]
        _upsert(conn, _CONSTRUCTOR_ADOPT, constructors_)
        constructors = _upsert(conn, _CONSTRUCTOR, constructors_)
        drivers_ = [asdict(r) for r in rows.drivers]
        _upsert(conn, _DRIVER_ADOPT, drivers_)
        drivers = _upsert(conn, _DRIVER, drivers_)
    return SyncCounts(meetings, sessions, constructors, drivers)


def _upsert(conn: psycopg.Connection, sql: str, rows: Sequence[dict[str, Any]]) -> int:
    changed = 0
    with conn.cursor() as cur:
        for row in rows:
            cur.execute(sql, row)
            changed += max(cur.rowcount, 0)
    return changed
