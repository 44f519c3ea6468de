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
import psutil
import pytest

from tests.api.helpers import register
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


def test_workers_of_one_api_share_the_random_secret_of_a_developer_machine(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """JWT_SECRET unset and two workers: a token stays good when the workers that were running at its
    signing are gone (uvicorn starts new ones in their place), as it is at any worker. Each worker used to
    make its own random secret: about half of a player's reads were 401s, and all of them after a
    worker's restart."""
    env = api_env(database_url, redis_url, tmp_path, GRIDSCORE_ENV=None, JWT_SECRET=None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "api-workers.log"
    with log_path.open("wb") as log:
        api = subprocess.Popen(
            [GRIDSCORE, "api", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_health(base, api, log_path)
            with httpx.Client(base_url=base, timeout=30) as client:
                player = register(client)
            signers = _workers(api.pid)
            assert len(signers) == 2, signers
            for worker in signers:
                worker.kill()
            psutil.wait_procs(signers, timeout=30)
            _wait_for_health(base, api, log_path)
            with httpx.Client(base_url=base, timeout=30) as client:
                me = client.get("/api/auth/me", headers=player.headers)
            replacements = _workers(api.pid)
        finally:
            api.terminate()
            api.wait(30)
    assert {w.pid for w in replacements}.isdisjoint(w.pid for w in signers), "new workers answered"
    assert me.status_code == 200, me.text


def _wait_for_health(base: str, api: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_S
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code in (200, 503):
                return
        except httpx.TransportError:
            pass
        if api.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(log_path.read_text()[-3000:])
        time.sleep(0.2)


def _workers(supervisor: int) -> list[psutil.Process]:
    """The supervisor's worker processes (not multiprocessing's resource tracker beside them)."""
    return [c for c in psutil.Process(supervisor).children() if "spawn_main" in " ".join(c.cmdline())]
