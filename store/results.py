"""Write final results to Postgres when a session's classification lands (and again on corrections).

One transaction per session: meeting and session rows upserted (store/calendar.py), asset points
replaced, every team's result replaced through COPY and, with `outbox` on, the owners' notification
recorded in the outbox (store/outbox.py) for the worker to relay. Re-running it with the same input
leaves the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import psycopg

from scoring.order import finishing_positions
from scoring.outcomes import ScoredWindow
from store.calendar import MeetingRow, SessionRow, upsert_meetings, upsert_sessions
from store.outages import POSTGRES
from store.outbox import record_final_results
from store.urls import libpq_url


class FinalWriter:
    def __init__(self, database_url: str, outbox: bool = False) -> None:
        self.conninfo = libpq_url(database_url)
        self.outbox = outbox
        self._conn: psycopg.Connection | None = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.conninfo)
        return self._conn

    def write(self, window: ScoredWindow) -> None:
        """Write, waiting out a PostgreSQL outage however long (store/outages.py): an outage delays
        the final results, it never drops them."""
        key = window.weekend.session.points.session_key
        POSTGRES.call(lambda: self._attempt(window), f"final results of session {key}")

    def _attempt(self, window: ScoredWindow) -> None:
        try:
            with self._connection().transaction():
                self._write(self._connection(), window)
                if self.outbox and window.final is not None:
                    record_final_results(self._connection(), window.weekend.session.points.session_key)
        except psycopg.OperationalError:
            if self._conn is not None:
                self._conn.close()
            self._conn = None  # a new connection for the next attempt
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    @staticmethod
    def _write(conn: psycopg.Connection, window: ScoredWindow) -> None:
        weekend = window.weekend
        session = weekend.session
        points = session.points
        now = datetime.now(UTC)
        year = session.date_start.year if session.date_start else None
        upsert_meetings(
            conn, [MeetingRow(weekend.meeting_key, year, None, None, None, session.date_start)], replace=False
        )
        # Final; a schedule seeded or synced before (api-seed --start-at, the calendar sync) is kept.
        upsert_sessions(
            conn,
            [
                SessionRow(
                    points.session_key,
                    weekend.meeting_key,
                    session.session_name,
                    session.date_start,
                    session.date_end,
                )
            ],
            final=True,
        )
        conn.execute("DELETE FROM asset_result WHERE session_key = %s", (points.session_key,))
        positions = dict(zip(("driver", "constructor"), finishing_positions(session.order), strict=True))
        rows = [
            (
                points.session_key,
                kind,
                name,
                asset.total,
                json.dumps(asset.breakdown),
                True,
                now,
                positions[kind].get(name),
            )
            for kind, assets in (("driver", points.drivers), ("constructor", points.constructors))
            for name, asset in assets.items()
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO asset_result (session_key, asset_kind, asset_name, points, breakdown,"
                " final, updated_at, position) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s)",
                rows,
            )
        if window.final is not None:
            FinalWriter._write_teams(conn, window)

    @staticmethod
    def _write_teams(conn: psycopg.Connection, window: ScoredWindow) -> None:
        """Load every team's row, as the flow scored it (ScoredWindow.final), into a fresh partition,
        index it, and swap it in for the old one."""
        final = window.final
        assert final is not None
        key = int(window.weekend.session.points.session_key)
        partition, loading = f"team_result_{key}", f"team_result_{key}_loading"
        conn.execute(f"DROP TABLE IF EXISTS {loading}")
        conn.execute(
            f"CREATE TABLE {loading} (LIKE team_result INCLUDING DEFAULTS,"
            f" CONSTRAINT {loading}_session CHECK (session_key = {key}))"
        )
        pieces = binary_copy_pieces(
            key, final.team_ids, final.session_points, final.weekend_points, final.ranks
        )
        with conn.cursor() as cur, cur.copy(f"COPY {loading} FROM STDIN (FORMAT binary)") as copy:
            for piece in pieces:
                copy.write(piece)
        # The key's index sorted in memory, not in temporary files (64 MB, the server's default, holds
        # about two million rows' keys; ten million spilled to disk).
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute(f"ALTER TABLE {loading} ADD CONSTRAINT {loading}_pk PRIMARY KEY (session_key, team_id)")
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (partition,)).fetchone()
        if exists and exists[0]:
            conn.execute(f"ALTER TABLE team_result DETACH PARTITION {partition}")
            conn.execute(f"DROP TABLE {partition}")
        conn.execute(f"ALTER TABLE {loading} RENAME TO {partition}")
        conn.execute(f"ALTER INDEX {loading}_pk RENAME TO {partition}_pk")
        conn.execute(f"ALTER TABLE team_result ATTACH PARTITION {partition} FOR VALUES IN ({key})")


_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("session_len", ">i4"),
        ("session_key", ">i4"),
        ("team_len", ">i4"),
        ("team_id", ">i8"),
        ("session_points_len", ">i4"),
        ("session_points", ">i4"),
        ("weekend_points_len", ">i4"),
        ("weekend_points", ">i4"),
        ("rank_len", ">i4"),
        ("rank", ">i4"),
    ]
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


# Rows encoded at a time: 9 MB, never the whole weekend's. Each piece goes to COPY as a view of its
# rows (psycopg queues a large write in slices: bytes would be copied twice more, and a piece of a
# million rows was the peak of a sharded weekend's merging process).
COPY_PIECE_ROWS = 200_000


def binary_copy_pieces(
    session_key: int,
    team_ids: np.ndarray,
    session_points: np.ndarray,
    weekend_points: np.ndarray,
    ranks: np.ndarray,
) -> Iterator[bytes | memoryview]:
    """team_result rows in PostgreSQL's binary COPY format, built by numpy COPY_PIECE_ROWS rows at a
    time (no text; ten million rows at once were half a gigabyte, twice over)."""
    yield _COPY_HEADER
    for start in range(0, team_ids.size, COPY_PIECE_ROWS):
        part = slice(start, start + COPY_PIECE_ROWS)
        rows = np.empty(team_ids[part].size, dtype=_COPY_ROW)
        rows["fields"] = 5
        for name, size in (
            ("session", 4),
            ("team", 8),
            ("session_points", 4),
            ("weekend_points", 4),
            ("rank", 4),
        ):
            rows[f"{name}_len"] = size
        rows["session_key"] = session_key
        rows["team_id"] = team_ids[part]
        rows["session_points"] = session_points[part]
        rows["weekend_points"] = weekend_points[part]
        rows["rank"] = ranks[part]
        yield rows.view(np.uint8).data
    yield _COPY_TRAILER
