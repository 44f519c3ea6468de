"""`gridscore api` as an operator starts it: with GRIDSCORE_ENV=production a JWT_SECRET that anyone could
know (unset, .env.example's change-me, short) stops it with what to do; on a developer's machine
(the default) it starts with a warning, and production starts with a real secret. Real processes,
PostgreSQL, Redis and HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api.server import free_port

GRIDSCORE = str(Path(sys.executable).parent / "gridscore")
GOOD_SECRET = "0123456789abcdef0123456789abcdef-a-real-one"
START_S = 120  # a hang guard for a loaded machine, not a measured limit


def api_env(database_url: str, redis_url: str, tmp_path: Path, **settings: str | None) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, LOG_FORMAT="text")
    env["GRIDSCORE_DATA_DIR"] = str(tmp_path / "data")
    for name, value in settings.items():
        env.pop(name, None)
        if value is not None:
            env[name] = value
    return env


def serves_health(env: dict[str, str], tmp_path: Path) -> str:
    """Start the API, wait until /health answers, stop it; return what it logged."""
    port = free_port()
    log_path = tmp_path / f"api-{port}.log"
    with log_path.open("wb") as log:
        api = subprocess.Popen(
            [GRIDSCORE, "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + START_S
            while True:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                    break
                except httpx.TransportError:
                    if api.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()[-3000:]) from None
                    time.sleep(0.2)
            assert answer.status_code in (200, 503), answer.text  # it serves (MQTT may be away)
        finally:
            api.terminate()
            api.wait(30)
    return log_path.read_text()


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "JWT_SECRET is unset"),
        ("change-me", "JWT_SECRET is the change-me placeholder of .env.example"),
        ("short-but-not-a-placeholder", "JWT_SECRET is shorter than 32 bytes"),
    ],
)
def test_production_refuses_to_start_the_api_with_a_secret_anyone_could_know(
    secret: str | None, problem: str, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = api_env(database_url, redis_url, tmp_path, GRIDSCORE_ENV="production", JWT_SECRET=secret)
    done = subprocess.run(
        [GRIDSCORE, "api", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_S,
        check=False,
    )
    assert done.returncode != 0, done.stdout[-2000:]
    assert problem in done.stderr, done.stderr[-2000:]
    assert "GRIDSCORE_ENV is production: refusing to start" in done.stderr
    assert "openssl rand -hex 32" in done.stderr
    assert "Traceback" not in done.stderr, "a clear message, not a stack trace"


def test_a_developer_machine_starts_with_a_warning_and_production_with_a_real_secret(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    developer = api_env(database_url, redis_url, tmp_path, GRIDSCORE_ENV=None, JWT_SECRET="change-me")
    logged = serves_health(developer, tmp_path)
    assert "JWT_SECRET is the change-me placeholder of .env.example" in logged
    assert "GRIDSCORE_ENV=production refuses to start" in logged

    production = api_env(
        database_url, redis_url, tmp_path, GRIDSCORE_ENV="production", JWT_SECRET=GOOD_SECRET
    )
    logged = serves_health(production, tmp_path)
    assert "JWT_SECRET" not in logged
