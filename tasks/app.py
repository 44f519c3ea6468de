"""The Celery app: Redis as broker, UTC, late acknowledgements. Celery never runs scoring.

Tasks are acknowledged after they ran and re-delivered when a worker dies (visibility timeout),
so every task here is idempotent: the sync upserts, notifications go through a ledger.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, signals

from gridscore.base.error_tracking import init_error_tracking
from gridscore.base.settings import Settings, get_settings
from tasks.schedule import beat_schedule

TASK_MODULES = (
    "tasks.sync_task",
    "tasks.notify",
    "tasks.price_task",
    "tasks.backup_task",
    "tasks.account_mail",
    "tasks.lock_task",
)


def broker_url(settings: Settings) -> str | None:
    return settings.celery_broker_url or settings.redis_url


def make_app(settings: Settings) -> Celery:
    app = Celery("gridscore", include=list(TASK_MODULES))
    visibility = settings.celery_visibility_timeout_s
    app.conf.update(
        broker_url=broker_url(settings),
        broker_connection_retry_on_startup=True,
        # A dead worker's unacked tasks come back after `visibility`; look for them often enough.
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1, min(10, visibility // 5)),
            "unacked_restore_throttle": 1,
            # A worker killed while it held the restore lock must not stall restores for long.
            "unacked_mutex_expire": max(2, min(300, visibility // 2)),
        },
        timezone="UTC",
        enable_utc=True,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,  # gridscore.base.logs configures logging (JSON or text)
        beat_schedule=beat_schedule(settings),
    )
    return app


app = make_app(get_settings())


@signals.celeryd_init.connect
def _start_error_tracking(**_: Any) -> None:
    """Sentry in every worker (before the pool forks) when SENTRY_DSN is set."""
    init_error_tracking(get_settings(), "worker")
