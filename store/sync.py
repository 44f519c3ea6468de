"""Upsert a season's calendar, drivers, constructors and line-ups (and price new weekends) in one
transaction.

Every statement only writes rows whose values differ (`IS DISTINCT FROM`), so running the same
sync twice rewrites nothing: same contents, same `updated_at`, not even a new row version. The
sync never deletes and never touches what the flow owns (a session's state and end). Meetings and
sessions go through store/calendar.py's upsert, as every writer of them does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import psycopg

from store.calendar import MeetingRow, SessionRow, upsert, upsert_meetings, upsert_sessions
from store.price_moves import OpeningRule, price_unpriced


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
    prices: int = 0


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


def write_season(
    conn: psycopg.Connection, rows: SeasonRows, opening: OpeningRule | None = None
) -> SyncCounts:
    """All or nothing: one transaction (a savepoint if the caller already opened one). With `opening`,
    each of the season's meetings without prices gets its opening prices (store/price_moves.py)."""
    with conn.transaction():
        meetings = upsert_meetings(conn, rows.meetings)
        sessions = upsert_sessions(conn, rows.sessions)
        constructors_ = [asdict(r) for r in rows.constructors]
        upsert(conn, _CONSTRUCTOR_ADOPT, constructors_)
        constructors = upsert(conn, _CONSTRUCTOR, constructors_)
        drivers_ = [asdict(r) for r in rows.drivers]
        upsert(conn, _DRIVER_ADOPT, drivers_)
        drivers = upsert(conn, _DRIVER, drivers_)
        keys = [m.meeting_key for m in rows.meetings]
        prices = price_unpriced(conn, keys, opening) if opening is not None else 0
    return SyncCounts(meetings, sessions, constructors, drivers, prices)
