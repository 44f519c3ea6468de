"""What a task needs from its process: the settings, read once, and database connections."""

from __future__ import annotations

import functools

import psycopg

from gridscore.base.settings import Settings, get_settings
from store.urls import libpq_url


@functools.cache
def settings() -> Settings:
    return get_settings()


def connect(database_url: str | None = None) -> psycopg.Connection:
    url = database_url or settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set: tasks run against the real database")
    return psycopg.connect(libpq_url(url), connect_timeout=10, autocommit=True)
