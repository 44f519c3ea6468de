"""Shared fixtures: real PostgreSQL and Redis, from DATABASE_URL / REDIS_URL or embedded.

With the URLs unset (a fresh machine), the suite starts the same embedded servers as the CLI.
Each run gets a database of its own, created and migrated here and dropped at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    import redis

    from gridscore.base.services import ServiceUrls

# The server libraries (psycopg, redis, SQLAlchemy, Alembic, the embedded servers) are imported by
# the fixtures that use them: `pytest -m unit` loads this file too and never needs them.

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT / "data" / "feeds"
SHARED_FEEDS = sorted(FEEDS.glob("*.jsonl"))
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "9"))
UNIT = ROOT / "tests" / "unit"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`pytest -m unit` collects tests/unit only: importing the integration modules alone takes
    longer than running every unit test (tests/unit/conftest.py marks everything there `unit`)."""
    if config.getoption("markexpr", "") != "unit":
        return None
    path = collection_path.resolve()
    if path == UNIT or UNIT in path.parents or path in UNIT.parents:
        return None
    return True


@pytest.fixture(scope="session")
def servers() -> Iterator[ServiceUrls]:
    from gridscore.base.services import running_services
    from gridscore.base.settings import Settings

    settings = Settings.from_env()
    # Not under pytest's basetemp: pytest prunes old basetemps, which concurrent runs on one machine
    # would do under a running embedded server.
    data_dir = Path(tempfile.mkdtemp(prefix="gridscore-test-servers-"))
    try:
        with running_services(
            Settings(database_url=settings.database_url, redis_url=settings.redis_url, data_dir=data_dir)
        ) as urls:
            yield urls
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(servers: ServiceUrls) -> Iterator[str]:
    """A fresh, migrated database on the server, dropped after the run."""
    import psycopg
    from sqlalchemy.engine import make_url

    from store.migrate import upgrade
    from store.urls import libpq_url

    name = f"gridscore_test_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(servers.database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(servers.database_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_database(database_url: str) -> None:
    """Truncate every table but Alembic's."""
    import psycopg

    from store.urls import libpq_url

    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture
def db(database_url: str) -> str:
    """The test database, emptied before each test that asks for it."""
    empty_database(database_url)
    return database_url


@pytest.fixture(scope="session")
def redis_url(servers: ServiceUrls) -> str:
    parts = urlsplit(servers.redis_url)
    return urlunsplit(parts._replace(path=f"/{TEST_REDIS_DB}"))


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    with contextlib.suppress(redis.RedisError):
        client.close()
