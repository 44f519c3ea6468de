"""Lock the rosters of every weekend whose first scored session has started: beat runs it every
LOCK_CHECK_S. Locking is idempotent (a locked weekend stays as it was), so a repeated or late run
changes nothing; a database outage is retried with backoff, and a run that expires is dropped for
the next one."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from store.lock import lock_due_now
from tasks.app import app
from tasks.runtime import settings
from tasks.schedule import LOCK_TASK

log = logging.getLogger(__name__)


@app.task(name=LOCK_TASK, autoretry_for=(OperationalError, OSError), retry_backoff=2, max_retries=3)
def lock_due_weekends() -> list[int]:
    """The meetings locked by this run."""
    database_url = settings().database_url
    if database_url is None:
        raise RuntimeError("DATABASE_URL is not set: the worker has no database to lock rosters in")
    locked = [r for r in lock_due_now(database_url) if not r.already_locked]
    for result in locked:
        log.info("locked %d rosters for meeting %d", result.rosters, result.meeting_key)
    return [r.meeting_key for r in locked]
