"""The nightly backup runs as a task on a real Celery worker: a dump with its manifest appears in
BACKUP_DIR and the retention policy is applied to what was there."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from store.backup import dump_path, manifest_path
from tasks.app import make_app
from tasks.schedule import BACKUP_TASK
from tests.tasks.conftest import Service, settings_for, wait_for


def test_the_worker_writes_a_dump_and_applies_retention(
    worker_env: dict[str, str], conn: psycopg.Connection, services: Callable[..., Service], tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    stale = dump_path(backups, datetime.now(UTC) - timedelta(days=40))
    stale.write_bytes(b"an old dump")
    manifest_path(stale).write_text("{}")
    env = dict(worker_env, BACKUP_DIR=str(backups), BACKUP_KEEP_DAILY="30")
    conn.execute(
        "INSERT INTO constructor (name, created_at, updated_at) VALUES ('Backup Racing', now(), now())"
    )

    services("worker", env, "--concurrency", "1")
    make_app(settings_for(env)).send_task(BACKUP_TASK)
    fresh = lambda: [p for p in backups.glob("gridscore-*.dump") if p != stale]  # noqa: E731
    wait_for(lambda: bool(fresh()) and manifest_path(fresh()[0]).exists(), 60, "the nightly dump")
    wait_for(lambda: not stale.exists(), 10, "retention to delete the 40-day-old dump")
    manifest = json.loads(manifest_path(fresh()[0]).read_text())
    assert manifest["row_counts"]["constructor"] == 1
    assert not manifest_path(stale).exists()
