"""A worker SIGKILLed in the middle of a notification fan-out, then restarted: every team owner gets
exactly one row, one MQTT message and one e-mail.

The fan-out is queued the way the engine will queue it (`tasks.notify.announce_final`, from a
process of its own). Redis re-delivers what the dead worker had taken after the visibility timeout
(4 s here); the ledger turns those re-deliveries into no-ops.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable

import psycopg
import pytest
import redis

from tests.tasks.conftest import Service, wait_for
from tests.tasks.inbox import MqttInbox, SmtpInbox
from tests.tasks.seed import finished_weekend

PLAYERS = 300
CONCURRENCY = "2"


def announce(env: dict[str, str], session_key: int) -> None:
    code = f"import sys, tasks.notify as n; sys.exit(0 if n.announce_final({session_key}) else 1)"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def ledger(conn: psycopg.Connection) -> tuple[int, int, int]:
    row = conn.execute("SELECT count(*), count(published_at), count(emailed_at) FROM notification").fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def broker_drained(broker: redis.Redis) -> bool:
    """Nothing queued and nothing taken but unacknowledged (which would come back)."""
    return broker.llen("celery") == 0 and broker.zcard("unacked_index") == 0


def expected(conn: psycopg.Connection) -> tuple[dict[str, int], set[int], dict[int, int]]:
    rows = conn.execute(
        "SELECT u.email, n.id, n.user_id FROM notification n JOIN user_account u ON u.id = n.user_id"
    ).fetchall()
    return {email: 1 for email, _, _ in rows}, {nid for _, nid, _ in rows}, {uid: 1 for _, _, uid in rows}


def finish_after_restart(
    env: dict[str, str],
    conn: psycopg.Connection,
    broker: redis.Redis,
    smtp: SmtpInbox,
    mqtt: MqttInbox | None,
    services: Callable[..., Service],
) -> None:
    services("worker", env, "--concurrency", CONCURRENCY)
    mqtt_due = mqtt is not None
    wait_for(
        lambda: ledger(conn) == (PLAYERS, PLAYERS if mqtt_due else 0, PLAYERS),
        60,
        "every row sent after restart",
    )
    wait_for(lambda: broker_drained(broker), 60, "re-delivered tasks to run and be acknowledged")
    wait_for(lambda: smtp.count() >= PLAYERS, 10, "the e-mails")


def test_killed_mid_fan_out_delivers_each_notification_exactly_once(
    worker_env: dict[str, str],
    conn: psycopg.Connection,
    redis_client: redis.Redis,
    smtp: SmtpInbox,
    mqtt: MqttInbox | None,
    services: Callable[..., Service],
) -> None:
    users, race = finished_weekend(conn, 202590, PLAYERS)
    # After 120 e-mails the SMTP server stops answering RCPT: each worker process then waits in the
    # middle of a row (its MQTT message sent and committed, its e-mail not handed over yet).
    smtp.hold_after = 120
    worker = services("worker", worker_env, "--concurrency", CONCURRENCY)
    announce(worker_env, race)
    wait_for(lambda: smtp.held >= int(CONCURRENCY), 60, "both worker processes to be mid fan-out")
    worker.kill()
    smtp.release()

    rows, published, emailed = ledger(conn)
    assert rows == PLAYERS, "one row per owner, inserted before any send"
    assert emailed == smtp.count() >= 120, "every e-mail the server took is marked, and only those"
    assert emailed < PLAYERS, "the kill came mid fan-out"
    if mqtt is not None:
        assert 0 < published < PLAYERS, f"the kill came mid fan-out ({published} of {PLAYERS} published)"

    finish_after_restart(worker_env, conn, redis_client, smtp, mqtt, services)
    emails, ids, per_user = expected(conn)
    assert sorted(per_user) == users
    assert smtp.per_recipient() == Counter(emails), "exactly one e-mail per owner"
    if mqtt is None:
        pytest.skip("no MQTT broker answered: rows and e-mails were checked, MQTT messages were not")
    wait_for(lambda: sum(mqtt.per_user(ids).values()) >= PLAYERS, 10, "the MQTT messages")
    assert mqtt.per_user(ids) == Counter(per_user), "exactly one MQTT message per owner"


def test_kill_at_any_moment_loses_nothing_and_duplicates_at_most_the_sends_in_flight(
    worker_env: dict[str, str],
    conn: psycopg.Connection,
    redis_client: redis.Redis,
    smtp: SmtpInbox,
    mqtt: MqttInbox | None,
    services: Callable[..., Service],
) -> None:
    """No gate: the kill lands wherever the worker is, possibly between a receiver's acknowledgement
    and our commit, the one window that can repeat a message (one per channel and process)."""
    _, race = finished_weekend(conn, 202591, PLAYERS)
    worker = services("worker", worker_env, "--concurrency", CONCURRENCY)
    announce(worker_env, race)
    wait_for(lambda: smtp.count() >= 100, 60, "a third of the e-mails")
    worker.kill()
    assert ledger(conn)[2] < PLAYERS, "the kill came mid fan-out"

    finish_after_restart(worker_env, conn, redis_client, smtp, mqtt, services)
    emails, ids, per_user = expected(conn)
    received = smtp.per_recipient()
    print(f"duplicates after a kill at a random moment: {sum(received.values()) - PLAYERS} e-mail(s)", end="")
    assert set(received) == set(emails), "no e-mail lost"
    assert sum(received.values()) - PLAYERS <= int(CONCURRENCY), (
        f"duplicates beyond the in-flight sends: {received}"
    )
    if mqtt is None:
        pytest.skip("no MQTT broker answered: rows and e-mails were checked, MQTT messages were not")
    wait_for(lambda: set(mqtt.per_user(ids)) == set(per_user), 10, "every owner's MQTT message")
    published = sum(mqtt.per_user(ids).values())
    print(f", {published - PLAYERS} MQTT message(s)")
    assert published - PLAYERS <= int(CONCURRENCY)
