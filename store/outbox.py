"""The notification outbox (table notification_outbox, see store.models.NotificationOutbox): the
final-results writer records an event in its own transaction; the worker's relay claims the events
that have been quiet long enough and marks them relayed in the transaction that claimed them.

Relaying twice (a crash between queuing the fan-out and committing) is harmless: the fan-out goes
through the notification ledger (store/notify_ledger.py), which sends each notice once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import psycopg

from store.notify_ledger import RESULTS_FINAL


def record_final_results(conn: psycopg.Connection, session_key: int) -> None:
    """In the transaction that writes a session's final results: its owners are to be told (again,
    if they were told an earlier write's results; the ledger keeps what was sent as sent)."""
    conn.execute(
        "INSERT INTO notification_outbox (kind, session_key, written_at) VALUES (%s, %s, now())"
        " ON CONFLICT (kind, session_key) DO UPDATE SET written_at = now(), relayed_at = NULL",
        (RESULTS_FINAL, session_key),
    )


def claim_quiet(conn: psycopg.Connection, kind: str, quiet: timedelta, limit: int = 1000) -> list[int]:
    """Session keys of `kind` events not relayed and not written again for `quiet`, locked until the
    caller's transaction ends (another relay skips them)."""
    rows = conn.execute(
        "SELECT session_key FROM notification_outbox"
        " WHERE kind = %s AND relayed_at IS NULL AND written_at <= now() - %s"
        " ORDER BY written_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (kind, quiet, limit),
    ).fetchall()
    return [r[0] for r in rows]


def mark_relayed(conn: psycopg.Connection, kind: str, session_keys: Sequence[int]) -> None:
    conn.execute(
        "UPDATE notification_outbox SET relayed_at = now() WHERE kind = %s AND session_key = ANY(%s)",
        (kind, list(session_keys)),
    )
