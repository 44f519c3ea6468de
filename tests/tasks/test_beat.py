"""Beat and a worker, no trigger from the engine: a weekend that just became final gets its
notifications and its price moves, and the next weekend's lock its reminders, each exactly once
however many times beat checks."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.tasks.conftest import Service, wait_for
from tests.tasks.inbox import MqttInbox, SmtpInbox
from tests.tasks.seed import finished_weekend, meeting, session, users_with_teams

PLAYERS = 25
PRICES = {  # (kind, name): (price before, points over the weekend, price after)
    ("driver", "VER"): (Decimal("30.0"), 40, Decimal("30.3")),  # 1.33 points per million: great
    ("driver", "NOR"): (Decimal("25.0"), 20, Decimal("24.9")),  # 0.8: poor
    ("driver", "HAD"): (Decimal("6.0"), -20, Decimal("5.4")),  # bad, and cheap: big step
    ("constructor", "McLaren"): (Decimal("30.0"), 60, Decimal("30.3")),
    ("constructor", "Alpine"): (Decimal("5.0"), 5, Decimal("5.2")),  # 1.0: good, and cheap
}


def test_beat_notifies_reminds_and_moves_prices(
    worker_env: dict[str, str],
    conn: psycopg.Connection,
    smtp: SmtpInbox,
    mqtt: MqttInbox | None,
    services: Callable[..., Service],
) -> None:
    users, race = finished_weekend(conn, 202580, PLAYERS)
    now = datetime.now(UTC)
    meeting(conn, 202581, now + timedelta(hours=10), "Next Grand Prix")
    lock = session(conn, 202581, 3, "Qualifying", now + timedelta(hours=10), "upcoming")
    session(conn, 202581, 4, "Race", now + timedelta(hours=34), "upcoming")
    meeting(conn, 202582, now + timedelta(days=8), "Later Grand Prix")
    session(conn, 202582, 3, "Qualifying", now + timedelta(days=8), "upcoming")
    for (kind, name), (price, points, _) in PRICES.items():
        conn.execute(
            "INSERT INTO asset_price (meeting_key, asset_kind, asset_name, price)"
            " VALUES (202580, %s, %s, %s)",
            (kind, name, price),
        )
        conn.execute(
            "INSERT INTO asset_result (session_key, asset_kind, asset_name, points, breakdown, final,"
            " updated_at) VALUES (%s, %s, %s, %s, '{}', true, now())",
            (race, kind, name, points),
        )

    env = {**worker_env, "BEAT_CHECK_S": "1", "REMINDER_HOURS": "24"}
    services("worker", env, "--concurrency", "2")
    services("beat", env)

    def delivered(kind: str) -> int:
        row = conn.execute(
            "SELECT count(*) FROM notification WHERE kind = %s"
            " AND (published_at IS NOT NULL OR NOT mqtt_due) AND emailed_at IS NOT NULL",
            (kind,),
        ).fetchone()
        return int(row[0]) if row else 0

    wait_for(lambda: delivered("results_final") == PLAYERS, 60, "beat to find the final race and notify")
    wait_for(lambda: delivered("lock_reminder") == PLAYERS, 30, "the lock reminders")

    def next_prices() -> dict[tuple[str, str], Decimal]:
        query = "SELECT asset_kind::text, asset_name, price FROM asset_price WHERE meeting_key = 202581"
        return {(k, n): p for k, n, p in conn.execute(query).fetchall()}

    wait_for(lambda: len(next_prices()) == len(PRICES), 30, "next week's prices")
    time.sleep(3)  # beat keeps checking every second: nothing more may happen

    assert next_prices() == {asset: after for asset, (_, _, after) in PRICES.items()}
    rows = conn.execute("SELECT kind, session_key, user_id FROM notification").fetchall()
    assert Counter((kind, key) for kind, key, _ in rows) == {
        ("results_final", race): PLAYERS,
        ("lock_reminder", lock): PLAYERS,
    }, "one per owner and event; nothing for the weekend that locks in 8 days"
    assert sorted({user for *_, user in rows}) == users
    assert set(smtp.per_recipient().values()) == {2}
    assert len(smtp.per_recipient()) == PLAYERS
    if mqtt is None:
        pytest.skip("no MQTT broker answered: rows and e-mails were checked, MQTT messages were not")
    ids = {r[0] for r in conn.execute("SELECT id FROM notification").fetchall()}
    wait_for(lambda: sum(mqtt.per_user(ids).values()) >= 2 * PLAYERS, 10, "the MQTT messages")
    assert mqtt.per_user(ids) == Counter(dict.fromkeys(users, 2))
    kinds = Counter(document["kind"] for _, document in mqtt.documents() if document["id"] in ids)
    assert kinds == {"results_final": PLAYERS, "lock_reminder": PLAYERS}


def test_beat_locks_the_rosters_once_the_first_scored_session_starts(
    worker_env: dict[str, str], conn: psycopg.Connection, services: Callable[..., Service]
) -> None:
    """The lock is beat's task (no API process runs): the selections of a weekend whose Qualifying
    started become its rosters, once; a weekend that starts next week stays open."""
    users_with_teams(conn, 6, second_team_every=2)
    conn.execute(
        "INSERT INTO team_selection (team_id, drivers, constructors, boost_driver, updated_at)"
        " SELECT id, ARRAY['VER', 'NOR', 'LEC', 'HAM', 'PIA'], ARRAY['McLaren', 'Ferrari'], 'NOR', now()"
        " FROM team"
    )
    teams = conn.execute("SELECT count(*) FROM team").fetchone()
    assert teams == (9,)
    now = datetime.now(UTC)
    meeting(conn, 202590, now - timedelta(minutes=5), "Started Grand Prix")
    session(conn, 202590, 3, "Qualifying", now - timedelta(minutes=1), "upcoming")
    session(conn, 202590, 4, "Race", now + timedelta(days=1), "upcoming")
    meeting(conn, 202591, now + timedelta(days=7), "Later Grand Prix")
    session(conn, 202591, 3, "Qualifying", now + timedelta(days=7), "upcoming")
    env = {**worker_env, "LOCK_CHECK_S": "1"}
    services("worker", env, "--concurrency", "1")
    services("beat", env)

    def rosters(meeting_key: int) -> int:
        row = conn.execute("SELECT count(*) FROM roster WHERE meeting_key = %s", (meeting_key,)).fetchone()
        return int(row[0]) if row else 0

    wait_for(lambda: rosters(202590) == 9, 60, "beat's lock task to write the weekend's rosters")
    time.sleep(3)  # beat keeps locking every second: nothing more may happen
    assert conn.execute("SELECT meeting_key, rosters FROM meeting_lock").fetchall() == [(202590, 9)]
    assert conn.execute("SELECT DISTINCT boost_driver FROM roster").fetchall() == [("NOR",)]
    assert rosters(202591) == 0


def test_a_second_beat_stands_by_until_the_first_stops(
    worker_env: dict[str, str], services: Callable[..., Service], tmp_path: Path
) -> None:
    env = {**worker_env, "BEAT_CHECK_S": "1"}
    beats = [
        services("beat", env),
        services("beat", {**env, "GRIDSCORE_DATA_DIR": str(tmp_path / "second")}),
    ]
    sending = lambda beat: "Sending due task" in beat.output()  # noqa: E731
    wait_for(lambda: any(map(sending, beats)), 30, "one beat to send tasks")
    active, standby = beats if sending(beats[0]) else beats[::-1]
    wait_for(lambda: "standing by" in standby.output(), 30, "the other beat to stand by")
    time.sleep(2)
    assert not sending(standby), "only one beat schedules"
    active.stop()
    wait_for(lambda: sending(standby), 30, "the standby to take over")
