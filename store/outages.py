"""Waiting out Redis and PostgreSQL outages of any length, and saying so in the log.

A sink call that fails because its server is away is retried with the one retry policy
(gridscore/base/retry.py: capped exponential backoff with jitter, tenacity) until the server is
back, never given up: the flow stops where it is, and the MQTT receiver, a process of its own that
only writes the journal, keeps taking input. When the server
returns, the call goes through and the flow catches up from the journal. Errors that are not about
reaching the server (a bad command, a constraint) are raised at once.

Each server has one `Dependency`, shared by every thread that writes to it, so an outage is logged
once when it starts, once every `report_every_s` (a minute) while it lasts, and once when it ends,
however many threads are waiting on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
import redis
import tenacity

from gridscore.base.retry import until_reached

log = logging.getLogger(__name__)
T = TypeVar("T")

REPORT_EVERY_S = 60.0
FIRST_WAIT_S = 0.1
MAX_WAIT_S = 5.0


class Dependency:
    """An outside server as the engine sees it: up, or down since a given moment."""

    def __init__(self, name: str, errors: tuple[type[BaseException], ...]) -> None:
        self.name = name
        self.errors = errors
        self.report_every_s = REPORT_EVERY_S
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._reported_at = 0.0
        self._failures = 0
        self._outages = 0

    def call(self, action: Callable[[], T], what: str) -> T:
        """`action()`, retried while it fails to reach the server, for as long as that takes."""
        retrying = until_reached(
            self.errors, FIRST_WAIT_S, MAX_WAIT_S, before_sleep=lambda state: self._failed(state, what)
        )
        result = retrying(action)
        self._succeeded()
        return result

    @property
    def down_for(self) -> float | None:
        """Seconds since the current outage began (None: up)."""
        with self._lock:
            return None if self._down_since is None else time.monotonic() - self._down_since

    @property
    def outages(self) -> int:
        """Outages seen since the process started."""
        return self._outages

    def _failed(self, state: tenacity.RetryCallState, what: str) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        now = time.monotonic()
        with self._lock:
            self._failures += 1
            if self._down_since is None:
                self._down_since = self._reported_at = now
                self._failures = 1
                self._outages += 1
                log.error(
                    "%s unavailable (%s: %s); waiting for it, retrying every %.0f s at most. The journal"
                    " still takes every input message; scoring resumes from it when %s is back",
                    self.name,
                    what,
                    _describe(error),
                    MAX_WAIT_S,
                    self.name,
                )
            elif now - self._reported_at >= self.report_every_s:
                self._reported_at = now
                log.error(
                    "%s still unavailable after %.0f s (%d failed attempts; %s: %s)",
                    self.name,
                    now - self._down_since,
                    self._failures,
                    what,
                    _describe(error),
                )

    def _succeeded(self) -> None:
        if self._down_since is None:  # the common case: no lock
            return
        with self._lock:
            if self._down_since is None:
                return
            log.warning(
                "%s is back after %.0f s unavailable (%d failed attempts); catching up",
                self.name,
                time.monotonic() - self._down_since,
                self._failures,
            )
            self._down_since = None


def _describe(error: BaseException | None) -> str:
    text = " ".join(str(error).split()) if error is not None else ""
    return f"{type(error).__name__}: {text[:300]}" if error is not None else "unknown error"


REDIS = Dependency("Redis", (redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError))
POSTGRES = Dependency("PostgreSQL", (psycopg.OperationalError,))


def redis_client(url: str) -> redis.Redis:
    """A client for the engine's writers: it fails fast (one quick retry of its own) so that
    `REDIS.call` sees an outage at once and logs it; a server that hangs times out after 30 s."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1), socket_connect_timeout=5, socket_timeout=30)
