"""The nightly sync as a Celery task: a failing source or database is retried with backoff."""

from __future__ import annotations

import psycopg

from tasks.app import app
from tasks.jolpica import SourceError
from tasks.runtime import settings
from tasks.schedule import SYNC_TASK
from tasks.sync import default_season, run_sync


@app.task(
    name=SYNC_TASK,
    autoretry_for=(SourceError, psycopg.OperationalError),
    retry_backoff=settings().sync_retry_backoff_s,
    retry_backoff_max=1_800,  # below the broker's visibility timeout, or a waiting retry runs twice
    retry_jitter=False,  # one task a night: nothing to spread, and the delays stay predictable
    max_retries=8,
)
def sync_season(season: int | None = None) -> dict[str, int]:
    counts = run_sync(settings(), season or default_season(settings()))
    return {
        "meetings": counts.meetings,
        "sessions": counts.sessions,
        "constructors": counts.constructors,
        "drivers": counts.drivers,
        "prices": counts.prices,
    }
