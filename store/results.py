"""Write final results to Postgres when a session's classification lands (and again on corrections).

One transaction per session: meeting and session rows upserted, asset points replaced, every
team's result replaced through COPY. Re-running it with the same input leaves the same rows.
"""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

import numpy as np
import polars as pl
import psycopg

from dataflows.scoring_steps import ScoredWindow
from store.urls import libpq_url


class FinalWriter:
    def __init__(self, database_url: str, attempts: int = 60) -> None:
        self.conninfo = libpq_url(database_url)
        self.attempts = attempts
        self._conn: psycopg.Connection | None = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.conninfo)
        return self._conn

    def write(self, window: ScoredWindow) -> None:
        """Write with retries: a Postgres outage delays the final results, it never drops them."""
        delay = 0.2
        for attempt in range(self.attempts):
            try:
                with self._connection().transaction():
                    self._write(self._connection(), window)
                return
            except psycopg.OperationalError:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                if attempt == self.attempts - 1:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    @staticmethod
    def _write(conn: psycopg.Connection, window: ScoredWindow) -> None:
        weekend = window.weekend
        session = weekend.session
        points = session.points
        now = datetime.now(UTC)
        conn.execute(
            "INSERT INTO meeting (meeting_key, year, date_start) VALUES (%s, %s, %s)"
            " ON CONFLICT (meeting_key) DO NOTHING",
            (
                weekend.meeting_key,
                session.date_start.year if session.date_start else None,
                session.date_start,
            ),
        )
        conn.execute(
            "INSERT INTO race_session (session_key, meeting_key, name, date_start, date_end, state)"
            " VALUES (%s, %s, %s, %s, %s, 'final')"
            " ON CONFLICT (session_key) DO UPDATE SET name = EXCLUDED.name, date_start = EXCLUDED.date_start,"
            " date_end = EXCLUDED.date_end, state = 'final'",
            (
                points.session_key,
                weekend.meeting_key,
                session.session_name,
                session.date_start,
                session.date_end,
            ),
        )
        conn.execute("DELETE FROM asset_result WHERE session_key = %s", (points.session_key,))
        rows = [
            (points.session_key, kind, name, asset.total, json.dumps(asset.breakdown), True, now)
            for kind, assets in (("driver", points.drivers), ("constructor", points.constructors))
            for name, asset in assets.items()
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO asset_result (session_key, asset_kind, asset_name, points, breakdown,"
                " final, updated_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)",
                rows,
            )
        if window.teams is not None:
            FinalWriter._write_teams(conn, window)

    @staticmethod
    def _write_teams(conn: psycopg.Connection, window: ScoredWindow) -> None:
        assert window.teams is not None
        teams = window.teams
        points = window.weekend.session.points
        session_assets = {f"driver:{k}": v.total for k, v in points.drivers.items()}
        session_assets.update({f"constructor:{k}": v.total for k, v in points.constructors.items()})
        session_totals = teams.book.totals(session_assets)
        conn.execute("DELETE FROM team_result WHERE session_key = %s", (points.session_key,))
        table = pl.DataFrame(
            {
                "session_key": np.full(teams.book.size, points.session_key, dtype=np.int64),
                "team_id": teams.book.team_ids,
                "session_points": session_totals,
                "weekend_points": teams.totals,
                "rank": teams.ranks,
            }
        )
        buffer = io.BytesIO()
        table.write_csv(buffer, include_header=False, separator="\t")
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY team_result (session_key, team_id, session_points, weekend_points, rank) FROM STDIN"
            ) as copy,
        ):
            copy.write(buffer.getvalue())
