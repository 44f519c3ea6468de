"""Notification tasks: fan-outs that fill the ledger, and deliveries that send what it says is due.

How the worker learns that a session became final, twice over: the engine records it in the
notification outbox in the transaction that commits the session's results (store/outbox.py), and
`relay_outbox` (beat, every OUTBOX_POLL_S) queues the fan-out once the row has been quiet for
FINAL_SETTLE_S; beat's sweep (`sweep_final_results`, every BEAT_CHECK_S) finds final sessions with
owners not yet notified. Either may run any number of times: the ledger makes the second one a
no-op for what was sent, and brings what was not up to date.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Sequence
from datetime import timedelta

import psycopg

from store.inbox_push import announce_inbox_at
from store.notify_ledger import (
    RESULTS_FINAL,
    chunks,
    create_lock_reminders,
    pending_ids,
    sessions_locking_soon,
    sessions_to_notify,
    stale_pending_ids,
    upsert_results_final,
    users_of,
)
from store.outbox import claim_quiet, mark_relayed
from tasks.app import app
from tasks.delivery import email_due, publish_due
from tasks.mailer import Mailer
from tasks.mqtt_out import MqttError, MqttPublisher
from tasks.runtime import connect, settings
from tasks.schedule import PRICES_TASK, RELAY_OUTBOX_TASK, REMIND_TASK, SWEEP_RESULTS_TASK

log = logging.getLogger(__name__)

SESSION_FINAL_TASK = "tasks.session_final"
DELIVER_TASK = "tasks.deliver"
STALE_AFTER_CHECKS = 5  # a row still unsent after this many beat periods is dispatched again
# A classification arrives as one message per driver, and the engine writes the session (and
# records it in the outbox) after each batch of them: its first "final" write may hold part of it
# only. The fan-out waits until the session has not been written for this long, so that owners are
# told the whole of it. Keep it under CELERY_VISIBILITY_TIMEOUT_S (Redis re-delivers an
# unacknowledged task after that).
FINAL_SETTLE_S = 3.0

_RETRY = {"retry_backoff": 2, "retry_backoff_max": 300, "retry_jitter": True, "max_retries": 10}


@app.task(name=SESSION_FINAL_TASK, autoretry_for=(psycopg.OperationalError,), **_RETRY)
def session_final(session_key: int) -> int:
    """A session's results are final: one row per affected team owner, then deliveries in chunks."""
    s = settings()
    with connect() as conn:
        with conn.transaction():
            written = upsert_results_final(conn, session_key, s.notify_mqtt, bool(s.smtp_host))
        created = sum(1 for new, _ in written if new)
        push_inbox([user_id for _, user_id in written])  # committed: the streams read them now
        ids = pending_ids(conn, RESULTS_FINAL, session_key)
        race = conn.execute(
            "SELECT meeting_key FROM race_session"
            " WHERE session_key = %s AND name = 'Race' AND state = 'final'",
            (session_key,),
        ).fetchone()
    fan_out(ids)
    if race is not None:
        app.send_task(PRICES_TASK, args=(race[0],))
    log.info("session %s final: %d new notifications, %d to deliver", session_key, created, len(ids))
    return len(ids)


@app.task(
    name=DELIVER_TASK,
    autoretry_for=(psycopg.OperationalError, MqttError, smtplib.SMTPException, OSError),
    **_RETRY,
)
def deliver_chunk(ids: list[int]) -> tuple[int, int]:
    """Each channel on its own: a broker that is down does not hold the e-mails back, nor the
    reverse. A failed channel fails the task afterwards, and the retry sends only what is still due."""
    s = settings()
    failures: list[Exception] = []
    published = emailed = 0
    with connect() as conn:
        try:
            with MqttPublisher(s) if s.notify_mqtt else contextlib.nullcontext() as publisher:
                published = publish_due(conn, ids, publisher, s.mqtt_notification_prefix)
        except (MqttError, OSError) as exc:
            failures.append(exc)
        try:
            with Mailer(s) if s.smtp_host else contextlib.nullcontext() as mailer:
                emailed = email_due(conn, ids, mailer, s.smtp_from)
        except (smtplib.SMTPException, OSError) as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
    return published, emailed


@app.task(name=SWEEP_RESULTS_TASK)
def sweep_final_results() -> int:
    """Beat's safety net: final sessions nobody announced, and rows whose delivery was lost."""
    s = settings()
    with connect() as conn:
        sessions = sessions_to_notify(conn, timedelta(hours=s.notify_lookback_h))
        stale = stale_pending_ids(
            conn, timedelta(seconds=STALE_AFTER_CHECKS * s.beat_check_s), timedelta(hours=s.notify_lookback_h)
        )
    for session_key in sessions:
        session_final.delay(session_key)
    fan_out(stale)
    return len(sessions) + len(stale)


@app.task(name=REMIND_TASK)
def remind_team_lock() -> int:
    """Owners hear once per weekend, REMINDER_HOURS before their teams lock."""
    s = settings()
    created: list[int] = []
    with connect() as conn:
        for session_key in sessions_locking_soon(conn, timedelta(hours=s.reminder_hours)):
            with conn.transaction():
                created += create_lock_reminders(conn, session_key, s.notify_mqtt, bool(s.smtp_host))
        push_inbox(users_of(conn, created))
    fan_out(created)
    return len(created)


def push_inbox(user_ids: Sequence[int]) -> None:
    """New rows reach their owners' open inbox streams at once (store/inbox_push.py); never raises."""
    url = settings().redis_url
    if url and user_ids:
        announce_inbox_at(url, user_ids)


def fan_out(ids: Sequence[int]) -> None:
    for chunk in chunks(ids, settings().notify_chunk_size):
        deliver_chunk.delay(chunk)


@app.task(name=RELAY_OUTBOX_TASK)
def relay_outbox() -> int:
    """Queue the fan-out of every session the engine recorded in the outbox and has not written again
    for FINAL_SETTLE_S, and mark it relayed in the transaction that claimed it. A crash between the
    two relays it again: the ledger sends each notice once all the same."""
    with connect() as conn, conn.transaction():
        claimed = claim_quiet(conn, RESULTS_FINAL, timedelta(seconds=FINAL_SETTLE_S))
        relayed = [key for key in claimed if announce_final(key, countdown=0.0)]
        mark_relayed(conn, RESULTS_FINAL, relayed)  # what could not be queued stays for the next run
    return len(relayed)


def announce_final(session_key: int, countdown: float = FINAL_SETTLE_S) -> bool:
    """Queue a session's fan-out, `countdown` seconds from now (the outbox relay, or by hand). Never
    raises: with the broker down, the outbox row stays to be relayed, and beat's sweep still finds
    the session within BEAT_CHECK_S."""
    try:
        session_final.apply_async(
            (session_key,),
            countdown=countdown,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2},
        )
    except Exception:  # the engine must not stop for the broker
        log.warning("could not queue notifications for session %s", session_key, exc_info=True)
        return False
    return True
