"""A task that fails on a real Celery worker reaches Sentry (a local stand-in at SENTRY_DSN) with
its exception, and with none of the worker's secrets, though they sit in the failing frame's locals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tasks.app import make_app
from tasks.schedule import BACKUP_TASK
from tests.sentry_stub import SentryStub
from tests.tasks.conftest import Service, settings_for

JWT_SECRET = "jwt-secret-that-must-not-leave-7f3a"
SMTP_PASSWORD = "smtp-password-that-must-not-leave-91c2"


@pytest.fixture
def sentry() -> Iterator[SentryStub]:
    stub = SentryStub()
    yield stub
    stub.close()


def test_a_failing_task_is_reported_with_secrets_scrubbed(
    worker_env: dict[str, str], services: Callable[..., Service], sentry: SentryStub, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("backups cannot go under a file")
    env = dict(
        worker_env,
        SENTRY_DSN=sentry.dsn,
        SENTRY_ENVIRONMENT="test",
        JWT_SECRET=JWT_SECRET,
        SMTP_PASSWORD=SMTP_PASSWORD,
        BACKUP_DIR=str(not_a_folder / "backups"),
    )
    services("worker", env, "--concurrency", "1")
    make_app(settings_for(env)).send_task(BACKUP_TASK)

    event = sentry.wait_for_event(60)
    [exception] = event["exception"]["values"][-1:]
    assert exception["type"] in ("FileExistsError", "NotADirectoryError")
    assert event["environment"] == "test"
    assert event["tags"]["component"] == "worker"
    everything = "\n".join(sentry.raw)
    assert "backup_dir" in everything, "the failing frame's settings were sent (scrubbed), not dropped"
    assert JWT_SECRET not in everything
    assert SMTP_PASSWORD not in everything
    assert "[Filtered]" in everything
