"""Beat's schedule, in UTC. Every entry expires, so that runs missed while workers were down
are dropped instead of piling up and all running at once when they come back."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from gridscore.base.settings import Settings

SYNC_TASK = "tasks.sync_season"
SWEEP_RESULTS_TASK = "tasks.sweep_final_results"
REMIND_TASK = "tasks.remind_team_lock"
PRICES_TASK = "tasks.move_prices"
BACKUP_TASK = "tasks.backup_database"
RELAY_OUTBOX_TASK = "tasks.relay_outbox"
OUTBOX_POLL_S = 1.0  # how often beat has the notification outbox relayed (a cheap indexed query)
LOCK_TASK = "tasks.lock_due_weekends"

NIGHTLY_SYNC_EXPIRES_S = 6 * 3600
NIGHTLY_BACKUP_EXPIRES_S = 3 * 3600


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    every = settings.beat_check_s
    return {
        "nightly-sync": {
            "task": SYNC_TASK,
            "schedule": crontab(hour=3, minute=0),
            "options": {"expires": NIGHTLY_SYNC_EXPIRES_S},
        },
        "nightly-backup": {
            "task": BACKUP_TASK,
            "schedule": crontab(hour=2, minute=0),
            "options": {"expires": NIGHTLY_BACKUP_EXPIRES_S},
        },
        "notify-final-results": {
            "task": SWEEP_RESULTS_TASK,
            "schedule": every,
            "options": {"expires": every},
        },
        "relay-outbox": {
            "task": RELAY_OUTBOX_TASK,
            "schedule": OUTBOX_POLL_S,
            "options": {"expires": OUTBOX_POLL_S},
        },
        "remind-team-lock": {"task": REMIND_TASK, "schedule": every, "options": {"expires": every}},
        "move-prices": {"task": PRICES_TASK, "schedule": every, "options": {"expires": every}},
        "lock-rosters": {
            "task": LOCK_TASK,
            "schedule": settings.lock_check_s,
            "options": {"expires": settings.lock_check_s},
        },
    }
