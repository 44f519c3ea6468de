"""The notification outbox: the engine records a final session in the transaction that commits its
results (store/outbox.py), and beat's relay (tasks.relay_outbox) queues the fan-out once the row has
been quiet for FINAL_SETTLE_S; a row written again is relayed again, a rolled-back one never, and
each owner is told once all the same (the ledger)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import psycopg
from bytewax.testing import run_main

from benchmarks.replay import prepare_teams
from dataflows.assemble import store_flow
from gridscore.base.settings import Settings
from ingest.feeds import summarise
from store.outbox import record_final_results
from store.urls import libpq_url
from tasks.notify import FINAL_SETTLE_S
from tests.conftest import FEEDS
from tests.tasks.conftest import Service, wait_for
from tests.tasks.inbox import MqttInbox, SmtpInbox
from tests.tasks.seed import finished_weekend, session, team_results

PLAYERS = 40
JAPAN = FEEDS / "2025-03-japan.jsonl"


def outbox(conn: psycopg.Connection) -> dict[int, bool]:
    """{session key: relayed} of every results row in the outbox."""
    rows = conn.execute(
        "SELECT session_key, relayed_at IS NOT NULL FROM notification_outbox WHERE kind = 'results_final'"
    ).fetchall()
    return {int(key): bool(relayed) for key, relayed in rows}


def notified(conn: psycopg.Connection) -> Counter[tuple[int, int]]:
    rows = conn.execute(
        "SELECT session_key, user_id FROM notification"
        " WHERE kind = 'results_final' AND emailed_at IS NOT NULL"
    ).fetchall()
    return Counter((int(key), int(user)) for key, user in rows)


def test_the_relay_tells_each_owner_once_of_what_the_engine_committed(
    worker_env: dict[str, str],
    conn: psycopg.Connection,
    smtp: SmtpInbox,
    mqtt: MqttInbox | None,
    services: Callable[..., Service],
) -> None:
    users, race = finished_weekend(conn, 202595, PLAYERS)
    with conn.transaction():  # as FinalWriter does, with the session's results
        record_final_results(conn, race)
    rolled_back = session(conn, 202595, 5, "Sprint", race_start(conn, race), "final")
    team_results(conn, rolled_back)
    try:  # as FinalWriter does, and then the transaction fails
        with conn.transaction():
            record_final_results(conn, rolled_back)
            raise RuntimeError("the engine's transaction did not commit")
    except RuntimeError:
        pass
    assert outbox(conn) == {race: False}

    # Beat's sweep (BEAT_CHECK_S) would find the final sessions on its own: keep it out of the way.
    env = {**worker_env, "BEAT_CHECK_S": "3600"}
    services("worker", env, "--concurrency", "2")
    services("beat", env)
    wait_for(lambda: len(notified(conn)) == PLAYERS, 60, "the relayed fan-out to e-mail every owner")
    assert outbox(conn) == {race: True}
    assert notified(conn) == Counter({(race, user): 1 for user in users})

    # A correction: the engine writes the session again; relayed again, nobody told twice.
    with conn.transaction():
        record_final_results(conn, race)
    assert outbox(conn) == {race: False}
    wait_for(lambda: outbox(conn) == {race: True}, 30, "the rewritten row to be relayed")
    waited = conn.execute(
        "SELECT extract(epoch FROM relayed_at - written_at) FROM notification_outbox WHERE session_key = %s",
        (race,),
    ).fetchone()
    assert waited is not None
    assert float(waited[0]) >= FINAL_SETTLE_S, "relayed before the row was quiet"
    time.sleep(2)  # the second fan-out's deliveries, had it any to make
    assert notified(conn) == Counter({(race, user): 1 for user in users})
    assert set(smtp.per_recipient().values()) == {1}, "one e-mail per owner"
    assert len(smtp.per_recipient()) == PLAYERS
    assert all(key == race for key, _ in notified(conn)), "nothing for the rolled-back session"


def race_start(conn: psycopg.Connection, race: int) -> datetime:
    row = conn.execute("SELECT date_start FROM race_session WHERE session_key = %s", (race,)).fetchone()
    assert row is not None
    return row[0]


def test_the_engine_records_each_final_session_with_its_results(db: str, redis_url: str) -> None:
    """A replay with notifications on: one outbox row per session it wrote teams' results for, none
    relayed yet (no worker here); with them off (no broker configured), none."""
    summary = summarise([JAPAN])
    meeting = summary.meeting_keys[0]
    book = prepare_teams(db, meeting, summary.drivers, summary.constructors, 50, "f1fantasy-2025")
    run_main(store_flow(db, redis_url, [JAPAN], Settings(), book=book, meeting_key=meeting))
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        assert outbox(conn) == {}, "notifications off: nothing for a worker"
        scored = {r[0] for r in conn.execute("SELECT DISTINCT session_key FROM team_result").fetchall()}
        assert len(scored) >= 2, "Qualifying and the Race at least"

    run_main(
        store_flow(db, redis_url, [JAPAN], Settings(redis_url=redis_url), book=book, meeting_key=meeting)
    )
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        assert outbox(conn) == dict.fromkeys(scored, False)
