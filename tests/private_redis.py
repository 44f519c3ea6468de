"""A `redis-server` of a test's own, on a free port and without persistence.

Pub/sub is global to a Redis server (its channels ignore the numbered databases), so a test that counts a
channel's subscribers, or restarts Redis under a running engine, needs a server that no other module's
servers or engines share.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from tests.api.server import free_port


class PrivateRedis:
    """`redis-server` on a free port, without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@contextlib.contextmanager
def private_redis_server(why: str) -> Iterator[PrivateRedis]:
    """A started PrivateRedis, stopped on exit; `why` says what the test needs it for when the machine has
    no redis-server (a skip, or a failure under GRIDSCORE_REQUIRE_SERVICES=1)."""
    if shutil.which("redis-server") is None:
        reason = f"redis-server not installed: {why}"
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and GRIDSCORE_REQUIRE_SERVICES=1")
        pytest.skip(reason)
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
