"""The notification ledger: one row per (kind, session_key, user_id), created if absent, and one
`*_at` column per channel, set in the same transaction that holds the row locked while sending.

A fan-out that runs twice (a re-delivered task, beat's sweep) inserts nothing the second time and
finds nothing left to send; two deliveries racing for a row cannot both send it (SKIP LOCKED).
A results row says what the session's final results are when it is created, and is brought up to
date by later fan-outs until something of it has been sent (then it stays as sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

RESULTS_FINAL = "results_final"
LOCK_REMINDER = "lock_reminder"
LOCK_SESSIONS = ("Qualifying", "Sprint Qualifying", "Sprint Shootout")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row locked for sending on one channel; its `*_at` is already set in the open transaction."""

    id: int
    user_id: int
    kind: str
    session_key: int
    payload: dict[str, Any]
    created_at: datetime
    email: str


def create_results_final(conn: psycopg.Connection, session_key: int, mqtt: bool, email: bool) -> int:
    """`upsert_results_final`, counting the rows that are new."""
    return sum(1 for created, _ in upsert_results_final(conn, session_key, mqtt, email) if created)


def upsert_results_final(
    conn: psycopg.Connection, session_key: int, mqtt: bool, email: bool
) -> list[tuple[bool, int]]:
    """One row per owner of a team scored in a final session, with every such team's result; returns
    (new, user id) for each row written (new or brought up to date): whose inbox changed.

    The engine writes a session again when its classification changes (the rest of it arriving
    after a first batch, a correction, a replay after a crash), and announces it each time: a row
    that nothing has been sent for yet takes the new results, so that no owner is told superseded
    ones. A row being sent is locked by its delivery; this waits, then leaves it as it was sent."""
    rows = conn.execute(
        """
        INSERT INTO notification (user_id, kind, session_key, payload, mqtt_due, email_due,
                                  created_at, updated_at)
        SELECT t.user_id, %(kind)s, s.session_key,
               jsonb_build_object(
                   'session_key', s.session_key, 'session_name', s.name,
                   'meeting_key', s.meeting_key, 'meeting_name', m.name,
                   'teams', jsonb_agg(jsonb_build_object(
                       'team_id', t.id, 'team_name', t.name, 'session_points', r.session_points,
                       'weekend_points', r.weekend_points, 'rank', r.rank) ORDER BY t.id)),
               %(mqtt)s, %(email)s, now(), now()
        FROM race_session s
        JOIN team_result r ON r.session_key = s.session_key
        JOIN team t ON t.id = r.team_id
        LEFT JOIN meeting m ON m.meeting_key = s.meeting_key
        WHERE s.session_key = %(session_key)s AND s.state = 'final'
        GROUP BY t.user_id, s.session_key, s.name, s.meeting_key, m.name
        ON CONFLICT (kind, session_key, user_id) DO UPDATE
            SET payload = EXCLUDED.payload, updated_at = EXCLUDED.updated_at
            WHERE notification.published_at IS NULL AND notification.emailed_at IS NULL
              AND notification.payload IS DISTINCT FROM EXCLUDED.payload
        RETURNING (xmax = 0) AS created, user_id
        """,
        {"kind": RESULTS_FINAL, "session_key": session_key, "mqtt": mqtt, "email": email},
    ).fetchall()
    return [(bool(created), int(user_id)) for created, user_id in rows]


def create_lock_reminders(conn: psycopg.Connection, session_key: int, mqtt: bool, email: bool) -> list[int]:
    """One row per team owner for the session that locks a weekend (once per meeting and user);
    returns the ids of the rows created now."""
    rows = conn.execute(
        """
        INSERT INTO notification (user_id, kind, session_key, payload, mqtt_due, email_due,
                                  created_at, updated_at)
        SELECT t.user_id, %(kind)s, s.session_key,
               jsonb_build_object(
                   'session_key', s.session_key, 'session_name', s.name, 'meeting_key', s.meeting_key,
                   'meeting_name', m.name, 'lock_at', s.date_start, 'teams', count(*)),
               %(mqtt)s, %(email)s, now(), now()
        FROM race_session s
        CROSS JOIN team t
        LEFT JOIN meeting m ON m.meeting_key = s.meeting_key
        WHERE s.session_key = %(session_key)s
        GROUP BY t.user_id, s.session_key, s.name, s.meeting_key, m.name, s.date_start
        ON CONFLICT (kind, session_key, user_id) DO NOTHING
        RETURNING id
        """,
        {"kind": LOCK_REMINDER, "session_key": session_key, "mqtt": mqtt, "email": email},
    ).fetchall()
    return sorted(r[0] for r in rows)


def users_of(conn: psycopg.Connection, ids: Sequence[int]) -> list[int]:
    """The owners of these notification rows (whose inboxes they are in)."""
    if not ids:
        return []
    rows = conn.execute(
        "SELECT DISTINCT user_id FROM notification WHERE id = ANY(%s) ORDER BY user_id", (list(ids),)
    ).fetchall()
    return [int(r[0]) for r in rows]


def pending_ids(conn: psycopg.Connection, kind: str, session_key: int) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM notification WHERE kind = %s AND session_key = %s"
        " AND ((mqtt_due AND published_at IS NULL) OR (email_due AND emailed_at IS NULL)) ORDER BY id",
        (kind, session_key),
    ).fetchall()
    return [r[0] for r in rows]


def stale_pending_ids(
    conn: psycopg.Connection, older_than: timedelta, since: timedelta, limit: int = 10_000
) -> list[int]:
    """Rows still not sent long after they were created (their delivery task was lost or gave up),
    but not older than `since`: a notification days late is not worth sending."""
    rows = conn.execute(
        "SELECT id FROM notification"
        " WHERE ((mqtt_due AND published_at IS NULL) OR (email_due AND emailed_at IS NULL))"
        " AND created_at < now() - %s AND created_at > now() - %s ORDER BY id LIMIT %s",
        (older_than, since, limit),
    ).fetchall()
    return [r[0] for r in rows]


def sessions_to_notify(conn: psycopg.Connection, lookback: timedelta) -> list[int]:
    """Final sessions, ended within the lookback, with a scored team whose owner has no row yet."""
    rows = conn.execute(
        """
        SELECT s.session_key FROM race_session s
        WHERE s.state = 'final' AND coalesce(s.date_end, s.date_start) > now() - %s
          AND EXISTS (
              SELECT 1 FROM team_result r JOIN team t ON t.id = r.team_id
              WHERE r.session_key = s.session_key AND NOT EXISTS (
                  SELECT 1 FROM notification n
                  WHERE n.kind = %s AND n.session_key = s.session_key AND n.user_id = t.user_id))
        ORDER BY s.session_key
        """,
        (lookback, RESULTS_FINAL),
    ).fetchall()
    return [r[0] for r in rows]


def sessions_locking_soon(conn: psycopg.Connection, within: timedelta) -> list[int]:
    """Per meeting, the first session that locks teams, when it starts within the window."""
    rows = conn.execute(
        """
        SELECT session_key FROM (
            SELECT DISTINCT ON (meeting_key) session_key, date_start FROM race_session
            WHERE name = ANY(%s) AND date_start IS NOT NULL
            ORDER BY meeting_key, date_start) first
        WHERE first.date_start > now() AND first.date_start <= now() + %s
        ORDER BY session_key
        """,
        (list(LOCK_SESSIONS), within),
    ).fetchall()
    return [r[0] for r in rows]


def claim_mqtt(conn: psycopg.Connection, notification_id: int) -> Claimed | None:
    """Lock a row whose MQTT message is not sent and mark it sent, uncommitted: the caller sends,
    then commits. A crash before the commit rolls the mark back (the row is sent again)."""
    return _claim(conn, notification_id, "mqtt_due", "published_at")


def claim_email(conn: psycopg.Connection, notification_id: int) -> Claimed | None:
    return _claim(conn, notification_id, "email_due", "emailed_at")


_CLAIM = sql.SQL(
    """
    WITH claimed AS (
        SELECT id FROM notification WHERE id = %s AND {due} AND {sent} IS NULL FOR UPDATE SKIP LOCKED)
    UPDATE notification n SET {sent} = now(), updated_at = now()
    FROM claimed, user_account u
    WHERE n.id = claimed.id AND u.id = n.user_id
    RETURNING n.id, n.user_id, n.kind, n.session_key, n.payload, n.created_at, u.email
    """
)


def _claim(conn: psycopg.Connection, notification_id: int, due: str, sent: str) -> Claimed | None:
    query = _CLAIM.format(due=sql.Identifier(due), sent=sql.Identifier(sent))
    with conn.cursor(row_factory=class_row(Claimed)) as cur:
        return cur.execute(query, (notification_id,)).fetchone()


def drop_email(conn: psycopg.Connection, notification_id: int, reason: str) -> None:
    """The e-mail will never go (address refused, SMTP not configured): stop trying, keep why."""
    conn.execute(
        "UPDATE notification SET email_due = false, emailed_at = NULL, email_error = %s, updated_at = now()"
        " WHERE id = %s",
        (reason[:500], notification_id),
    )


def drop_mqtt(conn: psycopg.Connection, notification_id: int) -> None:
    """MQTT was switched off (NOTIFY_MQTT) after the row was created: stop waiting for it."""
    conn.execute(
        "UPDATE notification SET mqtt_due = false, published_at = NULL, updated_at = now() WHERE id = %s",
        (notification_id,),
    )


def chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]
