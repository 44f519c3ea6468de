"""What a notification says on MQTT and by e-mail; and the API's read functions."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from api.domain.notifications.services import Inbox
from api.errors import NotFound
from store.notify_ledger import LOCK_REMINDER, RESULTS_FINAL, Claimed, create_results_final
from store.urls import async_url
from tasks.messages import email_message, mqtt_document, topic
from tests.tasks.seed import finished_weekend

RESULT = Claimed(
    id=41,
    user_id=7,
    kind=RESULTS_FINAL,
    session_key=2025044,
    payload={
        "meeting_name": "Bahrain Grand Prix",
        "session_name": "Race",
        "teams": [{"team_name": "Box Box", "session_points": 61, "weekend_points": 93, "rank": 12}],
    },
    created_at=datetime(2025, 4, 13, 16, 40, tzinfo=UTC),
    email="player@example.test",
)


def test_mqtt_document_carries_the_notification_id() -> None:
    assert topic(7) == "f1/notifications/7"
    document = json.loads(mqtt_document(RESULT))
    assert document == {
        "id": 41,
        "kind": "results_final",
        "session_key": 2025044,
        "created_at": "2025-04-13T16:40:00+00:00",
        "payload": RESULT.payload,
    }


def test_email_says_what_is_final_with_a_stable_message_id() -> None:
    message = email_message(RESULT, "gridscore@example.test")
    assert message["Message-ID"] == "<notification-41@gridscore>"
    assert message["To"] == "player@example.test"
    assert message["Subject"] == "Final results: Bahrain Grand Prix, Race"
    assert "Box Box: 61 points in the session, 93 this weekend, rank 12." in message.get_content()
    reminder = Claimed(
        42, 7, LOCK_REMINDER, 2025053, {"meeting_name": "Japanese Grand Prix", "session_name": "Qualifying"},
        RESULT.created_at, RESULT.email,
    )  # fmt: skip
    assert (
        email_message(reminder, "gridscore@example.test")["Subject"] == "Teams lock soon: Japanese Grand Prix"
    )


def test_results_rows_are_created_once_per_owner(conn: psycopg.Connection) -> None:
    users, race = finished_weekend(conn, 202560, 12)
    assert create_results_final(conn, race, mqtt=True, email=True) == 12
    assert create_results_final(conn, race, mqtt=True, email=True) == 0
    teams = conn.execute(
        "SELECT user_id, jsonb_array_length(payload->'teams') FROM notification ORDER BY user_id"
    ).fetchall()
    assert [u for u, _ in teams] == users
    assert dict(teams)[users[0]] == 2, "an owner of two teams gets one notification about both"


def test_api_reads_a_users_notifications(conn: psycopg.Connection, db: str) -> None:
    users, race = finished_weekend(conn, 202561, 3)
    conn.execute("UPDATE race_session SET state = 'final' WHERE meeting_key = 202561")
    create_results_final(conn, race, mqtt=False, email=False)
    create_results_final(conn, race - 1, mqtt=False, email=False)  # the Qualifying: no team results
    qualifying_row = conn.execute(
        "INSERT INTO notification (user_id, kind, session_key, payload, mqtt_due, email_due, created_at,"
        " updated_at) VALUES (%s, 'results_final', %s, '{}', false, false, now(), now()) RETURNING id",
        (users[0], race - 1),
    ).fetchone()
    assert qualifying_row is not None

    async def read() -> None:
        engine = create_async_engine(async_url(db))
        try:
            async with AsyncSession(engine) as session:
                inbox = Inbox(session)  # what GET/POST /api/notifications... run
                mine, total = await inbox.page(users[0], False, 0, 50)
                assert total == 2
                assert [n.id for n in mine] == sorted((n.id for n in mine), reverse=True)
                assert {n.session_key for n in mine} == {race, race - 1}
                page, _ = await inbox.page(users[0], False, 1, 1)
                assert [n.id for n in page] == [mine[1].id]
                assert await inbox.unread(users[0]) == 2
                others, _ = await inbox.page(users[1], False, 0, 50)
                with pytest.raises(NotFound):
                    await inbox.mark(users[0], others[0].id)
                await inbox.mark(users[0], mine[0].id)
                await session.commit()
                unread, _ = await inbox.page(users[0], True, 0, 50)
                assert [n.id for n in unread] == [mine[1].id]
                assert await inbox.unread(users[1]) == 1, "another user's row is not touched"
        finally:
            await engine.dispose()

    asyncio.run(read())
