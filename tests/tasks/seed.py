"""Rows the notification and price tests start from: users with teams, weekends, results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg


def users_with_teams(conn: psycopg.Connection, count: int, second_team_every: int = 10) -> list[int]:
    """`count` users with a team each, every `second_team_every`-th one with a second team."""
    ids = [
        r[0]
        for r in conn.execute(
            "INSERT INTO user_account (email, display_name, password_hash, created_at, updated_at)"
            " SELECT 'player' || g || '@example.test', 'Player ' || g, 'not-a-hash', now(), now()"
            " FROM generate_series(1, %s) g RETURNING id",
            (count,),
        ).fetchall()
    ]
    conn.execute(
        "INSERT INTO team (user_id, name, created_at, updated_at)"
        " SELECT u, 'Team ' || u, now(), now() FROM unnest(%s::bigint[]) u"
        " UNION ALL SELECT u, 'Second team ' || u, now(), now() FROM unnest(%s::bigint[]) u",
        (ids, ids[::second_team_every]),
    )
    return sorted(ids)


def meeting(conn: psycopg.Connection, meeting_key: int, start: datetime, name: str) -> None:
    conn.execute(
        "INSERT INTO meeting (meeting_key, year, name, date_start) VALUES (%s, %s, %s, %s)",
        (meeting_key, 2025, name, start),
    )


def session(
    conn: psycopg.Connection, meeting_key: int, slot: int, name: str, start: datetime, state: str
) -> int:
    key = meeting_key * 10 + slot
    conn.execute(
        "INSERT INTO race_session (session_key, meeting_key, name, date_start, date_end, state)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (key, meeting_key, name, start, start + timedelta(hours=1), state),
    )
    return key


def team_results(conn: psycopg.Connection, session_key: int) -> None:
    """Every team scored in the session, as FinalWriter leaves it (in the session's own partition
    when team_result is partitioned by session, as migration 0004 makes it)."""
    partitioned = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
        " WHERE c.relname = 'team_result')"
    ).fetchone()
    if partitioned and partitioned[0]:
        key = int(session_key)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS team_result_{key} PARTITION OF team_result FOR VALUES IN ({key})"
        )
    conn.execute(
        "INSERT INTO team_result (session_key, team_id, session_points, weekend_points, rank)"
        " SELECT %s, id, (id * 7) %% 50, (id * 11) %% 90, row_number() OVER (ORDER BY id) FROM team",
        (session_key,),
    )


def finished_weekend(conn: psycopg.Connection, meeting_key: int, players: int) -> tuple[list[int], int]:
    """A weekend that just ended: Qualifying and Race final, every team scored in the Race."""
    users = users_with_teams(conn, players)
    now = datetime.now(UTC)
    meeting(conn, meeting_key, now - timedelta(days=2), "Test Grand Prix")
    session(conn, meeting_key, 3, "Qualifying", now - timedelta(days=1), "final")
    race = session(conn, meeting_key, 4, "Race", now - timedelta(hours=2), "final")
    team_results(conn, race)
    return users, race
