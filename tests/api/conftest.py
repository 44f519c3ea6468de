"""The API served over real HTTP (uvicorn) against the test Postgres and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from gridscore.base.services import ServiceUrls
from gridscore.base.settings import Settings
from tests.api.server import serving

JWT_SECRET = "test-secret-for-the-api-tests-0123456789abcdef"


@pytest.fixture(scope="session")
def api_config(database_url: str, redis_url: str) -> ApiConfig:
    settings = Settings(jwt_secret=JWT_SECRET, api_auth_rate_limit=100_000, api_health_timeout_ms=1_000)
    return replace(
        ApiConfig.from_settings(settings, ServiceUrls(database_url, redis_url)),
        rate_limit_namespace="gs:test:api",
        password_time_cost=1,  # still argon2id, at a test's cost
        password_memory_kib=1024,
        read_cache_s=1.0,  # what the reads keep from Postgres: changes behind the API's back show within it
    )


@pytest.fixture(scope="session")
def api_url(api_config: ApiConfig) -> Iterator[str]:
    with serving(create_app(api_config)) as url:
        yield url


@pytest.fixture
def api(api_url: str, db: str, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    """An HTTP client of the running API, with an empty database and Redis."""
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client
