"""The notifications inbox over real HTTP: the rows the Celery fan-out writes, listed newest first and
paginated, an unread count, marking read (one, all; only one's own), and new ones pushed on the player's
live stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from celery import Celery

from api.app import create_app
from api.config import ApiConfig
from store.urls import libpq_url
from tests.api.helpers import JAPAN, create_team, register, seed_weekend
from tests.api.mailbox import celery_worker
from tests.api.server import serving
from tests.api.sse import EventReader

QUALIFYING, RACE = 2025033, 2025034
REMIND_TASK = "tasks.remind_team_lock"  # what beat runs every BEAT_CHECK_S


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
    with serving(create_app(config)) as url:
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


@pytest.fixture
def patient_url(api_config: ApiConfig, db: str, redis_client: redis.Redis) -> Iterator[str]:
    """Streams that re-read only every 5 minutes: what arrives sooner was pushed by its writer."""
    config = replace(api_config, live_keepalive_s=300.0, live_push_interval_s=0.2, live_stream_max_s=600.0)
    with serving(create_app(config)) as url:
        yield url


def test_a_notification_the_worker_writes_is_pushed_at_once(
    patient_url: str, db: str, redis_url: str, tmp_path: Path
) -> None:
    """The real Celery worker writes the lock reminders (tasks.remind_team_lock) and announces them on
    each owner's channel: the owner's open stream gets it at once, not at its next keep-alive re-read."""
    seed_weekend(db, JAPAN, days_ahead=1 / 24)  # the weekend locks within the hour: owners are reminded
    env = {
        "DATABASE_URL": db,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "NOTIFY_MQTT": "false",
        "REMINDER_HOURS": "2",
        "GRIDSCORE_DATA_DIR": str(tmp_path / "data"),
        "LOG_FORMAT": "text",
    }
    with (
        httpx.Client(base_url=patient_url, timeout=60) as api,
        celery_worker(env, tmp_path / "worker.log"),
    ):
        alice = register(api)
        create_team(api, alice, "Alice Racing")
        ticket = api.post("/api/live/tickets", headers=alice.headers).json()["ticket"]
        with api.stream("GET", "/api/live/notifications", params={"ticket": ticket}) as response:
            assert response.status_code == 200
            events = EventReader(response)
            assert events.next_event().json() == {"unread": 0, "latest": None}
            Celery("stand-in-for-beat", broker=redis_url).send_task(REMIND_TASK)
            pushed = events.until(lambda m: m.json()["unread"] == 1, timeout_s=50)[-1].json()
            assert pushed["latest"]["kind"] == "lock_reminder"
            assert pushed["latest"]["session_key"] == QUALIFYING
            assert not [m for m in events.seen if "keep-alive" in m.comments]  # it came before any re-read
            # Read in another tab: this one's badge follows at once too.
            assert api.post("/api/notifications/read-all", headers=alice.headers).json() == {"marked": 1}
            cleared = events.until(lambda m: m.json()["unread"] == 0, timeout_s=50)[-1].json()
            assert cleared["latest"]["read_at"] is not None
            assert not [m for m in events.seen if "keep-alive" in m.comments]
