"""The notifications inbox over real HTTP: the rows the Celery fan-out writes, listed newest first and
paginated, an unread count, marking read (one, all; only one's own), and new ones pushed on the player's
live stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import httpx
import psycopg
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from store.urls import libpq_url
from tests.api.helpers import JAPAN, register, seed_weekend
from tests.api.server import serving
from tests.api.sse import EventReader

QUALIFYING, RACE = 2025033, 2025034


def notify(database_url: str, user_id: int, kind: str, session_key: int, points: int) -> None:
    """What the Celery fan-out writes (tasks/notify.py): one row per owner and event."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO notification (user_id, kind, session_key, payload, mqtt_due, email_due,"
            " created_at, updated_at) VALUES (%s, %s, %s, %s, true, false, now(), now())",
            (user_id, kind, session_key, json.dumps({"points": points})),
        )


def test_the_inbox_lists_counts_and_marks_read(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=-1)
    alice, bob = register(api), register(api)
    notify(db, alice.id, "results_final", QUALIFYING, 31)
    notify(db, alice.id, "results_final", RACE, 58)
    notify(db, bob.id, "results_final", RACE, 12)
    page = api.get("/api/notifications", params={"limit": 1}, headers=alice.headers).json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 0)
    newest = page["items"][0]
    assert (newest["session_key"], newest["payload"], newest["read_at"]) == (RACE, {"points": 58}, None)
    assert api.get("/api/notifications/unread", headers=alice.headers).json() == {"unread": 2}

    mark = f"/api/notifications/{newest['id']}/read"
    assert api.post(mark, headers=bob.headers).json()["code"] == "not_found"  # not bob's
    assert api.post(mark, headers=alice.headers).status_code == 204
    assert api.get("/api/notifications/unread", headers=alice.headers).json() == {"unread": 1}
    unread = api.get("/api/notifications", params={"unread": True}, headers=alice.headers).json()
    assert [n["session_key"] for n in unread["items"]] == [QUALIFYING]
    assert api.post("/api/notifications/read-all", headers=alice.headers).json() == {"marked": 1}
    assert api.get("/api/notifications/unread", headers=alice.headers).json() == {"unread": 0}
    assert api.get("/api/notifications/unread", headers=bob.headers).json() == {"unread": 1}


@pytest.fixture
def quick_url(api_config: ApiConfig, db: str, redis_client: redis.Redis) -> Iterator[str]:
    config = replace(api_config, live_keepalive_s=1.0, live_push_interval_s=0.2, live_stream_max_s=30.0)
    with serving(create_app(config, locker_interval_s=None)) as url:
        yield url


def test_new_notifications_are_pushed_on_the_players_stream(quick_url: str, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=-1)
    with httpx.Client(base_url=quick_url, timeout=10) as api:
        alice, bob = register(api), register(api)
        ticket = api.post("/api/live/tickets", headers=alice.headers).json()["ticket"]
        with api.stream("GET", "/api/live/notifications", params={"ticket": ticket}) as response:
            assert response.status_code == 200
            events = EventReader(response)
            first = events.next_event()
            assert first.event == "inbox"
            assert first.json() == {"unread": 0, "latest": None}
            notify(db, bob.id, "results_final", RACE, 5)  # someone else's: not on alice's stream
            notify(db, alice.id, "results_final", RACE, 58)
            pushed = events.until(lambda m: m.json()["unread"] == 1, timeout_s=8)[-1].json()
            assert pushed["latest"]["payload"] == {"points": 58}
            assert all(
                e.json()["latest"] is None or e.json()["latest"]["payload"] != {"points": 5}
                for e in events.seen
                if e.data
            )
