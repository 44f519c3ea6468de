"""Real pieces for the Celery tests: a worker (and beat) in subprocesses on Redis, the recorded
Jolpica responses behind a local HTTP server, an aiosmtpd server, and an MQTT subscriber."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from gridscore.base.settings import Settings
from store.urls import libpq_url
from tests.conftest import ROOT
from tests.tasks.inbox import MqttInbox, SmtpInbox
from tests.tasks.recorded import RecordedSource

GRIDSCORE = Path(sys.executable).parent / "gridscore"
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")


@pytest.fixture(scope="session")
def source() -> Iterator[RecordedSource]:
    with RecordedSource.serving(ROOT / "tests" / "fixtures" / "jolpica") as server:
        yield server


@pytest.fixture
def recorded(source: RecordedSource) -> RecordedSource:
    source.reset()
    return source


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpInbox]:
    with SmtpInbox.serving() as inbox:
        yield inbox


@pytest.fixture
def smtp(smtp_server: SmtpInbox) -> Iterator[SmtpInbox]:
    smtp_server.reset()
    yield smtp_server
    smtp_server.reset()


@pytest.fixture(scope="session")
def mqtt_server() -> Iterator[MqttInbox | None]:
    """A subscriber on f1/notifications/#, or None when no broker answers (and none is required)."""
    try:
        inbox = MqttInbox.connect(MQTT_URL)
    except OSError as exc:
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES"):
            raise
        print(f"no MQTT broker on {MQTT_URL} ({exc}): MQTT assertions are skipped")
        yield None
        return
    with contextlib.closing(inbox):
        yield inbox


@pytest.fixture
def mqtt(mqtt_server: MqttInbox | None) -> MqttInbox | None:
    if mqtt_server is not None:
        mqtt_server.reset()
    return mqtt_server


@pytest.fixture
def conn(db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_url(db), autocommit=True) as connection:
        yield connection


@pytest.fixture
def worker_env(
    db: str,
    redis_url: str,
    redis_client: object,  # empties the broker's database before each test
    recorded: RecordedSource,
    smtp: SmtpInbox,
    mqtt: MqttInbox | None,
    tmp_path: Path,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "CELERY_", "NOTIFY_"))}
    env.update(
        DATABASE_URL=db,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_VISIBILITY_TIMEOUT_S="4",
        MQTT_URL=MQTT_URL,
        MQTT_CLIENT_ID="gridscore-test-worker",
        NOTIFY_MQTT="true" if mqtt is not None else "false",
        MQTT_NOTIFICATION_PREFIX=MqttInbox.PREFIX,
        NOTIFY_CHUNK_SIZE="20",
        SMTP_HOST=smtp.host,
        SMTP_PORT=str(smtp.port),
        SYNC_SOURCE_URL=recorded.url,
        SYNC_PACE_MS="0",
        SYNC_RETRY_BACKOFF_S="1",
        GRIDSCORE_DATA_DIR=str(tmp_path / "data"),
        LOG_FORMAT="text",
        LOG_LEVEL="INFO",
    )
    return env


def settings_for(env: dict[str, str]) -> Settings:
    """The settings a worker started with `env` reads (for sending tasks to it)."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        return Settings.from_env()


class Service:
    """`gridscore worker` or `gridscore beat` in a process group of its own, to SIGKILL it whole."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(GRIDSCORE), *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """SIGKILL to the main process and every pool process at once: a crash, nothing cleaned up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def start(kind: str, env: dict[str, str], *args: str) -> Service:
        service = Service([kind, *args], env, tmp_path / f"{kind}-{len(started)}.log")
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
