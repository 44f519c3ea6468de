"""Meeting and session rows: the one upsert that every writer of them uses (the season sync, the
seed from a recorded feed, the flow's final results).

A writer is either a schedule (the sync, the seed: its dates replace the stored ones, a session's
state is the flow's and stays) or the results (the flow: a classified session is final, and the
schedule stored before it, seeded or synced, is kept). Rows whose values would not change are not
rewritten, so running a writer twice changes nothing.
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
    year: int | None
    name: str | None
    circuit: str | None
    country: str | None
    date_start: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    session_key: int
    meeting_key: int
    name: str
    date_start: datetime | None
    date_end: datetime | None = None  # None: unknown, the stored end stays


_MEETING_COLUMNS = ("year", "name", "circuit", "country", "date_start")
_SESSION_DATES = ("date_start", "date_end")


def _meeting_sql(replace: bool) -> str:
    columns = ", ".join(("meeting_key", *_MEETING_COLUMNS))
    values = ", ".join(f"%({c})s" for c in ("meeting_key", *_MEETING_COLUMNS))
    insert = f"INSERT INTO meeting ({columns}) VALUES ({values}) ON CONFLICT (meeting_key)"  # noqa: S608
    if not replace:
        return f"{insert} DO NOTHING"
    stored = ", ".join(f"meeting.{c}" for c in _MEETING_COLUMNS)
    given = ", ".join(f"EXCLUDED.{c}" for c in _MEETING_COLUMNS)
    assign = ", ".join(f"{c} = EXCLUDED.{c}" for c in _MEETING_COLUMNS)
    return f"{insert} DO UPDATE SET {assign} WHERE ({stored}) IS DISTINCT FROM ({given})"


def _session_sql(final: bool) -> str:
    # A schedule's known dates replace the stored ones; results fill only dates not stored yet.
    first, second = ("race_session", "EXCLUDED") if final else ("EXCLUDED", "race_session")
    new = {
        "meeting_key": "EXCLUDED.meeting_key",
        "name": "EXCLUDED.name",
        **{c: f"coalesce({first}.{c}, {second}.{c})" for c in _SESSION_DATES},
        "state": "'final'" if final else "race_session.state",
    }
    stored = ", ".join(f"race_session.{c}" for c in new)
    inserted = "'final'" if final else "'upcoming'"
    return (
        "INSERT INTO race_session (session_key, meeting_key, name, date_start, date_end, state)"  # noqa: S608 (constants)
        " VALUES (%(session_key)s, %(meeting_key)s, %(name)s, %(date_start)s, %(date_end)s,"
        f" {inserted})"
        f" ON CONFLICT (session_key) DO UPDATE SET {', '.join(f'{c} = {v}' for c, v in new.items())}"
        f" WHERE ({stored}) IS DISTINCT FROM ({', '.join(new.values())})"
    )


_MEETING_REPLACE, _MEETING_INSERT = _meeting_sql(replace=True), _meeting_sql(replace=False)
_SESSION_SCHEDULE, _SESSION_FINAL = _session_sql(final=False), _session_sql(final=True)


def upsert_meetings(conn: psycopg.Connection, rows: Sequence[MeetingRow], *, replace: bool = True) -> int:
    """Insert the meetings; `replace`: a stored one takes the given values, else it is left as it is
    (the flow only makes sure the meeting of its results exists). Returns the rows changed."""
    return upsert(conn, _MEETING_REPLACE if replace else _MEETING_INSERT, [asdict(r) for r in rows])


def upsert_sessions(conn: psycopg.Connection, rows: Sequence[SessionRow], *, final: bool = False) -> int:
    """Insert the sessions (upcoming) or update them as a schedule; `final`: as the flow's results
    (the sessions are final, stored dates are kept). Returns the rows changed."""
    return upsert(conn, _SESSION_FINAL if final else _SESSION_SCHEDULE, [asdict(r) for r in rows])


def reopen(conn: psycopg.Connection, meeting_key: int) -> None:
    """A weekend that starts again later (a recorded one seeded as a coming one): unlocked, and its
    sessions upcoming, so that rosters can be built until its new lock time."""
    conn.execute("DELETE FROM meeting_lock WHERE meeting_key = %s", (meeting_key,))
    conn.execute("UPDATE race_session SET state = 'upcoming' WHERE meeting_key = %s", (meeting_key,))


def upsert(conn: psycopg.Connection, sql: str, rows: Sequence[dict[str, Any]]) -> int:
    """Run an upsert per row; the number of rows it inserted or changed."""
    changed = 0
    with conn.cursor() as cur:
        for row in rows:
            cur.execute(sql, row)
            changed += max(cur.rowcount, 0)
    return changed
