"""The Celery app's configuration and beat's schedule, the engine's trigger with the broker down,
and the migration against the model."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from advanced_alchemy.base import orm_registry
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from celery.schedules import crontab
from sqlalchemy import create_engine

from gridscore.base.settings import Settings
from store.urls import sync_url
from tasks.app import make_app


def test_app_acknowledges_late_in_utc_with_a_visibility_timeout() -> None:
    app = make_app(Settings(redis_url="redis://127.0.0.1:6379/0", celery_visibility_timeout_s=600))
    conf = app.conf
    assert conf.broker_url == "redis://127.0.0.1:6379/0", "the broker defaults to REDIS_URL"
    assert (conf.timezone, conf.enable_utc) == ("UTC", True)
    assert conf.task_acks_late
    assert conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 600
    own = make_app(Settings(redis_url="redis://a/0", celery_broker_url="redis://b/1"))
    assert own.conf.broker_url == "redis://b/1"


def test_beat_runs_the_sync_at_three_utc_and_every_entry_expires() -> None:
    schedule = make_app(Settings(beat_check_s=60)).conf.beat_schedule
    nightly = schedule["nightly-sync"]
    assert nightly["task"] == "tasks.sync_season"
    assert isinstance(nightly["schedule"], crontab)
    assert (nightly["schedule"].hour, nightly["schedule"].minute) == ({3}, {0})
    assert 0 < nightly["options"]["expires"] < 24 * 3600, "a missed night is dropped, not piled up"
    for name, entry in schedule.items():
        assert entry["options"]["expires"] > 0, name
    assert {e["task"] for e in schedule.values()} == {
        "tasks.sync_season",
        "tasks.sweep_final_results",
        "tasks.relay_outbox",
        "tasks.remind_team_lock",
        "tasks.move_prices",
        "tasks.backup_database",
        "tasks.lock_due_weekends",
    }
    assert schedule["lock-rosters"]["schedule"] == Settings().lock_check_s, "rosters lock within seconds"


def test_announce_final_never_raises_when_the_broker_is_down() -> None:
    env = {**os.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:9/0"}
    code = "import sys, tasks.notify as n; sys.exit(0 if n.announce_final(2025014) is False else 1)"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30


def test_migration_0003_matches_the_model(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, orm_registry.metadata)
    finally:
        engine.dispose()
    assert [d for d in diffs if "notification" in repr(d)] == []
