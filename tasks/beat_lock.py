"""Exactly one beat: `gridscore beat` holds a lock in the broker's Redis while it runs. A second one
waits as a standby instead of sending every periodic task a second time, and takes over when the
first stops (at once) or dies (after the lock's TTL)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

import redis

log = logging.getLogger(__name__)

LOCK_KEY = "gridscore:beat:lock"
_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call({}) else return 0 end"
_REFRESH = _IF_OURS.format("'pexpire', KEYS[1], ARGV[2]")
_RELEASE = _IF_OURS.format("'del', KEYS[1]")


class BeatLock:
    def __init__(self, url: str, ttl_s: float = 30.0) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.ttl_ms = int(ttl_s * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stop = threading.Event()

    def acquire(self, poll_s: float = 1.0) -> None:
        """Block until this process holds the lock."""
        waiting = False
        while not self.client.set(LOCK_KEY, self.token, nx=True, px=self.ttl_ms):
            if not waiting:
                log.warning("another beat holds %s (%s): standing by", LOCK_KEY, self.client.get(LOCK_KEY))
                waiting = True
            time.sleep(poll_s)
        log.info("beat lock %s taken by %s", LOCK_KEY, self.token)

    def keep(self, on_lost: Callable[[], None]) -> None:
        """Refresh the lock in the background; call on_lost once it can no longer be ours."""

        def run() -> None:
            last = time.monotonic()
            while not self._stop.wait(self.ttl_ms / 3000):
                try:
                    if not self.client.eval(_REFRESH, 1, LOCK_KEY, self.token, self.ttl_ms):
                        break
                    last = time.monotonic()
                except redis.RedisError:
                    if time.monotonic() - last < self.ttl_ms / 1000:
                        continue
                    break
            else:
                return
            log.error("beat lock %s lost: stopping this beat", LOCK_KEY)
            on_lost()

        threading.Thread(target=run, name="beat-lock", daemon=True).start()

    def release(self) -> None:
        self._stop.set()
        try:
            self.client.eval(_RELEASE, 1, LOCK_KEY, self.token)
        except redis.RedisError:
            log.warning("could not release %s; it expires by itself", LOCK_KEY)
