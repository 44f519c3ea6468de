"""The nightly PostgreSQL backup as a Celery beat task: dump, then apply the retention policy.

A failing database is retried with backoff; the dump's name carries its time, so a retry after a
partial run writes a new dump and never appends to an old one.
"""

from __future__ import annotations

import psycopg

from store.backup import BackupError, RetentionPolicy, apply_retention, backup
from tasks.app import app
from tasks.runtime import settings
from tasks.schedule import BACKUP_TASK


@app.task(
    name=BACKUP_TASK,
    autoretry_for=(BackupError, psycopg.OperationalError),
    retry_backoff=60,
    retry_backoff_max=1_800,
    max_retries=5,
)
def backup_database() -> dict[str, object]:
    config = settings()
    if not config.database_url:
        raise RuntimeError("DATABASE_URL is not set: the nightly backup runs against the real database")
    dump = backup(config.database_url, config.backups)
    policy = RetentionPolicy(config.backup_keep_daily, config.backup_keep_weekly, config.backup_keep_monthly)
    deleted = apply_retention(config.backups, policy)
    return {"dump": str(dump), "deleted": [p.name for p in deleted]}
