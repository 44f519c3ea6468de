"""An error in the API, run as users run it (`gridscore api`), reaches Sentry (a local stand-in at
SENTRY_DSN) with none of the secrets: not the player's password from the body, not the JWT secret,
not the database password from DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.server import free_port
from tests.sentry_stub import SentryStub

GRIDSCORE = str(Path(sys.executable).parent / "gridscore")
JWT_SECRET = "api-jwt-secret-that-must-not-leave-3b9d"
DB_PASSWORD = "db-password-that-must-not-leave-c41e"
PLAYER_PASSWORD = "player-password-that-must-not-leave-55aa"


@pytest.fixture
def sentry() -> Iterator[SentryStub]:
    stub = SentryStub()
    yield stub
    stub.close()


def test_an_api_error_is_reported_with_secrets_scrubbed(
    sentry: SentryStub, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = dict(
        os.environ,
        SENTRY_DSN=sentry.dsn,
        SENTRY_ENVIRONMENT="test",
        JWT_SECRET=JWT_SECRET,
        # A database that does not answer: the login fails inside the API, not in the request.
        DATABASE_URL=f"postgresql://gridscore:{DB_PASSWORD}@127.0.0.1:{free_port()}/gridscore",
        REDIS_URL=redis_url,
        GRIDSCORE_DATA_DIR=str(tmp_path / "data"),
        LOG_FORMAT="text",
    )
    log = (tmp_path / "api.log").open("wb")
    api = subprocess.Popen(
        [GRIDSCORE, "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # readiness: slow on a loaded machine
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                if api.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "api.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        answer = httpx.post(
            f"{base}/api/auth/login",
            json={"email": "player@example.com", "password": PLAYER_PASSWORD},
            headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"},
            timeout=30,
        )
        assert answer.status_code >= 500, answer.text
        event = sentry.wait_for_event(30)
    finally:
        api.terminate()
        api.wait(20)
        log.close()
    assert event["environment"] == "test"
    assert event["tags"]["component"] == "api"
    assert event.get("exception", {}).get("values"), "the event carries the exception"
    everything = "\n".join(sentry.raw)
    for secret in (JWT_SECRET, DB_PASSWORD, PLAYER_PASSWORD, "eyJzdWIiOiIxIn0"):
        assert secret not in everything, secret
