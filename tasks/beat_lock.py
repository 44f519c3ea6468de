"""Exactly one beat: `gridscore beat` holds a lock in the broker's Redis while it runs. A second one
waits as a standby instead of sending every periodic task a second time, and takes over when the
first stops (at once) or dies (after the lock's TTL).

The lock is redis-py's `redis.lock.Lock` (a token under one key with a TTL, released and extended
only by its holder); this module adds the standby's log line and the refresh that keeps it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from uuid import uuid4

import redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)

LOCK_KEY = "gridscore:beat:lock"


class BeatLock:
    def __init__(self, url: str, ttl_s: float = 30.0) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.ttl_s = ttl_s
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"  # who holds it, in the log
        self.lock = self.client.lock(LOCK_KEY, timeout=ttl_s, thread_local=False)
        self._stop = threading.Event()

    def acquire(self, poll_s: float = 1.0) -> None:
        """Block until this process holds the lock."""
        if not self.lock.acquire(blocking=False, token=self.token):
            log.warning("another beat holds %s (%s): standing by", LOCK_KEY, self.client.get(LOCK_KEY))
            self.lock.acquire(blocking=True, sleep=poll_s, token=self.token)
        log.info("beat lock %s taken by %s", LOCK_KEY, self.token)

    def keep(self, on_lost: Callable[[], None]) -> None:
        """Extend the lock's TTL in the background; call on_lost once it can no longer be ours (taken
        over, or Redis unreachable for a whole TTL, after which a standby may hold it)."""

        def run() -> None:
            last = time.monotonic()
            while not self._stop.wait(self.ttl_s / 3):
                try:
                    self.lock.reacquire()  # LockNotOwnedError once another beat holds it
                    last = time.monotonic()
                except LockError:
                    break
                except redis.RedisError:
                    if time.monotonic() - last < self.ttl_s:
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
            self.lock.release()
        except (LockError, redis.RedisError):
            log.warning("could not release %s; it expires by itself", LOCK_KEY)
